package tracking

import "github.com/retis-go/retis/engine/events"

// Series is the events of one packet, ordered by time. Each event's
// Tracking section holds the series' skb tracking and the event's index.
// Events that carry no tracking information form a series of their own,
// without a Tracking section.
type Series []*events.Event

// trackID is the 128-bit skb tracking id: the tracking timestamp is the
// high word, the original head the low one.
type trackID struct{ ts, head uint64 }

func idOf(t *events.SkbTracking) trackID { return trackID{t.Timestamp, t.OrigHead} }

// upcallKey names an OvS upcall: the upcall event's timestamp and the CPU
// it ran on, which later upcall_enqueue events quote.
type upcallKey struct {
	ts  uint64
	cpu uint32
}

// series is a series being built. It stays in the Sorter's maps while it
// can grow and in its heap until emitted.
type series struct {
	// Ordering key. Tracked series sort by tracking id, untracked events
	// by their own timestamp; on equal timestamps untracked events come
	// first, as Retis pops them first. seq keeps arrival order for the
	// remaining ties.
	ts      uint64
	tracked bool
	head    uint64
	seq     uint64

	info    events.SkbTracking // tracking of the event that started it
	evs     []*events.Event
	last    uint64 // newest event timestamp
	inOrder bool   // events arrived in timestamp order

	// Map entries pointing to this series, removed when it is emitted.
	aliases []trackID
	queues  []uint32
	upcalls []upcallKey
}

func (a *series) less(b *series) bool {
	if a.ts != b.ts {
		return a.ts < b.ts
	}
	if a.tracked != b.tracked {
		return !a.tracked
	}
	if a.head != b.head {
		return a.head < b.head
	}
	return a.seq < b.seq
}

func (sr *series) push(e *events.Event, ts uint64) {
	if len(sr.evs) == 0 {
		sr.inOrder = true
	} else if ts < sr.last {
		sr.inOrder = false
	}
	if ts > sr.last {
		sr.last = ts
	}
	sr.evs = append(sr.evs, e)
}

// seriesHeap is a binary min-heap of series by ordering key. It is
// written out rather than using container/heap to avoid boxing each
// element in an interface on every push and pop.
type seriesHeap []*series

func (h *seriesHeap) push(sr *series) {
	*h = append(*h, sr)
	q := *h
	i := len(q) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !q[i].less(q[p]) {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
}

func (h *seriesHeap) pop() *series {
	q := *h
	top := q[0]
	n := len(q) - 1
	q[0] = q[n]
	q[n] = nil
	q = q[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && q[r].less(q[l]) {
			m = r
		}
		if !q[m].less(q[i]) {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	*h = q
	return top
}
