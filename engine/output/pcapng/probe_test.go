package pcapng

import (
	"errors"
	"strings"
	"testing"

	"github.com/retis-go/retis/engine/events"
)

func TestParseProbe(t *testing.T) {
	for _, tc := range []struct {
		spec, typ, target string
	}{
		{"tp:net:netif_receive_skb", events.ProbeRawTracepoint, "net:netif_receive_skb"},
		{"raw_tracepoint:net:netif_receive_skb", events.ProbeRawTracepoint, "net:netif_receive_skb"},
		{"net:netif_receive_skb", events.ProbeRawTracepoint, "net:netif_receive_skb"},
		{"tp:skb:kfree_skb/stack", events.ProbeRawTracepoint, "skb:kfree_skb"},
		{"k:ip_rcv", events.ProbeKprobe, "ip_rcv"},
		{"kprobe:ip_rcv", events.ProbeKprobe, "ip_rcv"},
		{"ip_rcv", events.ProbeKprobe, "ip_rcv"},
		{"kr:ovs_dp_upcall", events.ProbeKretprobe, "ovs_dp_upcall"},
		{"kretprobe:ovs_dp_upcall", events.ProbeKretprobe, "ovs_dp_upcall"},
	} {
		f, err := parseProbe(tc.spec)
		if err != nil {
			t.Errorf("%s: %v", tc.spec, err)
			continue
		}
		if f.probeType != tc.typ || f.target != tc.target {
			t.Errorf("%s: got %s %s, want %s %s", tc.spec, f.probeType, f.target, tc.typ, tc.target)
		}
	}
	for _, tc := range []struct{ spec, msg string }{
		{"uprobe:foo:bar", `unknown type "uprobe"`},
		{"tp:", "no target"},
		{"tp:skb:kfree_skb/", "empty option"},
		{"k:ip_[rcv", "bad wildcard"},
	} {
		if _, err := parseProbe(tc.spec); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: error %v, want one saying %q", tc.spec, err, tc.msg)
		}
	}
}

// TestProbeSelection exports one probe at a time from Retis's events and
// checks the count against the interfaces of Retis's own capture.
func TestProbeSelection(t *testing.T) {
	for _, tc := range []struct {
		probe   string
		packets int
		ifaces  []string
	}{
		{"tp:net:netif_receive_skb", 8, []string{"raw_tracepoint/net:netif_receive_skb"}},
		{"raw_tracepoint:net:netif_receive_skb", 8, []string{"raw_tracepoint/net:netif_receive_skb"}},
		{"net:netif_receive_skb", 8, []string{"raw_tracepoint/net:netif_receive_skb"}},
		{"tp:netif_receive_skb", 8, []string{"raw_tracepoint/net:netif_receive_skb"}},
		{"tp:net:net_dev_start_xmit", 8, []string{"raw_tracepoint/net:net_dev_start_xmit"}},
		{"kr:ovs_dp_upcall", 2, []string{"kretprobe/ovs_dp_upcall"}},
		{"kretprobe:ovs_dp_upcall/stack", 2, []string{"kretprobe/ovs_dp_upcall"}},
		{"tp:skb:kfree_skb", 2, []string{"raw_tracepoint/skb:kfree_skb"}},
		{"tp:openvswitch:*", 6, []string{"raw_tracepoint/openvswitch:ovs_dp_upcall", "raw_tracepoint/openvswitch:ovs_do_execute_action"}},
	} {
		out, n, err := export(t, "test_events_packets.json", Options{Probe: tc.probe})
		if err != nil {
			t.Errorf("%s: %v", tc.probe, err)
			continue
		}
		if n != tc.packets {
			t.Errorf("%s: %d packets, want %d", tc.probe, n, tc.packets)
		}
		var ifaces []string
		epbs := 0
		for _, b := range splitBlocks(t, out) {
			switch b.typ {
			case blockInterface:
				opts := splitOptions(t, b.body[8:])
				ifaces = append(ifaces, string(opts[0].val))
			case blockEnhancedPacket:
				if p := parseEPB(t, b); int(p.iface) >= len(ifaces) {
					t.Errorf("%s: packet on interface %d before its description", tc.probe, p.iface)
				}
				epbs++
			}
		}
		if strings.Join(ifaces, ",") != strings.Join(tc.ifaces, ",") || epbs != n {
			t.Errorf("%s: interfaces %v and %d packets, want %v and %d", tc.probe, ifaces, epbs, tc.ifaces, n)
		}
	}
}

