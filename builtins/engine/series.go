package engine

import (
	"errors"
	"io"
	"sync"

	"github.com/retis-go/retis/builtins/run"
	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/tracking"
)

// storedSeries is what a file reader offers beyond run.Source: the series
// of a file written by `retis sort -o`, one line at a time.
type storedSeries interface {
	NextSeries() ([]*events.Event, error)
	IsSeries() bool
}

// Series returns a ctx.series() opener: each call opens a source with open
// and groups its events with engine/tracking's sorter, streaming (a series
// is handed over once it can no longer grow). A file that already holds
// series gives them as stored. Startup events are left out, as
// ctx.events() leaves them out.
func Series(open func() (run.Source, error), opts tracking.Options) func() (run.SeriesSource, error) {
	return func() (run.SeriesSource, error) {
		src, err := open()
		if err != nil {
			return nil, err
		}
		pulled := run.PushSeries(func(emit func([]*events.Event) error) error {
			return group(src, opts, emit)
		})
		return &sortedSource{SeriesSource: pulled, src: src}, nil
	}
}

// sortedSource closes the events source with the series: the producer may
// never have started, if the script did not iterate.
type sortedSource struct {
	run.SeriesSource
	src  run.Source
	once sync.Once
}

func (s *sortedSource) Close() error {
	var err error
	s.once.Do(func() {
		if c, ok := s.SeriesSource.(io.Closer); ok {
			err = c.Close()
		}
		if c, ok := s.src.(io.Closer); ok {
			err = errors.Join(err, c.Close())
		}
	})
	return err
}

func group(src run.Source, opts tracking.Options, emit func([]*events.Event) error) error {
	sorter := tracking.NewSorter(opts, func(s tracking.Series) error { return emit(s) })
	add := func(e *events.Event) error {
		if e.Startup != nil && e.Kernel == nil && e.Userspace == nil {
			return nil
		}
		return sorter.Add(e)
	}
	if r, ok := src.(storedSeries); ok {
		for {
			g, err := r.NextSeries()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
			if r.IsSeries() {
				if len(g) == 1 && g[0].Startup != nil {
					continue
				}
				if err := emit(g); err != nil {
					return err
				}
				continue
			}
			for _, e := range g {
				if err := add(e); err != nil {
					return err
				}
			}
		}
		return sorter.Close()
	}
	for {
		e, err := src.Next()
		if errors.Is(err, io.EOF) {
			return sorter.Close()
		}
		if err != nil {
			return err
		}
		if err := add(e); err != nil {
			return err
		}
	}
}
