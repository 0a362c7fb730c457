package output

import (
	"sync"

	"github.com/retis-go/retis/engine/events"
)

// TimeFormat selects how event timestamps are printed.
type TimeFormat int

const (
	// MonotonicTime prints the raw monotonic timestamp in nanoseconds.
	MonotonicTime TimeFormat = iota
	// UTCTime prints the wall-clock time (monotonic timestamp plus the
	// collection's clock offset) as "2006-01-02 15:04:05.000000".
	UTCTime
)

// Format controls how events are rendered. The zero value is Retis's
// single-line format with monotonic timestamps.
type Format struct {
	// Multiline puts each section on its own indented line, as `retis
	// print` does by default.
	Multiline bool
	// Time selects monotonic or wall-clock timestamps.
	Time TimeFormat
	// MonotonicOffset is the offset of the monotonic clock to the
	// wall-clock time, from the file's startup event. UTCTime needs it;
	// without it the raw timestamp is printed, as Retis does.
	MonotonicOffset *events.TimeSpec
	// PrintLL adds link-layer information (MAC addresses, VLAN tags,
	// accelerated VLAN) as `retis print -e` does.
	PrintLL bool
	// Color highlights the probe and the drop reason with ANSI escapes.
	// Callers decide, usually with ColorEnabled.
	Color bool
}

// renderer holds the per-call state of a rendering; it is pooled so that
// rendering an event does not allocate.
type renderer struct {
	w   indenter
	pkt packetDecoder
}

var renderers = sync.Pool{New: func() any { return new(renderer) }}

// AppendEvent appends the text of one event to dst, without a trailing
// newline, and returns the extended buffer. A startup event carries its
// own clock offset, which is then used for its time. A nil f is the zero
// Format. It is safe for concurrent use.
func AppendEvent(dst []byte, e *events.Event, f *Format) []byte {
	if f == nil {
		f = &Format{}
	}
	r := renderers.Get().(*renderer)
	dst = r.event(dst, e, f, 0, false)
	renderers.Put(r)
	return dst
}

// AppendSeries appends a series of events (sorted, sharing a tracking id)
// as `retis sort` prints it: the first event as usual, each following one
// indented with its first line marked "  ↳ ". Events are separated by a
// newline; there is no trailing newline. A nil f is the zero Format.
func AppendSeries(dst []byte, s []*events.Event, f *Format) []byte {
	var ff Format
	if f != nil {
		ff = *f
	}
	r := renderers.Get().(*renderer)
	dst = r.series(dst, s, &ff)
	renderers.Put(r)
	return dst
}

// series renders s. Like Retis's series printer, it moves f's clock
// offset to the one of any startup event met.
func (r *renderer) series(dst []byte, s []*events.Event, f *Format) []byte {
	start := len(dst)
	level, item := 0, false
	for i, e := range s {
		if e.Startup != nil {
			f.MonotonicOffset = &e.Startup.ClockMonotonicOffset
		}
		if i > 0 && len(dst) > start {
			dst = append(dst, '\n')
		}
		dst = r.event(dst, e, f, level, item)
		if len(dst) > start && !item {
			level, item = 4, true
		}
	}
	return dst
}

// event renders one event at a base indentation level; item marks its
// first line as a follow-up in a series.
func (r *renderer) event(dst []byte, e *events.Event, f *Format, level int, item bool) []byte {
	w := &r.w
	w.reset(dst, level, item)

	offset := f.MonotonicOffset
	if e.Startup != nil {
		offset = &e.Startup.ClockMonotonicOffset
	}

	// Header line: common, then kernel or userspace, tracking, drop.
	head := false
	space := func() {
		if head {
			w.byte1(' ')
		}
		head = true
	}
	if e.Common != nil {
		r.common(e.Common, f.Time, offset)
		head = true
	}
	switch {
	case e.Kernel != nil:
		space()
		r.color(f.Color, colorProbe)
		r.kernel(e.Kernel)
		r.color(f.Color, colorReset)
	case e.Userspace != nil:
		space()
		r.color(f.Color, colorProbe)
		r.user(e.Userspace)
		r.color(f.Color, colorReset)
	}
	switch {
	case e.Tracking != nil:
		space()
		r.skbTracking(&e.Tracking.Skb)
		w.str(" n ")
		w.dec(uint64(e.Tracking.Idx))
	case e.SkbTracking != nil:
		space()
		r.skbTracking(e.SkbTracking)
	}
	if e.SkbDrop != nil {
		space()
		r.color(f.Color, colorDrop)
		r.skbDrop(e.SkbDrop)
		r.color(f.Color, colorReset)
	}

	sep := byte(' ')
	if f.Multiline {
		sep = '\n'
	}

	if e.Kernel != nil && e.Kernel.StackTrace != nil {
		w.push(4)
		w.byte1(sep)
		r.stack(e.Kernel.StackTrace, f.Multiline)
		w.pop()
	}

	w.push(2)
	if e.Packet != nil {
		w.byte1(sep)
		r.packet(e.Packet.Data, f)
	}
	if e.Netns != nil {
		w.byte1(sep)
		r.netns(e.Netns)
	}
	if e.Dev != nil {
		if e.Netns != nil {
			w.byte1(' ')
		} else {
			w.byte1(sep)
		}
		r.dev(e.Dev)
	}
	if e.Skb != nil && skbPrintable(e.Skb, f) {
		w.byte1(sep)
		r.skb(e.Skb, f)
	}
	if e.OVS != nil && ovsPrintable(e.OVS) {
		w.byte1(sep)
		r.ovs(e.OVS, f.Multiline)
	}
	if e.OVSDetrace != nil {
		w.byte1(sep)
		r.ovsDetrace(e.OVSDetrace, f.Multiline)
	}
	if e.Nft != nil {
		w.byte1(sep)
		r.nft(e.Nft)
	}
	if e.Ct != nil {
		w.byte1(sep)
		r.ct(e.Ct, f.Multiline)
	}
	if e.Startup != nil {
		w.byte1(sep)
		r.startup(e.Startup, f.Multiline)
	}
	w.pop()
	return w.finish()
}

// color writes a colour escape when colours are on.
func (r *renderer) color(on bool, escape string) {
	if on {
		r.w.str(escape)
	}
}
