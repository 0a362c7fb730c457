package tracking

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/retis-go/retis/engine/events"
)

// pkt returns an event of the packet with tracking timestamp tts and
// head at time ts.
func pkt(ts, tts, head uint64) *events.Event {
	return &events.Event{
		Common:      &events.Common{Timestamp: ts},
		Kernel:      &events.Kernel{Symbol: "net:netif_receive_skb", ProbeType: events.ProbeRawTracepoint},
		SkbTracking: &events.SkbTracking{Timestamp: tts, OrigHead: head, Skb: head + 1},
	}
}

func plain(ts uint64) *events.Event {
	return &events.Event{Common: &events.Common{Timestamp: ts}}
}

// collector records emitted series.
type collector struct{ got []Series }

func (c *collector) emit(s Series) error { c.got = append(c.got, s); return nil }

func timestamps(s Series) []uint64 {
	var out []uint64
	for _, e := range s {
		out = append(out, e.Timestamp())
	}
	return out
}

func TestWindowEmitsEarly(t *testing.T) {
	var c collector
	s := NewSorter(Options{Window: 100 * time.Nanosecond}, c.emit)
	for _, e := range []*events.Event{pkt(1000, 1000, 1), pkt(1010, 1000, 1), plain(1020), pkt(1050, 1050, 2)} {
		if err := s.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.got) != 0 {
		t.Fatalf("emitted %d series before any could be complete", len(c.got))
	}
	// 1110 is exactly the window past packet 1's last event: it may still grow.
	s.Add(plain(1110))
	if len(c.got) != 0 {
		t.Fatalf("series emitted at the window's edge")
	}
	s.Add(plain(1121))
	// Packet 1 (last 1010) and the event at 1020 are complete; packet 2
	// (1050) is not.
	if len(c.got) != 2 || !reflect.DeepEqual(timestamps(c.got[0]), []uint64{1000, 1010}) || !reflect.DeepEqual(timestamps(c.got[1]), []uint64{1020}) {
		t.Fatalf("emitted %v", c.got)
	}
	if len(s.skb) != 1 || len(s.pending) != 3 || s.held != 3 {
		t.Fatalf("kept %d ids, %d series, %d events after flushing", len(s.skb), len(s.pending), s.held)
	}
	// A late event of packet 1 starts a new series.
	s.Add(pkt(1130, 1000, 1))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var all [][]uint64
	for _, sr := range c.got {
		all = append(all, timestamps(sr))
	}
	want := [][]uint64{{1000, 1010}, {1020}, {1130}, {1050}, {1110}, {1121}}
	if !reflect.DeepEqual(all, want) {
		t.Fatalf("series %v, want %v", all, want)
	}
	if c.got[2][0].Tracking == nil || c.got[2][0].Tracking.Idx != 0 {
		t.Fatalf("late event tracking %+v", c.got[2][0].Tracking)
	}
	if err := s.Add(plain(2000)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Add after Close: %v", err)
	}
}

func TestOrderTies(t *testing.T) {
	evs := []*events.Event{pkt(500, 500, 9), pkt(500, 500, 3), plain(500), plain(400), pkt(600, 450, 7)}
	got := sortEvents(t, evs, Options{})
	g := groups(t, evs, got)
	// By timestamp (tracking timestamp for a series, its own for an
	// untracked event); an untracked event before a series of the same
	// time, as Retis; series of the same time by original head.
	want := [][]int{{3}, {4}, {2}, {1}, {0}}
	if !reflect.DeepEqual(g, want) {
		t.Fatalf("series %v, want %v", g, want)
	}
	if got[2][0].Tracking != nil {
		t.Fatalf("untracked event gained tracking %+v", got[2][0].Tracking)
	}
}