func TestProbeNotFound(t *testing.T) {
	out, n, err := export(t, "test_events_packets.json", Options{Probe: "tp:net:napi_gro_receive_entry"})
	if !errors.Is(err, ErrProbeNotFound) {
		t.Fatalf("error %v, want ErrProbeNotFound", err)
	}
	// The message lists the probes the user can pick from, in a form
	// --probe accepts.
	for _, p := range []string{"kretprobe:ovs_dp_upcall", "raw_tracepoint:net:net_dev_start_xmit", "raw_tracepoint:skb:kfree_skb", "tp:net:napi_gro_receive_entry"} {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not name %s", err, p)
		}
	}
	if n != 0 || len(out) != 0 {
		t.Errorf("wrote %d packets, %d bytes", n, len(out))
	}
	// Every listed probe must select packets when passed back.
	_, list, _ := strings.Cut(err.Error(), "probes with packets in the input: ")
	for _, p := range strings.Split(list, ", ") {
		if _, n, err := export(t, "test_events_packets.json", Options{Probe: p}); err != nil || n == 0 {
			t.Errorf("listed probe %s: %d packets, %v", p, n, err)
		}
	}
}

func TestNoPacketInInput(t *testing.T) {
	out, n, err := export(t, "test_events_bench.json", Options{})
	if !errors.Is(err, ErrNoPacket) || !strings.Contains(err.Error(), "pcap profile") {
		t.Fatalf("error %v, want ErrNoPacket with a hint", err)
	}
	if n != 0 || len(out) != 0 {
		t.Errorf("wrote %d packets, %d bytes", n, len(out))
	}
	// A probe present without packets is told apart from an absent one.
	_, _, err = export(t, "test_events_bench.json", Options{Probe: "k:tcp_v4_rcv"})
	if !errors.Is(err, ErrNoPacket) {
		t.Fatalf("error %v, want ErrNoPacket", err)
	}
}

func TestInvalidProbeSpec(t *testing.T) {
	if _, err := NewWriter(nil, nil, Options{Probe: "bogus:a:b"}); err == nil || !strings.Contains(err.Error(), "unknown type") {
		t.Fatalf("error %v, want an unknown type error", err)
	}
}

// TestSkippedEventsCounted mixes events without packets and of other
// probes into a stream and checks the counts and the warning.
func TestSkippedEventsCounted(t *testing.T) {
	evs := packetEvents(t, "test_events_packets.json")
	var warned []string
	w, err := NewWriter(discard{}, nil, Options{Probe: "tp:net:netif_receive_skb", Warn: func(m string) { warned = append(warned, m) }})
	if err != nil {
		t.Fatal(err)
	}
	noPacket := *evs[1] // netif_receive_skb
	noPacket.Packet = nil
	user := &events.Event{Common: evs[0].Common, Userspace: &events.User{ProbeType: "usdt", Symbol: "x"}}
	for _, e := range append(evs, &noPacket, &noPacket, user) {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	s := w.Stats()
	if s.Packets != 8 || s.NoPacket != 2 || s.OtherProbe != 26-8+1 || s.Interfaces != 1 {
		t.Errorf("stats %+v", s)
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "2 event(s)") {
		t.Errorf("warnings %q", warned)
	}
}

func TestEventWithoutCommon(t *testing.T) {
	w, err := NewWriter(discard{}, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := &events.Event{Kernel: &events.Kernel{ProbeType: "kprobe", Symbol: "ip_rcv"}, Packet: &events.Packet{Len: 1, CaptureLen: 1, Data: []byte{1}}}
	if err := w.Write(e); err == nil || !strings.Contains(err.Error(), "no common section") {
		t.Fatalf("error %v", err)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
