package event

import (
	"go.starlark.net/starlark"

	"github.com/retis-go/retis/builtins"
	"github.com/retis-go/retis/engine/events"
)

// Formatter renders events and series as text, appending to dst.
type Formatter interface {
	AppendEvent(dst []byte, e *events.Event) []byte
	AppendSeries(dst []byte, s []*events.Event) []byte
}

var formatter = builtins.NewLocal[Formatter]("retis.event.formatter")

// SetFormatter stores the formatter str(e), str(s) and the fmt module use.
func SetFormatter(thread *starlark.Thread, f Formatter) { formatter.Set(thread, f) }

// FormatterOf returns the stored formatter, or JSONFormatter when none was
// stored.
func FormatterOf(thread *starlark.Thread) Formatter {
	if f, ok := formatter.Get(thread); ok && f != nil {
		return f
	}
	return JSONFormatter{}
}

// JSONFormatter renders an event as its JSON line and a series as its
// events' lines. It stands in where no text formatter is set.
type JSONFormatter struct{}

// AppendEvent implements Formatter.
func (JSONFormatter) AppendEvent(dst []byte, e *events.Event) []byte {
	out, err := e.AppendJSON(dst)
	if err != nil {
		return append(dst, err.Error()...)
	}
	return out
}

// AppendSeries implements Formatter.
func (f JSONFormatter) AppendSeries(dst []byte, s []*events.Event) []byte {
	for i, e := range s {
		if i > 0 {
			dst = append(dst, '\n')
		}
		dst = f.AppendEvent(dst, e)
	}
	return dst
}