// TestOutOfOrder feeds the events of interleaved packets shuffled within
// less than the window: every series must come out whole, in time order,
// with idx its position, and the series in tracking order.
func TestOutOfOrder(t *testing.T) {
	const (
		packets = 200
		per     = 6
		window  = 50_000
	)
	var evs []*events.Event
	for p := range packets {
		start := uint64(1_000_000 + p*1000)
		for j := range per {
			evs = append(evs, pkt(start+uint64(j)*3000, start, uint64(p)))
		}
	}
	// Time order, then displaced by up to 20 µs: well inside the window.
	rng := rand.New(rand.NewPCG(1, 2))
	key := make(map[*events.Event]uint64, len(evs))
	for _, e := range evs {
		key[e] = e.Timestamp() + rng.Uint64N(20_000)
	}
	order := append([]*events.Event(nil), evs...)
	sortByKey(order, key)
	got := sortEvents(t, order, Options{Window: window})
	if len(got) != packets {
		t.Fatalf("%d series, want %d", len(got), packets)
	}
	for p, s := range got {
		if len(s) != per {
			t.Fatalf("series %d has %d events", p, len(s))
		}
		for j, e := range s {
			if e.SkbTracking.OrigHead != uint64(p) || e != evs[p*per+j] {
				t.Fatalf("series %d event %d is %+v", p, j, e.SkbTracking)
			}
		}
		checkTracking(t, s, *s[0].SkbTracking)
	}
}

func sortByKey(evs []*events.Event, key map[*events.Event]uint64) {
	for i := 1; i < len(evs); i++ {
		for j := i; j > 0 && key[evs[j]] < key[evs[j-1]]; j-- {
			evs[j], evs[j-1] = evs[j-1], evs[j]
		}
	}
}

// synth generates a stream in time order: a packet starts every gap ns
// and has per events gap ns apart, so per packets are in flight at once;
// every untrackedEvery-th event carries no tracking.
type synth struct {
	gap, per, untrackedEvery uint64
	i                        uint64
}

func (g *synth) next() *events.Event {
	i := g.i
	g.i++
	slot, j := i/g.per, i%g.per
	ts := 1_000_000_000 + slot*g.gap
	if g.untrackedEvery > 0 && i%g.untrackedEvery == 0 {
		return plain(ts)
	}
	p := slot - min(j, slot)
	return pkt(ts, 1_000_000_000+p*g.gap, p)
}

