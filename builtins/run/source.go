package run

import (
	"errors"
	"io"
	"iter"

	"github.com/retis-go/retis/engine/events"
)

// Source yields events in order; Next returns io.EOF at the end (a live
// source: when the collection stops). A Source that is an io.Closer is
// closed when the script stops iterating.
type Source interface {
	Next() (*events.Event, error)
}

// SeriesSource yields tracked series the same way.
type SeriesSource interface {
	Next() ([]*events.Event, error)
}

// FileEvents returns an opener reading the event file (or rotated set) at
// path; each call reads it from the start.
func FileEvents(path string, opts events.Options) func() (Source, error) {
	return func() (Source, error) {
		r, err := events.Open(path, opts)
		if err != nil {
			return nil, err
		}
		return r, nil
	}
}

// errStop ends a push producer when the consumer is gone.
var errStop = errors.New("series consumer stopped")

// PushSeries adapts a producer that pushes series into a callback (as the
// tracking sorter emits them) into a SeriesSource. produce runs lazily, as
// a coroutine of Next: no goroutine, no buffering. When the script stops
// early, emit returns an error and produce should return it.
func PushSeries(produce func(emit func([]*events.Event) error) error) SeriesSource {
	seq := func(yield func([]*events.Event, error) bool) {
		err := produce(func(s []*events.Event) error {
			if !yield(s, nil) {
				return errStop
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			yield(nil, err)
		}
	}
	next, stop := iter.Pull2(seq)
	return &pulled{next: next, stop: stop}
}

type pulled struct {
	next func() ([]*events.Event, error, bool)
	stop func()
}

func (p *pulled) Next() ([]*events.Event, error) {
	s, err, ok := p.next()
	if !ok {
		return nil, io.EOF
	}
	return s, err
}

// Close stops the producer.
func (p *pulled) Close() error {
	p.stop()
	return nil
}
