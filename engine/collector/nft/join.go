package nft

import (
	"context"
	"sync"
	"time"

	"github.com/retis-go/retis/engine/events"
)

// DefaultJoinWindow is the join window when JoinOptions.Window is 0: it
// covers the ring buffer reader's batching delay and the netlink reader's
// scheduling with a wide margin, and packets rarely repeat their IP id and
// ports within it.
const DefaultJoinWindow = 50 * time.Millisecond

// DefaultJoinLookback is JoinOptions.Lookback when 0.
const DefaultJoinLookback = time.Second

// JoinOptions configures a Joiner.
type JoinOptions struct {
	// Window is how long after a verdict was read the packet events it
	// may join can be, and how long a verdict waits for them.
	Window time.Duration
	// Lookback is how long before a verdict was read its packet's events
	// can be. The kernel stamps no time on a trace: the read time is
	// late by however long the listener waited for a CPU, which on a
	// busy machine (or an emulated one) exceeds Window by far. The key
	// (addresses, IPv4 id, ports) keeps a long lookback unambiguous.
	Lookback time.Duration
	// Unmatched decides whether a verdict no packet event matched is
	// emitted (on its own, with what its trace carried); nil emits them
	// all. Every packet is traced, so when filters (-f, -m) select the
	// packets, pass them here: run on e.Packet, they hide the verdicts of
	// packets the filters reject, as the kprobe source does.
	Unmatched func(e *events.Event) bool
	// Namespaces lists the inode numbers of the namespaces whose verdicts
	// are read (Collector.Namespaces); packet events seen elsewhere are
	// not indexed. Nil indexes them all.
	Namespaces []uint32
	// Clock tells Run up to which time (CLOCK_MONOTONIC ns) every packet
	// event has been added: a verdict waits until it passes the verdict's
	// window, however late the packet events come (a busy decoder, the
	// first stack trace reading kallsyms). Nil is the current time; 0
	// means nothing is known yet.
	Clock func() uint64
}

// JoinStats counts what a Joiner did.
type JoinStats struct {
	Matched   uint64 // verdicts placed in a packet's series
	Unmatched uint64 // verdicts no packet event matched, emitted on their own
	Headless  uint64 // of those, verdicts whose trace had no packet headers
	Hidden    uint64 // verdicts no packet event matched, hidden by Unmatched
}

// Joiner places netlink trace verdicts in the series of the packets they
// were given on. A trace carries no skb address, so a verdict joins the
// skb events (with packet and skb-tracking sections) of the same packet:
// same addresses, protocol, IPv4 id or IPv6 flow label and ports, in the
// same namespace, from Lookback before the time the verdict was read to
// Window after.
//
// The kernel gives no time for a verdict; the listener's read time is an
// upper bound. A drop verdict is placed just before the packet's skb-drop
// event (nf_tables frees the packet right after its trace), any other
// verdict just after the packet's last event before it was read, and never
// after the packet's drop. The event takes its CPU, task, tracking, packet,
// device and namespace from the packet event it is placed by.
//
// All methods are safe for concurrent use.
type Joiner struct {
	mu        sync.Mutex
	window    uint64
	lookback  uint64
	clock     func() uint64
	unmatched func(*events.Event) bool
	netns     map[uint32]bool // nil: every namespace
	packets   map[packetKey][]*events.Event
	// order lists the indexed events by arrival, for pruning.
	order   []indexed
	pending []pending
	stats   JoinStats
}

type indexed struct {
	key packetKey
	ts  uint64
}

type pending struct {
	t      *Trace
	key    packetKey
	hasKey bool
}

// NewJoiner returns a Joiner.
func NewJoiner(opts JoinOptions) *Joiner {
	if opts.Window <= 0 {
		opts.Window = DefaultJoinWindow
	}
	if opts.Lookback <= 0 {
		opts.Lookback = DefaultJoinLookback
	}
	if opts.Clock == nil {
		opts.Clock = monotonicNow
	}
	j := &Joiner{
		window:    uint64(opts.Window),
		lookback:  uint64(opts.Lookback),
		clock:     opts.Clock,
		unmatched: opts.Unmatched,
		packets:   map[packetKey][]*events.Event{},
	}
	if opts.Namespaces != nil {
		j.netns = map[uint32]bool{}
		for _, n := range opts.Namespaces {
			j.netns[n] = true
		}
	}
	return j
}

// AddPacket indexes an skb event; events without a packet, skb-tracking or
// common section, of a namespace not watched, or whose packet is not IP,
// are ignored.
func (j *Joiner) AddPacket(e *events.Event) {
	if e.Packet == nil || e.SkbTracking == nil || e.Common == nil {
		return
	}
	if j.netns != nil && e.Netns != nil && !j.netns[e.Netns.Inum] {
		return
	}
	k, ok := keyFromFrame(e.Packet.Data)
	if !ok {
		return
	}
	j.mu.Lock()
	j.packets[k] = append(j.packets[k], e)
	j.order = append(j.order, indexed{k, e.Common.Timestamp})
	j.mu.Unlock()
}

// AddTrace queues a verdict; Flush emits it once its window has passed.
func (j *Joiner) AddTrace(t *Trace) {
	p := pending{t: t}
	p.key, p.hasKey = keyFromHeaders(t.Headers.Network, t.Headers.Transport)
	j.mu.Lock()
	j.pending = append(j.pending, p)
	j.mu.Unlock()
}

