package event

import (
	"fmt"
	"strings"

	"go.starlark.net/starlark"

	"github.com/retis-go/retis/engine/events"
)

// Series is the Starlark view of a tracked series: the events of one
// packet, in order. It is an indexable, iterable sequence of events.
type Series struct {
	evs []*events.Event
	fm  Formatter
}

var (
	_ starlark.Indexable = (*Series)(nil)
	_ starlark.Iterable  = (*Series)(nil)
	_ starlark.HasAttrs  = (*Series)(nil)
)

// NewSeries wraps a series; fm renders str(s) (nil means JSONFormatter).
func NewSeries(evs []*events.Event, fm Formatter) *Series {
	if fm == nil {
		fm = JSONFormatter{}
	}
	return &Series{evs: evs, fm: fm}
}

// Events returns the wrapped events.
func (s *Series) Events() []*events.Event { return s.evs }

// String renders the series with the formatter.
func (s *Series) String() string {
	return strings.TrimRight(string(s.fm.AppendSeries(nil, s.evs)), "\n")
}

func (s *Series) Type() string          { return "series" }
func (s *Series) Freeze()               {}
func (s *Series) Truth() starlark.Bool  { return starlark.Bool(len(s.evs) > 0) }
func (s *Series) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: series") }
func (s *Series) Len() int              { return len(s.evs) }

// Index returns the i-th event.
func (s *Series) Index(i int) starlark.Value { return New(s.evs[i], s.fm) }

// Iterate implements starlark.Iterable.
func (s *Series) Iterate() starlark.Iterator { return &seriesIter{s: s} }

// AttrNames implements starlark.HasAttrs.
func (s *Series) AttrNames() []string { return []string{"first", "last"} }

// Attr returns first or last, the events that open and close the series.
func (s *Series) Attr(name string) (starlark.Value, error) {
	if len(s.evs) == 0 {
		if name == "first" || name == "last" {
			return starlark.None, nil
		}
		return nil, nil
	}
	switch name {
	case "first":
		return s.Index(0), nil
	case "last":
		return s.Index(len(s.evs) - 1), nil
	}
	return nil, nil
}

type seriesIter struct {
	s *Series
	i int
}

func (it *seriesIter) Next(p *starlark.Value) bool {
	if it.i >= len(it.s.evs) {
		return false
	}
	*p = it.s.Index(it.i)
	it.i++
	return true
}

func (it *seriesIter) Done() {}
