package format

import (
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/retis-go/retis/builtins/event"
)

// Module is the `fmt` module.
var Module = &starlarkstruct.Module{
	Name: "fmt",
	Members: starlark.StringDict{
		"event":  starlark.NewBuiltin("fmt.event", formatEvent),
		"series": starlark.NewBuiltin("fmt.series", formatSeries),
	},
}

func formatEvent(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var e *event.Event
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "event", &e); err != nil {
		return nil, err
	}
	out := event.FormatterOf(thread).AppendEvent(nil, e.Event())
	return starlark.String(strings.TrimRight(string(out), "\n")), nil
}

func formatSeries(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var s *event.Series
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "series", &s); err != nil {
		return nil, err
	}
	out := event.FormatterOf(thread).AppendSeries(nil, s.Events())
	return starlark.String(strings.TrimRight(string(out), "\n")), nil
}
