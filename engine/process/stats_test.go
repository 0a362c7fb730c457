package process

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/retis-go/retis/engine/events"
)

const compatDir = "../../../shared/retis-compat"

func open(t *testing.T, name string) *events.Reader {
	t.Helper()
	r, err := events.Open(filepath.Join(compatDir, name), events.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestStats(t *testing.T) {
	s, err := ComputeStats(open(t, "test_events.json"))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	s.Write(&b)
	want := `Retis version: v1.6.0
Retis cmdline: unknown
Number of events: 4
First event at: 2025-03-18 21:23:35.334427
Last event at: 2025-03-18 21:23:35.646491
Probes:
  kprobe/tcp_v4_rcv: 1
  kretprobe/ovs_dp_upcall: 1
  raw_tracepoint/openvswitch:ovs_dp_upcall: 1
  raw_tracepoint/skb:kfree_skb: 1
`
	if b.String() != want {
		t.Fatalf("got:\n%s", b.String())
	}
}

func TestStatsSeries(t *testing.T) {
	s, err := ComputeStats(open(t, "test_events_sorted.json"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Series != 3 || s.Events != 4 || s.Probes["raw_tracepoint/skb:kfree_skb"] != 1 {
		t.Fatalf("stats = %+v", s)
	}
}

func TestStatsPackets(t *testing.T) {
	s, err := ComputeStats(open(t, "test_events_packets.json"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Events != 26 || s.Probes["raw_tracepoint/net:net_dev_start_xmit"] != 8 || s.Probes["kretprobe/ovs_dp_upcall"] != 2 {
		t.Fatalf("stats = %+v", s)
	}
}
