package tracking

import (
	"errors"
	"io"
	"slices"
	"time"

	"github.com/retis-go/retis/engine/events"
)

// DefaultWindow is how long a series waits for more events when Options
// leave Window at zero. Retis bounds its sort buffer by a count (1000
// events) rather than by time; a time bound keeps series whole however
// busy the capture. The events of one packet are normally microseconds
// to milliseconds apart, but a TCP segment's retransmissions (clones of
// the same skb, so the same tracking id) come after the retransmission
// timeout, 200 ms at least and 1 s initially: a few seconds keep those
// in their series.
const DefaultWindow = 3 * time.Second

// DefaultMaxEvents is the number of buffered events above which the
// oldest series is emitted even though it may still grow, when Options
// leave MaxEvents at zero. It bounds memory when one long-lived packet
// holds back every series behind it (series leave in order), and when a
// capture is so dense that a window's worth of events is too much (a busy
// host gives a few hundred thousand events a second). Held events with
// packet, skb, dev, netns and ct sections were measured at about 2 KiB of
// RSS each, so the cap keeps the buffer near 64 MiB, while leaving room
// for 32 times more events in flight than Retis's 1000-event buffer.
const DefaultMaxEvents = 1 << 15

// Options tune a Sorter.
type Options struct {
	// Window is how long after its newest event a series may still grow:
	// once an event more than Window newer has been seen, the series is
	// complete. It is also how far out of order (by timestamp) events may
	// arrive and still be sorted. 0 (or less) means DefaultWindow.
	Window time.Duration
	// MaxEvents caps the events held; past it the oldest series is
	// emitted early, as Retis does when its buffer is full (later events
	// of that packet then start a new series). 0 means DefaultMaxEvents,
	// a negative value means no cap.
	MaxEvents int
}

// ErrClosed is returned when adding events to a closed Sorter.
var ErrClosed = errors.New("tracking: sorter is closed")

// freeKeep is how many emitted series structures are kept for reuse.
const freeKeep = 256

// Sorter groups events into series (see the package documentation) and
// emits each series once it can no longer grow, in the order Retis
// writes them: by tracking timestamp, then original head; an event
// without tracking information by its own timestamp, before a series of
// the same timestamp.
//
// Events may arrive up to the window out of (timestamp) order. An event
// that comes later than that after its series was emitted starts a new
// series, with indexes from 0 again; so does the rest of a packet whose
// series the event cap pushed out.
//
// A Sorter is not safe for concurrent use.
type Sorter struct {
	window    uint64
	maxEvents int
	emit      func(Series) error

	skb     map[trackID]*series
	queues  map[uint32]*series
	upcalls map[upcallKey]*series
	flows   flowInfos
	pending seriesHeap

	newest uint64 // newest timestamp seen
	held   int    // events held in pending series
	seq    uint64
	free   []*series
	err    error
}

// NewSorter returns a Sorter that calls emit with each finished series.
// emit owns the series it receives; an error it returns stops the Sorter
// and is returned by Add or Close as is.
func NewSorter(opts Options, emit func(Series) error) *Sorter {
	w := opts.Window
	if w <= 0 {
		w = DefaultWindow
	}
	m := opts.MaxEvents
	switch {
	case m == 0:
		m = DefaultMaxEvents
	case m < 0:
		m = int(^uint(0) >> 1)
	}
	return &Sorter{
		window:    uint64(w),
		maxEvents: m,
		emit:      emit,
		skb:       make(map[trackID]*series),
		queues:    make(map[uint32]*series),
		upcalls:   make(map[upcallKey]*series),
	}
}

// Add files an event into its series. It emits the series that can no
// longer grow, so it may call emit any number of times.
func (s *Sorter) Add(e *events.Event) error {
	if s.err != nil {
		return s.err
	}
	if e.OVSDetrace != nil {
		s.flows.add(e.OVSDetrace)
	}
	ts := e.Timestamp()
	// Time going back by more than the window is a new capture (files
	// put together); starting over from there keeps its series whole,
	// where holding on to the newest time would end every series at once.
	if ts > s.newest || ts+s.window < s.newest {
		s.newest = ts
	}
	s.join(e, ts).push(e, ts)
	s.held++
	return s.flush(false)
}

