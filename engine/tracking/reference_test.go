package tracking

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/retis-go/retis/engine/events"
)

// retisSort is a plain transcription of what `retis sort` does with an
// unbounded buffer: tracking ids in maps that are never pruned, every
// event filed, then series popped by tracking key against the untracked
// events' queue. It returns series as indexes into evs, and the tracking
// each event would get.
func retisSort(evs []*events.Event) ([][]int, []*events.Tracking) {
	type info struct {
		skb  events.SkbTracking
		idx  uint32
		evts []int
	}
	skb := map[trackID]*info{}
	queues := map[uint32]*info{}
	upcalls := map[upcallKey]*info{}
	tracking := make([]*events.Tracking, len(evs))
	var untracked []int
	var all []*info
	processSkb := func(i int) *info {
		t := evs[i].SkbTracking
		if t == nil {
			return nil
		}
		in, ok := skb[idOf(t)]
		if ok {
			in.idx++
		} else {
			in = &info{skb: *t}
			skb[idOf(t)] = in
			all = append(all, in)
		}
		return in
	}
	for i, e := range evs {
		var in *info
		if o := e.OVS; o != nil && o.Upcall != nil {
			if in = processSkb(i); in != nil {
				upcalls[upcallKey{e.Timestamp(), o.Upcall.CPU}] = in
			}
		} else if o != nil && o.UpcallReturn != nil {
			in = processSkb(i)
			delete(upcalls, upcallKey{o.UpcallReturn.UpcallTs, o.UpcallReturn.UpcallCPU})
		} else if o != nil && o.UpcallEnqueue != nil {
			in = upcalls[upcallKey{o.UpcallEnqueue.UpcallTs, o.UpcallEnqueue.UpcallCPU}]
			in.idx++
			queues[o.UpcallEnqueue.QueueID] = in
		} else if o != nil && o.RecvUpcall != nil {
			in = queues[o.RecvUpcall.QueueID]
			in.idx++
		} else if o != nil && o.FlowOperation != nil {
			in = queues[o.FlowOperation.QueueID]
			in.idx++
		} else if o != nil && o.Action != nil && o.Action.QueueID != nil {
			in = queues[*o.Action.QueueID]
			in.idx++
			if e.SkbTracking != nil {
				skb[idOf(e.SkbTracking)] = in
			}
		} else {
			in = processSkb(i)
		}
		if in == nil {
			untracked = append(untracked, i)
			continue
		}
		tracking[i] = &events.Tracking{Skb: in.skb, Idx: in.idx}
		in.evts = append(in.evts, i)
	}
	// BTreeMap order: tracking timestamp, then original head.
	slices.SortFunc(all, func(a, b *info) int {
		if a.skb.Timestamp != b.skb.Timestamp {
			return cmpU64(a.skb.Timestamp, b.skb.Timestamp)
		}
		return cmpU64(a.skb.OrigHead, b.skb.OrigHead)
	})
	var out [][]int
	for len(all) > 0 || len(untracked) > 0 {
		if len(untracked) == 0 || (len(all) > 0 && all[0].skb.Timestamp < evs[untracked[0]].Timestamp()) {
			out = append(out, all[0].evts)
			all = all[1:]
		} else {
			out = append(out, []int{untracked[0]})
			untracked = untracked[1:]
		}
	}
	return out, tracking
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// randomCapture generates a capture in time order: packets interleaved,
// some going through a full OvS upcall (fragments included) and coming
// back re-injected under a new tracking id, untracked events in between.
// Queue ids come from a small range so that they get reused.
func randomCapture(rng *rand.Rand, packets int) []*events.Event {
	type step struct {
		ts uint64
		e  *events.Event
	}
	var steps []step
	ts := uint64(1_000_000)
	var head uint64
	for range packets {
		ts += 1 + rng.Uint64N(300)
		head++
		t0 := ts
		at := t0
		next := func() uint64 { at += 1 + rng.Uint64N(100); return at }
		tr := &events.SkbTracking{Timestamp: t0, OrigHead: head, Skb: head * 7}
		add := func(e *events.Event) { steps = append(steps, step{e.Timestamp(), e}) }
		withTr := func(ts uint64, t *events.SkbTracking) *events.Event {
			e := plain(ts)
			c := *t
			e.SkbTracking = &c
			return e
		}
		add(withTr(t0, tr))
		for range rng.IntN(3) {
			add(withTr(next(), tr))
		}
		if rng.IntN(3) == 0 {
			cpu := uint32(rng.IntN(4))
			up := withTr(next(), tr)
			up.OVS = &events.OVS{EventType: events.OVSUpcall, Upcall: &events.OVSUpcallEvent{CPU: cpu}}
			add(up)
			var qs []uint32
			for range 1 + rng.IntN(2) {
				q := uint32(rng.IntN(8))
				qs = append(qs, q)
				add(ovsEvent(next(), &events.OVS{EventType: events.OVSUpcallEnqueue, UpcallEnqueue: &events.OVSUpcallEnqueueEvent{UpcallTs: up.Timestamp(), UpcallCPU: cpu, QueueID: q}}))
			}
			ret := withTr(next(), tr)
			ret.OVS = &events.OVS{EventType: events.OVSUpcallReturn, UpcallReturn: &events.OVSUpcallReturnEvent{UpcallTs: up.Timestamp(), UpcallCPU: cpu}}
			add(ret)
			q := qs[rng.IntN(len(qs))]
			add(ovsEvent(next(), &events.OVS{EventType: events.OVSRecvUpcall, RecvUpcall: &events.OVSRecvUpcallEvent{QueueID: q}}))
			add(ovsEvent(next(), &events.OVS{EventType: events.OVSFlowOperation, FlowOperation: &events.OVSOperationEvent{OpType: "exec", QueueID: q}}))
			head++
			tr2 := &events.SkbTracking{Timestamp: next(), OrigHead: head, Skb: head * 7}
			act := withTr(tr2.Timestamp, tr2)
			act.OVS = &events.OVS{EventType: events.OVSActionExecute, Action: &events.OVSActionEvent{QueueID: &q}}
			add(act)
			for range rng.IntN(3) {
				add(withTr(next(), tr2))
			}
		}
		if rng.IntN(4) == 0 {
			add(plain(next()))
		}
	}
	slices.SortStableFunc(steps, func(a, b step) int { return cmpU64(a.ts, b.ts) })
	out := make([]*events.Event, len(steps))
	for i, s := range steps {
		out[i] = s.e
	}
	return out
}

// TestMatchesRetisAlgorithm checks, on random captures in time order and
// a window longer than the capture, that the Sorter gives exactly what
// Retis's algorithm gives: same series, same order, same tracking.
func TestMatchesRetisAlgorithm(t *testing.T) {
	for seed := range uint64(50) {
		rng := rand.New(rand.NewPCG(seed, 99))
		evs := randomCapture(rng, 200)
		want, wantTr := retisSort(evs)
		got := sortEvents(t, evs, Options{Window: time.Hour, MaxEvents: -1})
		if g := groups(t, evs, got); !reflect.DeepEqual(g, want) {
			t.Fatalf("seed %d: series\n got %v\nwant %v", seed, g, want)
		}
		for i, e := range evs {
			if !reflect.DeepEqual(e.Tracking, wantTr[i]) {
				t.Fatalf("seed %d: event %d tracking %+v, want %+v", seed, i, e.Tracking, wantTr[i])
			}
		}
	}
}

// TestSmallWindowKeepsSeriesApart checks what a small window may change:
// a series may end early and the rest of the packet start another, but
// events of different series never mix, and every event comes out once.
func TestSmallWindowKeepsSeriesApart(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 7))
		evs := randomCapture(rng, 300)
		want, _ := retisSort(evs)
		owner := make([]int, len(evs))
		for si, s := range want {
			for _, i := range s {
				owner[i] = si
			}
		}
		got := sortEvents(t, evs, Options{Window: 150, MaxEvents: 40})
		seen := 0
		for _, g := range groups(t, evs, got) {
			for _, i := range g {
				if owner[i] != owner[g[0]] {
					t.Fatalf("seed %d: events %d and %d of different packets in one series", seed, g[0], i)
				}
			}
			seen += len(g)
		}
		if seen != len(evs) {
			t.Fatalf("seed %d: %d events out of %d", seed, seen, len(evs))
		}
	}
}
