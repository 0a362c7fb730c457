package output

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/retis-go/retis/engine/events"
)

// compatDir holds files written by Retis itself; they are read in place.
const compatDir = "../../../shared/retis-compat"

func compatPath(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(compatDir, name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("Retis reference file missing: %v (the tests expect ../shared beside the clone)", err)
	}
	return p
}

func readEvents(t testing.TB, name string) []*events.Event {
	t.Helper()
	r, err := events.Open(compatPath(t, name), events.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []*events.Event
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
}

// retisComments returns the comments of the packets of a pcap-ng file, in
// file order, with their timestamps in nanoseconds.
func retisComments(t testing.TB, name string) (comments []string, stamps []int64) {
	t.Helper()
	f, err := os.Open(compatPath(t, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	for {
		_, ci, opts, err := r.ReadPacketDataWithOptions()
		if errors.Is(err, io.EOF) {
			return comments, stamps
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(opts.Comments) != 1 {
			t.Fatalf("packet %d has %d comments, want 1", len(comments)+1, len(opts.Comments))
		}
		comments = append(comments, opts.Comments[0])
		stamps = append(stamps, ci.Timestamp.UnixNano())
	}
}

// TestGoldenPcapComments renders every packet event of Retis's test file
// and compares it with the rendering Retis stored as packet comment in the
// pcap-ng it wrote from the same file.
func TestGoldenPcapComments(t *testing.T) {
	evs := readEvents(t, "test_events_packets.json")
	comments, stamps := retisComments(t, "test_events_packets.pcap")

	var offset *events.TimeSpec
	var withPacket []*events.Event
	for _, e := range evs {
		if e.Startup != nil {
			offset = &e.Startup.ClockMonotonicOffset
		}
		if e.Packet != nil {
			withPacket = append(withPacket, e)
		}
	}
	if offset == nil {
		t.Fatal("no startup event in test_events_packets.json")
	}
	if len(withPacket) != len(comments) || len(comments) != 26 {
		t.Fatalf("%d events with a packet, %d pcap comments; want 26 each", len(withPacket), len(comments))
	}

	f := &Format{Multiline: true}
	for i, e := range withPacket {
		// Match by time: the pcap timestamp is the monotonic one plus
		// the startup clock offset.
		if want := offset.Nanos() + int64(e.Common.Timestamp); stamps[i] != want {
			t.Fatalf("packet %d: pcap time %d, event time %d: files do not match", i+1, stamps[i], want)
		}
		got := string(AppendEvent(nil, e, f))
		if got != comments[i] {
			t.Errorf("event %d (%d):\n got: %q\nwant: %q", i+1, e.Common.Timestamp, got, comments[i])
		}
	}
}

// TestFirstEventLines checks the lines the issue names for the first
// net_dev_start_xmit event.
func TestFirstEventLines(t *testing.T) {
	evs := readEvents(t, "test_events_packets.json")
	var e *events.Event
	for _, x := range evs {
		if x.Kernel != nil && x.Kernel.Symbol == "net:net_dev_start_xmit" {
			e = x
			break
		}
	}
	if e == nil {
		t.Fatal("no net_dev_start_xmit event")
	}
	lines := strings.Split(string(AppendEvent(nil, e, &Format{Multiline: true})), "\n")
	want := []string{
		"  192.168.125.10 > 192.168.125.11 tos 0x0 ttl 64 id 41977 off 0 [DF] len 84 proto ICMP (1) type 8 code 0",
		"  ns 0x3/4026532741 if 11 (veth-ns01)",
	}
	if len(lines) != 5 {
		t.Fatalf("got %d lines, want 5:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	if lines[1] != want[0] || lines[2] != want[1] {
		t.Errorf("packet and ns lines:\n%s\n%s\nwant:\n%s\n%s", lines[1], lines[2], want[0], want[1])
	}
	if !strings.HasPrefix(lines[3], "  skb [") {
		t.Errorf("line 4 is not the skb line: %q", lines[3])
	}
	if !strings.HasPrefix(lines[4], "  ct_state NEW ") {
		t.Errorf("line 5 is not the ct line: %q", lines[4])
	}
}
