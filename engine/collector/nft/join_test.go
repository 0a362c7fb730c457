package nft

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/retis-go/retis/engine/events"
)

const (
	testNetns = 4026532999
	ms        = uint64(time.Millisecond)
	testBase  = 1_000 * uint64(time.Second)
)

// skbEvent is a packet event as the skb collectors write it.
func skbEvent(frame []byte, ts uint64, netns uint32, symbol string, drop bool) *events.Event {
	e := &events.Event{
		Common:      &events.Common{Timestamp: ts, Task: &events.Task{Pid: 42, Tgid: 42, Comm: "sender"}},
		Kernel:      &events.Kernel{Symbol: symbol, ProbeType: events.ProbeRawTracepoint},
		SkbTracking: &events.SkbTracking{OrigHead: 0xffff888000001000, Timestamp: testBase - ms, Skb: 0xffff888000002000},
		Packet:      &events.Packet{Len: uint32(len(frame)), CaptureLen: uint32(len(frame)), Data: frame},
		Netns:       &events.Netns{Inum: netns},
		Dev:         &events.Dev{Name: "vb", Ifindex: 2},
	}
	if drop {
		e.SkbDrop = &events.SkbDrop{DropReason: "NETFILTER_DROP"}
	}
	return e
}

// trace is a verdict on the packet, as a listener returns it.
func trace(p testPacket, t *testing.T, v Verdict, received uint64) *Trace {
	_, l3, l4 := p.frame(t)
	return &Trace{
		ID: 99, Type: TraceRule, Family: 1, Table: "retis_test", Chain: "input",
		TableHandle: 1, ChainHandle: 1, RuleHandle: 2, HasRuleHandle: true, Verdict: v,
		Iif: 2, IifType: 1, IifName: "vb", NFProto: 2,
		Headers: Headers{Network: l3, Transport: l4}, Received: received, Netns: testNetns,
	}
}

