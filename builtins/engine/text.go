package engine

import (
	"github.com/retis-go/retis/builtins/event"
	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/output"
)

// Text renders events as `retis print` and series as `retis sort` do. Set
// Format.MonotonicOffset (from ReadStartup) for UTC times: scripts never
// see the startup event that carries it.
type Text struct {
	Format output.Format
}

var _ event.Formatter = (*Text)(nil)

// AppendEvent implements event.Formatter.
func (t *Text) AppendEvent(dst []byte, e *events.Event) []byte {
	return output.AppendEvent(dst, e, &t.Format)
}

// AppendSeries implements event.Formatter.
func (t *Text) AppendSeries(dst []byte, s []*events.Event) []byte {
	return output.AppendSeries(dst, s, &t.Format)
}
