package output

import (
	"bufio"
	"fmt"
	"io"

	"github.com/retis-go/retis/engine/events"
)

// Printer writes events or series as `retis print` and `retis sort` do:
// each event is followed by a newline, and by a blank line in multi-line
// mode; each series is followed by a blank line whatever the mode. The
// clock offset for UTC times follows the startup events it is given.
//
// Output is buffered: call Flush when done. Write errors are returned as
// they come (a closed pager gives EPIPE); the caller decides whether to
// stop quietly. A Printer is not safe for concurrent use.
type Printer struct {
	w   *bufio.Writer
	f   Format
	r   renderer
	buf []byte
}

// NewPrinter returns a Printer writing to w in format f (copied; nil is
// the zero Format).
func NewPrinter(w io.Writer, f *Format) *Printer {
	p := &Printer{w: bufio.NewWriterSize(w, 64<<10), buf: make([]byte, 0, 4096)}
	if f != nil {
		p.f = *f
	}
	return p
}

// Event prints one event.
func (p *Printer) Event(e *events.Event) error {
	if e.Startup != nil {
		p.f.MonotonicOffset = &e.Startup.ClockMonotonicOffset
	}
	p.buf = p.r.event(p.buf[:0], e, &p.f, 0, false)
	if len(p.buf) == 0 {
		return nil
	}
	p.buf = append(p.buf, '\n')
	if p.f.Multiline {
		p.buf = append(p.buf, '\n')
	}
	return p.write()
}

// Series prints one series of events sharing a tracking id, sorted.
func (p *Printer) Series(s []*events.Event) error {
	p.buf = p.r.series(p.buf[:0], s, &p.f)
	if len(p.buf) == 0 {
		return nil
	}
	p.buf = append(p.buf, '\n', '\n')
	return p.write()
}

// Flush writes out what is buffered.
func (p *Printer) Flush() error {
	if err := p.w.Flush(); err != nil {
		return fmt.Errorf("write events: %w", err)
	}
	return nil
}

func (p *Printer) write() error {
	if _, err := p.w.Write(p.buf); err != nil {
		return fmt.Errorf("write events: %w", err)
	}
	return nil
}
