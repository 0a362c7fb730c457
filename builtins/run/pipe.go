package run

import (
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/retis-go/retis/engine/events"
)

// Errors of a Pipe.
var (
	// ErrReaderGone is returned by Pipe.Write once the script stopped
	// reading (its loop broke, or main returned).
	ErrReaderGone = errors.New("the script stopped reading events")
	// ErrOnePass is returned when a script asks a live collection for its
	// events a second time.
	ErrOnePass = errors.New("a live collection is read once: ctx.events() or ctx.series() was already called")
)

// Pipe carries the events of a live collection to a script: the collection
// pushes them (Write, from its own goroutine, as one of its sinks) and
// ctx.events() pulls them (Next). Write blocks while the script is a full
// buffer behind, so a slow script slows the reader of the ring buffer
// rather than holding unbounded memory; the ring buffer then counts what
// it loses.
//
// The collection calls CloseWrite when it stops (Ctrl-C, --cmd exited,
// --stop-after reached): the script's loop ends after the buffered events
// and main goes on to its report. The command calls Close when main
// returns, so a collection whose script stopped reading is not blocked.
type Pipe struct {
	ch        chan *events.Event
	gone      chan struct{}
	end       error // set before ch is closed
	endOnce   sync.Once
	goneOnce  sync.Once
	opened    atomic.Bool
	delivered atomic.Uint64
}

var _ Source = (*Pipe)(nil)

// NewPipe returns a pipe buffering up to size events.
func NewPipe(size int) *Pipe {
	return &Pipe{ch: make(chan *events.Event, size), gone: make(chan struct{})}
}

// Write hands e to the script, waiting while the buffer is full. It
// returns ErrReaderGone once the script stopped reading.
func (p *Pipe) Write(e *events.Event) error {
	select {
	case <-p.gone:
		return ErrReaderGone
	default:
	}
	select {
	case p.ch <- e:
		return nil
	case <-p.gone:
		return ErrReaderGone
	}
}

// CloseWrite ends the stream: once the buffered events are read, Next
// returns err, or io.EOF when err is nil (the collection stopped as asked).
// Only the first call counts; Write must not be called afterwards.
func (p *Pipe) CloseWrite(err error) {
	p.endOnce.Do(func() {
		p.end = err
		close(p.ch)
	})
}

// Next returns the next event, waiting for it.
func (p *Pipe) Next() (*events.Event, error) {
	e, ok := <-p.ch
	if !ok {
		if p.end != nil {
			return nil, p.end
		}
		return nil, io.EOF
	}
	p.delivered.Add(1)
	return e, nil
}

// Delivered returns how many events the script was handed.
func (p *Pipe) Delivered() uint64 { return p.delivered.Load() }

// Close is the script's end: Write fails from now on.
func (p *Pipe) Close() error {
	p.goneOnce.Do(func() { close(p.gone) })
	return nil
}

// Open is an opener for Options.Events (and for a series sorter over it):
// the first call returns the pipe, later ones fail with ErrOnePass.
func (p *Pipe) Open() (Source, error) {
	if !p.opened.CompareAndSwap(false, true) {
		return nil, ErrOnePass
	}
	return p, nil
}