// Close emits the series still held, oldest first. Adding afterwards
// fails with ErrClosed.
func (s *Sorter) Close() error {
	if s.err != nil {
		if s.err == ErrClosed {
			return nil
		}
		return s.err
	}
	if err := s.flush(true); err != nil {
		return err
	}
	s.err = ErrClosed
	s.skb, s.queues, s.upcalls, s.free = nil, nil, nil, nil
	s.flows = flowInfos{}
	return nil
}

// flush emits pending series from the oldest on, while the oldest is
// complete (all), or too many events are held.
func (s *Sorter) flush(all bool) error {
	for len(s.pending) > 0 {
		h := s.pending[0]
		if !all && s.held <= s.maxEvents && h.last+s.window >= s.newest {
			return nil
		}
		s.pending.pop()
		if err := s.finish(h); err != nil {
			s.err = err
			return err
		}
	}
	return nil
}

// finish removes a series from the maps, hands its events, in time order
// and with their tracking sections, to emit, and recycles it.
func (s *Sorter) finish(sr *series) error {
	s.unlink(sr)
	out := make(Series, len(sr.evs))
	copy(out, sr.evs)
	if !sr.inOrder {
		slices.SortStableFunc(out, func(a, b *events.Event) int {
			ta, tb := a.Timestamp(), b.Timestamp()
			switch {
			case ta < tb:
				return -1
			case ta > tb:
				return 1
			}
			return 0
		})
	}
	if sr.tracked {
		tr := make([]events.Tracking, len(out))
		for i, e := range out {
			tr[i] = events.Tracking{Skb: sr.info, Idx: uint32(i)}
			e.Tracking = &tr[i]
		}
	}
	// Lookups are filled now rather than when added: the ovs-detrace
	// event comes after the lookup, once ovs-vswitchd was asked.
	s.flows.enrich(out)
	s.held -= len(out)
	s.recycle(sr)
	return s.emit(out)
}

// unlink drops the map entries that lead to sr, unless a newer series
// took them over.
func (s *Sorter) unlink(sr *series) {
	if sr.tracked {
		if id := (trackID{sr.ts, sr.head}); s.skb[id] == sr {
			delete(s.skb, id)
		}
	}
	for _, id := range sr.aliases {
		if s.skb[id] == sr {
			delete(s.skb, id)
		}
	}
	for _, q := range sr.queues {
		if s.queues[q] == sr {
			delete(s.queues, q)
		}
	}
	for _, k := range sr.upcalls {
		if s.upcalls[k] == sr {
			delete(s.upcalls, k)
		}
	}
}

func (s *Sorter) recycle(sr *series) {
	if len(s.free) >= freeKeep || cap(sr.evs) > 64 {
		return
	}
	clear(sr.evs)
	*sr = series{
		evs:     sr.evs[:0],
		aliases: sr.aliases[:0],
		queues:  sr.queues[:0],
		upcalls: sr.upcalls[:0],
	}
	s.free = append(s.free, sr)
}

// open starts a pending series with its ordering key.
func (s *Sorter) open(ts uint64, tracked bool, head uint64) *series {
	var sr *series
	if n := len(s.free); n > 0 {
		sr, s.free = s.free[n-1], s.free[:n-1]
	} else {
		sr = &series{evs: make([]*events.Event, 0, 8)}
	}
	sr.ts, sr.tracked, sr.head, sr.seq = ts, tracked, head, s.seq
	s.seq++
	s.pending.push(sr)
	return sr
}

// Sort reads every event of r into a Sorter and emits the series.
func Sort(r *events.Reader, opts Options, emit func(Series) error) error {
	s := NewSorter(opts, emit)
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			return s.Close()
		}
		if err != nil {
			return err
		}
		if err := s.Add(e); err != nil {
			return err
		}
	}
}
