package nft

import (
	"github.com/retis-go/retis/vm/vmtest"

	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/retis-go/retis/engine/events"
)

func TestNewRefusesWithoutSystemChanges(t *testing.T) {
	_, err := New(Config{Verdicts: DefaultVerdicts})
	if !errors.Is(err, ErrSystemChangesNotAllowed) {
		t.Fatalf("got %v, want ErrSystemChangesNotAllowed", err)
	}
	for _, want := range []string{"--allow-system-changes", "inet Retis_Table", "nftrace", "removes it on exit"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
}

// requireNftTrace skips when the kernel cannot trace nf_tables verdicts.
func requireNftTrace(t *testing.T) {
	t.Helper()
	requireRoot(t)
	// The VM tier's kernels all have it: there a missing trace fails.
	vmtest.SkipIfNotSupported(t, "nft-trace", HaveNftTrace())
}

func TestHaveNftTrace(t *testing.T) {
	requireRoot(t)
	// nf_tables is built into the kernels this project tests on: a
	// failure here is a broken probe, not a missing feature.
	if err := HaveNftTrace(); err != nil {
		t.Fatal(err)
	}
	i := Inspect()
	if i.InUse == "" {
		t.Fatalf("inspect: %s", i)
	}
	// The kprobe source is the best where functions can be probed.
	kprobe := haveFunctionProbes() == nil
	if i.Sources[0].Source != SourceKprobe || (i.Sources[0].Err == nil) != kprobe ||
		!strings.Contains(i.String(), "source "+string(i.InUse)) {
		t.Errorf("inspect: %s (function probes: %v)", i, haveFunctionProbes())
	}
	t.Log(i)
}

func TestCollector(t *testing.T) {
	requireNftTrace(t)
	a, b := testNamespace(t), testNamespace(t)
	_, ipB := vethPair(t, a, b)
	dt := addDropTable(t, b, 9999)
	c, err := New(Config{AllowSystemChanges: true, Netns: []string{b.Spec}, Verdicts: VerdictDrop.bit()})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if ns := c.Namespaces(); len(ns) != 1 || ns[0].Inum != b.Inum {
		t.Fatalf("watching %v, want only %s", ns, b)
	}
	checkTraceTable(t, b)
	if retisChains(t, a) != nil {
		t.Fatal("Retis_Table installed in a namespace not asked for")
	}

	sport := sendUDP(t, a, ipB, 9999, []byte("dropped"))
	var got *Trace
	timeout := time.After(5 * time.Second)
	for got == nil {
		select {
		case tr := <-c.Traces():
			if len(udpOf([]*Trace{tr}, sport)) == 1 {
				got = tr
			}
		case <-timeout:
			t.Fatal("no trace of the dropped packet within 5 s")
		}
	}
	if got.Verdict != VerdictDrop || got.RuleHandle != dt.ruleHandle || got.Netns != b.Inum {
		t.Errorf("trace %+v", got)
	}

	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if retisChains(t, b) != nil {
		t.Fatal("Retis_Table left after Close")
	}
	for range c.Traces() {
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestOpenNamespaces(t *testing.T) {
	a := testNamespace(t)
	cur, err := CurrentNamespace()
	if err != nil {
		t.Fatal(err)
	}
	defer cur.Close()

	ns, err := OpenNamespaces([]string{"all"})
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll(ns)
	inums := make([]uint32, len(ns))
	for i, n := range ns {
		inums[i] = n.Inum
	}
	if !slices.Contains(inums, cur.Inum) || !slices.Contains(inums, a.Inum) {
		t.Errorf("all: %v lacks the current netns %d or the test's %d", inums, cur.Inum, a.Inum)
	}
	slices.Sort(inums)
	if len(slices.Compact(inums)) != len(ns) {
		t.Errorf("all: a namespace opened twice: %v", ns)
	}

	byPath, err := OpenNamespaces([]string{"/run/netns/" + a.Spec, a.Spec, ""})
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll(byPath)
	if len(byPath) != 2 || byPath[0].Inum != a.Inum || byPath[1].Inum != cur.Inum {
		t.Errorf("path, name and current: got %v", byPath)
	}

	_, err = OpenNamespace("retis-no-such-netns")
	if err == nil || !strings.Contains(err.Error(), "ip netns list") {
		t.Errorf("unknown name: %v, want a hint", err)
	}
}

// TestJoinLiveTrace joins a verdict read from the kernel to a packet event
// built from the same packet's bytes, and refuses one with another IP id.
func TestJoinLiveTrace(t *testing.T) {
	requireNftTrace(t)
	a, b, ipB, dt := tracedSetup(t, 9999)
	l, err := Listen(b, ListenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	sport := sendUDP(t, a, ipB, 9999, []byte("dropped"))
	d := udpOf(readTraces(t, l, 300*time.Millisecond), sport)
	if len(d) != 1 || d[0].Verdict != VerdictDrop {
		t.Fatalf("traces of the dropped packet: %v", d)
	}
	tr := d[0]
	h := tr.Headers
	if len(h.Link) != ethHdrLen || len(h.Transport) != 8+len("dropped") {
		t.Fatalf("headers %d/%d/%d bytes, want a whole small UDP packet", len(h.Link), len(h.Network), len(h.Transport))
	}
	frame := slices.Concat(h.Link, h.Network, h.Transport)
	otherID := slices.Clone(frame)
	otherID[ethHdrLen+5]++

	for _, tc := range []struct {
		name  string
		frame []byte
		join  bool
	}{{"same packet", frame, true}, {"another IP id", otherID, false}} {
		j := NewJoiner(JoinOptions{})
		pkt := skbEvent(tc.frame, tr.Received-100_000, b.Inum, "skb:kfree_skb", true)
		j.AddPacket(pkt)
		j.AddTrace(tr)
		out := j.FlushAll()
		if len(out) != 1 {
			t.Fatalf("%s: %d events", tc.name, len(out))
		}
		e := out[0]
		if joined := e.SkbTracking != nil; joined != tc.join {
			t.Fatalf("%s: joined %v, want %v", tc.name, joined, tc.join)
		}
		want := events.Nft{TableName: dt.table, ChainName: dt.chain, Verdict: "drop",
			TableHandle: int64(tr.TableHandle), ChainHandle: int64(tr.ChainHandle)}
		got := *e.Nft
		if got.RuleHandle == nil || *got.RuleHandle != int64(dt.ruleHandle) {
			t.Fatalf("%s: rule handle %v, want %d", tc.name, got.RuleHandle, dt.ruleHandle)
		}
		got.RuleHandle = nil
		if got != want || tr.TableHandle == 0 || tr.ChainHandle == 0 {
			t.Errorf("%s: nft section %+v, want %+v", tc.name, got, want)
		}
		if tc.join && e.Common.Timestamp != pkt.Common.Timestamp-1 {
			t.Errorf("%s: placed at %d, want just before the drop at %d", tc.name, e.Common.Timestamp, pkt.Common.Timestamp)
		}
		if !tc.join && !slices.Equal(e.Packet.Data, frame) {
			t.Errorf("%s: unmatched event's packet is not the traced one", tc.name)
		}
	}
}