func TestJoinDropBeforeSkbDrop(t *testing.T) {
	p := testPacket{id: 0x4242, sport: 40000, dport: 9999, payload: "hello"}
	frame, _, _ := p.frame(t)
	j := NewJoiner(JoinOptions{Window: 10 * time.Millisecond})
	rx := skbEvent(frame, testBase, testNetns, "net:netif_receive_skb", false)
	j.AddPacket(rx)
	j.AddTrace(trace(p, t, VerdictDrop, testBase+300_000))
	// The drop event comes from the ring buffer after the verdict was read.
	drop := skbEvent(frame, testBase+200_000, testNetns, "skb:kfree_skb", true)
	j.AddPacket(drop)

	if out := j.Flush(testBase + 300_000 + 9*ms); len(out) != 0 {
		t.Fatalf("emitted %d events before the window passed", len(out))
	}
	out := j.Flush(testBase + 300_000 + 10*ms)
	if len(out) != 1 {
		t.Fatalf("got %d events, want 1", len(out))
	}
	e := out[0]
	if e.Nft == nil || e.Nft.Verdict != "drop" || e.Nft.TableName != "retis_test" || *e.Nft.RuleHandle != 2 {
		t.Fatalf("nft section %+v", e.Nft)
	}
	if e.Common.Timestamp != drop.Common.Timestamp-1 {
		t.Errorf("drop placed at %d, want just before the skb-drop event at %d", e.Common.Timestamp, drop.Common.Timestamp)
	}
	if *e.SkbTracking != *drop.SkbTracking || e.Common.Task.Comm != "sender" || e.Dev.Name != "vb" ||
		e.Netns.Inum != testNetns || !bytes.Equal(e.Packet.Data, frame) {
		t.Errorf("joined event lacks the packet event's sections: %+v", e)
	}
	if e.Kernel.ProbeType != ProbeNetlink || e.Kernel.Symbol != SymbolNetlink {
		t.Errorf("kernel section %+v", e.Kernel)
	}
	if s := j.Stats(); s.Matched != 1 || s.Unmatched != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestJoinAcceptAfterLastEvent(t *testing.T) {
	p := testPacket{id: 0x4243, sport: 40000, dport: 9998, payload: "hello"}
	frame, _, _ := p.frame(t)
	at := func(d uint64, symbol string, drop bool) *events.Event {
		return skbEvent(frame, testBase+d, testNetns, symbol, drop)
	}
	received := testBase + 100_000
	for _, tc := range []struct {
		name   string
		events []*events.Event
		want   uint64
	}{
		{"after the last event read before it", []*events.Event{
			at(50_000, "net:napi_gro_receive_entry", false), at(0, "net:netif_receive_skb", false),
			at(90_000, "ip_rcv", false), at(500_000, "skb:consume_skb", false),
		}, testBase + 90_001},
		{"never after the packet's drop", []*events.Event{
			at(0, "net:netif_receive_skb", false), at(50_000, "ip_rcv", false),
			at(70_000, "skb:kfree_skb", true), at(90_000, "skb:kfree_skb", false),
		}, testBase + 50_001},
		{"before the packet's events all read after it", []*events.Event{
			at(300_000, "ip_rcv", false), at(200_000, "net:netif_receive_skb", false),
		}, testBase + 199_999},
	} {
		j := NewJoiner(JoinOptions{Window: 10 * time.Millisecond})
		for _, e := range tc.events {
			j.AddPacket(e)
		}
		j.AddTrace(trace(p, t, VerdictAccept, received))
		out := j.Flush(received + 10*ms)
		if len(out) != 1 || out[0].Common.Timestamp != tc.want {
			t.Errorf("%s: accept placed at %v, want %d", tc.name, out, tc.want)
		}
	}
}

func TestJoinRefuses(t *testing.T) {
	p := testPacket{id: 0x4244, sport: 40000, dport: 9999, payload: "hello"}
	other := p
	other.id = 0x4245
	frame, _, _ := p.frame(t)
	otherFrame, _, _ := other.frame(t)
	j := NewJoiner(JoinOptions{Window: 10 * time.Millisecond, Lookback: 10 * time.Millisecond})
	j.AddPacket(skbEvent(otherFrame, testBase, testNetns, "skb:kfree_skb", true))                                // another IP id
	j.AddPacket(skbEvent(frame, testBase, testNetns+1, "skb:kfree_skb", true))                                   // another namespace
	j.AddPacket(skbEvent(frame, testBase-20*ms, testNetns, "skb:kfree_skb", true))                               // too early
	j.AddPacket(&events.Event{Common: &events.Common{Timestamp: testBase}, Packet: &events.Packet{Data: frame}}) // untracked
	tr := trace(p, t, VerdictDrop, testBase+100_000)
	j.AddTrace(tr)
	out := j.FlushAll()
	if len(out) != 1 {
		t.Fatalf("got %d events, want 1", len(out))
	}
	e := out[0]
	if e.SkbTracking != nil {
		t.Fatalf("verdict joined a packet it does not belong to: %+v", e.SkbTracking)
	}
	// Unmatched, it still says what the trace carried.
	if e.Common.Timestamp != tr.Received || e.Netns.Inum != testNetns || e.Dev.Ifindex != 2 || e.Dev.Name != "vb" ||
		e.Nft.Verdict != "drop" || e.Packet == nil {
		t.Fatalf("unmatched event %+v", e)
	}
	if k, ok := keyFromFrame(e.Packet.Data); !ok || k != mustKey(t, frame) {
		t.Errorf("unmatched event's packet does not rebuild the traced packet")
	}
	if s := j.Stats(); s.Matched != 0 || s.Unmatched != 1 || s.Headless != 0 {
		t.Errorf("stats %+v", s)
	}

	headless := trace(p, t, VerdictAccept, testBase)
	headless.Headers = Headers{}
	j.AddTrace(headless)
	if out := j.FlushAll(); len(out) != 1 || out[0].Packet != nil {
		t.Fatalf("headless verdict: %v", out)
	}
	if s := j.Stats(); s.Headless != 1 {
		t.Errorf("stats %+v", s)
	}
}

func mustKey(t *testing.T, frame []byte) packetKey {
	k, ok := keyFromFrame(frame)
	if !ok {
		t.Fatal("no key")
	}
	return k
}

func TestJoinNamespaces(t *testing.T) {
	p := testPacket{id: 0x4247, sport: 40000, dport: 9999, payload: "hello"}
	frame, _, _ := p.frame(t)
	j := NewJoiner(JoinOptions{Namespaces: []uint32{testNetns}})
	j.AddPacket(skbEvent(frame, testBase, testNetns+1, "skb:kfree_skb", true))
	j.AddPacket(skbEvent(frame, testBase, testNetns, "skb:kfree_skb", true))
	if len(j.order) != 1 {
		t.Fatalf("%d events indexed, want only the watched namespace's", len(j.order))
	}
}

// A verdict read long after its packet went by (a listener kept off the
// CPU) still joins it, within the lookback.
func TestJoinLateRead(t *testing.T) {
	p := testPacket{id: 0x4248, sport: 40002, dport: 9999, payload: "slow"}
	frame, _, _ := p.frame(t)
	j := NewJoiner(JoinOptions{Window: 10 * time.Millisecond})
	j.AddPacket(skbEvent(frame, testBase, testNetns, "skb:kfree_skb", true))
	j.AddTrace(trace(p, t, VerdictDrop, testBase+700*ms))
	out := j.FlushAll()
	if len(out) != 1 || out[0].SkbTracking == nil || out[0].Common.Timestamp != testBase-1 {
		t.Fatalf("late verdict not placed before its drop: %+v", out)
	}
}

func TestJoinPrunes(t *testing.T) {
	j := NewJoiner(JoinOptions{Window: 10 * time.Millisecond, Lookback: 10 * time.Millisecond})
	for i := range 100 {
		f, _, _ := testPacket{id: uint16(i), sport: 1, dport: 2}.frame(t)
		j.AddPacket(skbEvent(f, testBase+uint64(i)*ms, testNetns, "tp", false))
	}
	j.Flush(testBase + 50*ms)
	// Events older than window + lookback (< 30 ms) are gone, the
	// others kept.
	if n := len(j.packets); n != 70 {
		t.Fatalf("%d packets indexed after pruning, want 70", n)
	}
	j.Flush(testBase + 200*ms)
	if len(j.packets) != 0 || len(j.order) != 0 {
		t.Fatalf("%d packets left", len(j.packets))
	}
}

func TestJoinRun(t *testing.T) {
	p := testPacket{id: 0x4246, sport: 40000, dport: 9999, payload: "hello"}
	frame, _, _ := p.frame(t)
	j := NewJoiner(JoinOptions{Window: time.Millisecond})
	now := monotonicNow()
	j.AddPacket(skbEvent(frame, now, testNetns, "skb:kfree_skb", true))
	traces := make(chan *Trace, 2)
	traces <- trace(p, t, VerdictDrop, now)
	var got []*events.Event
	done := make(chan struct{})
	go func() {
		j.Run(context.Background(), traces, time.Millisecond, func(e *events.Event) { got = append(got, e) })
		close(done)
	}()
	deadline := time.Now().Add(time.Second)
	for j.Stats().Matched == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	traces <- trace(p, t, VerdictAccept, monotonicNow()+uint64(time.Hour)) // emitted by the final flush
	close(traces)
	<-done
	if len(got) != 2 || got[0].Nft.Verdict != "drop" || got[0].SkbTracking == nil || got[1].Nft.Verdict != "accept" {
		t.Fatalf("Run emitted %v", got)
	}
}

func TestJoinUnmatchedFilter(t *testing.T) {
	kept := testPacket{id: 1, sport: 40000, dport: 8080, payload: "x"}
	hidden := testPacket{id: 2, sport: 40000, dport: 9999, payload: "x"}
	var seen int
	j := NewJoiner(JoinOptions{Unmatched: func(e *events.Event) bool {
		seen++
		k, ok := keyFromFrame(e.Packet.Data)
		return ok && k.dport == 8080 // stands for `-f 'udp port 8080'`
	}})
	matched := hidden
	matched.id = 3
	frame, _, _ := matched.frame(t)
	j.AddPacket(skbEvent(frame, testBase, testNetns, "skb:kfree_skb", true))
	j.AddTrace(trace(kept, t, VerdictDrop, testBase))
	j.AddTrace(trace(hidden, t, VerdictDrop, testBase))
	j.AddTrace(trace(matched, t, VerdictDrop, testBase))
	out := j.FlushAll()
	if len(out) != 2 || out[0].SkbTracking != nil || out[1].SkbTracking == nil {
		t.Fatalf("got %d events, want the kept unmatched verdict and the matched one", len(out))
	}
	if seen != 2 {
		t.Errorf("filter asked %d times, want only for the 2 unmatched verdicts", seen)
	}
	if s := j.Stats(); s.Matched != 1 || s.Unmatched != 1 || s.Hidden != 1 {
		t.Errorf("stats %+v", s)
	}
}

// A verdict waits for the packet events, not for the wall clock: with a
// Clock saying the decoder is behind, Run keeps the verdict queued, and a
// packet event added late still joins it.
func TestJoinRunWaitsForClock(t *testing.T) {
	p := testPacket{id: 0x4247, sport: 40001, dport: 9999, payload: "late"}
	frame, _, _ := p.frame(t)
	var added atomic.Uint64 // the decoder has seen nothing yet
	j := NewJoiner(JoinOptions{Window: time.Millisecond, Clock: added.Load})
	now := monotonicNow()
	traces := make(chan *Trace, 1)
	traces <- trace(p, t, VerdictDrop, now)
	var got []*events.Event
	done := make(chan struct{})
	go func() {
		j.Run(context.Background(), traces, time.Millisecond, func(e *events.Event) { got = append(got, e) })
		close(done)
	}()
	time.Sleep(50 * time.Millisecond) // 50 windows of wall time
	if s := j.Stats(); s.Matched+s.Unmatched != 0 {
		t.Fatalf("verdict emitted before the packet events caught up: %+v", s)
	}
	j.AddPacket(skbEvent(frame, now-1000, testNetns, "skb:kfree_skb", true))
	added.Store(monotonicNow())
	deadline := time.Now().Add(time.Second)
	for j.Stats().Matched == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	close(traces)
	<-done
	if len(got) != 1 || got[0].SkbTracking == nil {
		t.Fatalf("Run emitted %v, want the verdict joined", got)
	}
}