// TestBoundedLiveSet feeds a million events with a small window and checks
// that only the series that can still grow are held, and that emitted
// events are not retained.
func TestBoundedLiveSet(t *testing.T) {
	const n = 1_000_000
	if testing.Short() {
		t.Skip("feeds a million events")
	}
	g := &synth{gap: 1000, per: 4, untrackedEvery: 97}
	var series, evCount int
	var prevTs uint64
	s := NewSorter(Options{Window: 10 * time.Microsecond}, func(sr Series) error {
		series++
		evCount += len(sr)
		if sr[0].Tracking != nil {
			if ts := sr[0].Tracking.Skb.Timestamp; ts < prevTs {
				return errors.New("series out of order")
			} else {
				prevTs = ts
			}
		}
		return nil
	})
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	// A series completes 10 µs after its last event, 3 µs after its
	// first: about 14 packets and 14 untracked events are held at a time.
	const bound = 40
	for range n {
		if err := s.Add(g.next()); err != nil {
			t.Fatal(err)
		}
		if len(s.pending) > bound || len(s.skb) > bound || s.held > bound*4 {
			t.Fatalf("after %d events: %d series, %d ids, %d events held", g.i, len(s.pending), len(s.skb), s.held)
		}
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 8<<20 {
		t.Fatalf("heap grew by %d bytes over %d events: emitted series are retained", grown, n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if evCount != n {
		t.Fatalf("emitted %d events of %d", evCount, n)
	}
	if untracked := (n + 96) / 97; series < untracked+(n-untracked)/4 {
		t.Fatalf("only %d series", series)
	}
}

// TestMaxEvents checks that a packet that never ends cannot hold the
// others back past the cap: it is emitted in parts, as Retis does when
// its buffer is full.
func TestMaxEvents(t *testing.T) {
	var c collector
	s := NewSorter(Options{Window: time.Second, MaxEvents: 50}, c.emit)
	n := 0
	for i := range 1000 {
		ts := uint64(1_000_000 + i*1000)
		s.Add(pkt(ts, 1_000_000, 1)) // the endless packet, first in order
		s.Add(pkt(ts+1, ts+1, uint64(100+i)))
		n += 2
		if s.held > 50 {
			t.Fatalf("%d events held", s.held)
		}
	}
	s.Close()
	total, parts := 0, 0
	for _, sr := range c.got {
		total += len(sr)
		if sr[0].SkbTracking.OrigHead == 1 {
			parts++
			checkTracking(t, sr, sr[0].Tracking.Skb)
		}
	}
	if total != n || parts < 2 {
		t.Fatalf("%d events in %d series, the long packet in %d parts", total, len(c.got), parts)
	}
}

func TestUpcallLinksReleased(t *testing.T) {
	var c collector
	s := NewSorter(Options{Window: time.Microsecond}, c.emit)
	up := pkt(1000, 900, 5)
	up.OVS = &events.OVS{EventType: events.OVSUpcall, Upcall: &events.OVSUpcallEvent{CPU: 2}}
	enq := ovsEvent(1100, &events.OVS{EventType: events.OVSUpcallEnqueue, UpcallEnqueue: &events.OVSUpcallEnqueueEvent{UpcallTs: 1000, UpcallCPU: 2, QueueID: 77}})
	recv := ovsEvent(1500, &events.OVS{EventType: events.OVSRecvUpcall, RecvUpcall: &events.OVSRecvUpcallEvent{QueueID: 77}})
	act := pkt(1700, 1650, 6)
	act.OVS = &events.OVS{EventType: events.OVSActionExecute, Action: &events.OVSActionEvent{QueueID: u32(77)}}
	reinj := pkt(1800, 1650, 6)
	for _, e := range []*events.Event{up, enq, recv, act, reinj} {
		s.Add(e)
	}
	if len(s.skb) != 2 || len(s.queues) != 1 || len(s.upcalls) != 1 {
		t.Fatalf("links: %d ids, %d queues, %d upcalls", len(s.skb), len(s.queues), len(s.upcalls))
	}
	s.Add(plain(5000))
	if len(c.got) != 1 || len(c.got[0]) != 5 {
		t.Fatalf("emitted %v", c.got)
	}
	checkTracking(t, c.got[0], *up.SkbTracking)
	if len(s.skb) != 0 || len(s.queues) != 0 || len(s.upcalls) != 0 {
		t.Fatalf("links kept after emission: %d ids, %d queues, %d upcalls", len(s.skb), len(s.queues), len(s.upcalls))
	}
	// The queue is gone: a late handler event is a series of its own.
	late := ovsEvent(5001, &events.OVS{EventType: events.OVSFlowOperation, FlowOperation: &events.OVSOperationEvent{QueueID: 77}})
	s.Add(late)
	s.Close()
	if last := c.got[len(c.got)-1]; len(last) != 1 || last[0] != late || late.Tracking != nil {
		t.Fatalf("late event: %v", last)
	}
}

// TestUnlinkedFallsBack covers what Retis rejects: an enqueue whose upcall
// was not seen joins its own skb's series, a handler event with an
// unknown queue is a series of its own.
func TestUnlinkedFallsBack(t *testing.T) {
	enq := pkt(1100, 1000, 3)
	enq.OVS = &events.OVS{EventType: events.OVSUpcallEnqueue, UpcallEnqueue: &events.OVSUpcallEnqueueEvent{UpcallTs: 1, UpcallCPU: 1, QueueID: 8}}
	recv := ovsEvent(1200, &events.OVS{EventType: events.OVSRecvUpcall, RecvUpcall: &events.OVSRecvUpcallEvent{QueueID: 9}})
	evs := []*events.Event{pkt(1000, 1000, 3), enq, recv}
	got := sortEvents(t, evs, Options{})
	if g := groups(t, evs, got); !reflect.DeepEqual(g, [][]int{{0, 1}, {2}}) {
		t.Fatalf("series %v", g)
	}
}

func TestEmitErrorStops(t *testing.T) {
	boom := errors.New("boom")
	s := NewSorter(Options{Window: 10}, func(Series) error { return boom })
	s.Add(plain(1))
	if err := s.Add(plain(100)); !errors.Is(err, boom) {
		t.Fatalf("Add: %v", err)
	}
	if err := s.Close(); !errors.Is(err, boom) {
		t.Fatalf("Close: %v", err)
	}
}

// TestTimeGoesBack feeds two captures one after the other, the second
// with earlier timestamps (another boot): each must keep its series whole.
func TestTimeGoesBack(t *testing.T) {
	var evs []*events.Event
	for _, base := range []uint64{1_000_000_000, 5_000} {
		for p := range uint64(50) {
			start := base + p*50
			for j := range uint64(3) {
				evs = append(evs, pkt(start+j*10, start, base+p))
			}
		}
	}
	got := sortEvents(t, evs, Options{Window: 100})
	if len(got) != 100 {
		t.Fatalf("%d series, want 100", len(got))
	}
	for _, s := range got {
		if len(s) != 3 {
			t.Fatalf("series of %d events: %v", len(s), timestamps(s))
		}
	}
}