// Flush emits the verdicts read at least a window before now (a
// CLOCK_MONOTONIC time in ns), in the order they were added, and forgets
// packet events too old to join any verdict still to come.
func (j *Joiner) Flush(now uint64) []*events.Event {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []*events.Event
	n := 0
	for _, p := range j.pending {
		if p.t.Received+j.window > now {
			break
		}
		if e := j.resolve(p); e != nil {
			out = append(out, e)
		}
		n++
	}
	j.pending = j.pending[n:]
	if keep := j.window + j.lookback; now > keep {
		j.prune(now - keep)
	}
	return out
}

// FlushAll emits every queued verdict, for the end of a collection once
// all packet events have been added.
func (j *Joiner) FlushAll() []*events.Event {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]*events.Event, 0, len(j.pending))
	for _, p := range j.pending {
		if e := j.resolve(p); e != nil {
			out = append(out, e)
		}
	}
	j.pending = nil
	return out
}

// Stats returns the counters.
func (j *Joiner) Stats() JoinStats {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.stats
}

// Run adds the traces read from traces and emits the joined events, every
// tick, until traces is closed or ctx is done; it then emits the verdicts
// still queued. emit is only called from Run's goroutine.
func (j *Joiner) Run(ctx context.Context, traces <-chan *Trace, tick time.Duration, emit func(*events.Event)) {
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	defer func() {
		for _, e := range j.FlushAll() {
			emit(e)
		}
	}()
	for {
		select {
		case t, ok := <-traces:
			if !ok {
				return
			}
			j.AddTrace(t)
		case <-ticker.C:
			// Never past the wall clock: a verdict read after the
			// last drain waits for the next one.
			for _, e := range j.Flush(min(j.clock(), monotonicNow())) {
				emit(e)
			}
		case <-ctx.Done():
			return
		}
	}
}

// prune forgets the packet events older than cutoff. Events arrive nearly
// in time order, so popping from the front of the arrival list is enough.
func (j *Joiner) prune(cutoff uint64) {
	n := 0
	for _, x := range j.order {
		if x.ts >= cutoff {
			break
		}
		list := j.packets[x.key]
		if len(list) <= 1 {
			delete(j.packets, x.key)
		} else {
			list[0] = nil
			j.packets[x.key] = list[1:]
		}
		n++
	}
	j.order = j.order[n:]
}

// resolve builds the event of a verdict, joined when a packet event
// matches; nil when unmatched and hidden.
func (j *Joiner) resolve(p pending) *events.Event {
	t := p.t
	var anchor *events.Event
	var ts uint64
	if p.hasKey {
		anchor, ts = j.place(p)
	}
	if anchor == nil {
		e := t.Event()
		if j.unmatched != nil && !j.unmatched(e) {
			j.stats.Hidden++
			return nil
		}
		j.stats.Unmatched++
		if !p.hasKey {
			j.stats.Headless++
		}
		return e
	}
	j.stats.Matched++
	e := &events.Event{
		Common:      &events.Common{Timestamp: ts, SmpID: anchor.Common.SmpID, Task: anchor.Common.Task},
		Kernel:      &events.Kernel{Symbol: SymbolNetlink, ProbeType: ProbeNetlink},
		SkbTracking: copyOf(anchor.SkbTracking),
		Packet:      anchor.Packet,
		Netns:       copyOf(anchor.Netns),
		Dev:         copyOf(anchor.Dev),
		Nft:         t.Section(),
	}
	if e.Netns == nil || e.Dev == nil {
		own := t.Event()
		e.Netns = cmpOr(e.Netns, own.Netns)
		e.Dev = cmpOr(e.Dev, own.Dev)
	}
	return e
}

// place picks the packet event a verdict is placed by, and its time.
func (j *Joiner) place(p pending) (*events.Event, uint64) {
	t := p.t
	lo, hi := t.Received-min(t.Received, j.lookback), t.Received+j.window
	var cands []*events.Event
	var end *events.Event // the packet's drop, if seen
	for _, e := range j.packets[p.key] {
		ts := e.Common.Timestamp
		if ts < lo || ts > hi || (e.Netns != nil && e.Netns.Inum != t.Netns) {
			continue
		}
		cands = append(cands, e)
		if e.SkbDrop != nil && (end == nil || ts < end.Common.Timestamp) {
			end = e
		}
	}
	if len(cands) == 0 {
		return nil, 0
	}
	if end != nil && t.Verdict == VerdictDrop {
		return end, end.Common.Timestamp - 1
	}
	var before, first *events.Event
	for _, e := range cands {
		ts := e.Common.Timestamp
		if first == nil || ts < first.Common.Timestamp {
			first = e
		}
		if ts > t.Received || (end != nil && ts >= end.Common.Timestamp) {
			continue
		}
		if before == nil || ts > before.Common.Timestamp {
			before = e
		}
	}
	if before != nil {
		return before, before.Common.Timestamp + 1
	}
	return first, first.Common.Timestamp - 1
}

func copyOf[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

func cmpOr[T any](a, b *T) *T {
	if a != nil {
		return a
	}
	return b
}
