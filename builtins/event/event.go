package event

import (
	"fmt"
	"reflect"
	"strings"

	"go.starlark.net/starlark"

	"github.com/retis-go/retis/engine/events"
)

// Event is the Starlark view of an *events.Event. It is read-only.
type Event struct {
	ev *events.Event
	fm Formatter
}

var (
	_ starlark.HasAttrs = (*Event)(nil)
	_ starlark.Value    = (*Event)(nil)
)

// New wraps e; fm renders str(e) (nil means JSONFormatter).
func New(e *events.Event, fm Formatter) *Event {
	if fm == nil {
		fm = JSONFormatter{}
	}
	return &Event{ev: e, fm: fm}
}

// Event returns the wrapped event.
func (e *Event) Event() *events.Event { return e.ev }

// String renders the event with the formatter, without a trailing newline.
func (e *Event) String() string {
	return strings.TrimRight(string(e.fm.AppendEvent(nil, e.ev)), "\n")
}

// Type implements starlark.Value.
func (e *Event) Type() string { return "event" }

// Freeze implements starlark.Value; events are immutable.
func (e *Event) Freeze() {}

// Truth implements starlark.Value.
func (e *Event) Truth() starlark.Bool { return starlark.True }

// Hash implements starlark.Value: events are not dict keys (their
// identity is not their content); use e.g. a tracking id instead.
func (e *Event) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: event") }

// eventAttrs are the section attributes, in Retis's order, then methods.
var eventAttrs = func() []string {
	var names []string
	for _, s := range events.SectionNames {
		names = append(names, snake(s))
	}
	return append(names, "json")
}()

// AttrNames implements starlark.HasAttrs.
func (e *Event) AttrNames() []string { return eventAttrs }

// Attr returns a section (None when absent) or a method.
func (e *Event) Attr(name string) (starlark.Value, error) {
	ev := e.ev
	switch name {
	case "common":
		return sectionOf(ev.Common), nil
	case "kernel":
		return sectionOf(ev.Kernel), nil
	case "userspace":
		return sectionOf(ev.Userspace), nil
	case "tracking":
		return sectionOf(ev.Tracking), nil
	case "skb_tracking":
		return sectionOf(ev.SkbTracking), nil
	case "skb_drop":
		return sectionOf(ev.SkbDrop), nil
	case "packet":
		return sectionOf(ev.Packet), nil
	case "skb":
		return sectionOf(ev.Skb), nil
	case "netns":
		return sectionOf(ev.Netns), nil
	case "dev":
		return sectionOf(ev.Dev), nil
	case "ovs":
		return sectionOf(ev.OVS), nil
	case "ovs_detrace":
		return sectionOf(ev.OVSDetrace), nil
	case "nft":
		return sectionOf(ev.Nft), nil
	case "ct":
		return sectionOf(ev.Ct), nil
	case "startup":
		return sectionOf(ev.Startup), nil
	case "json":
		return starlark.NewBuiltin("event.json", e.json), nil
	}
	for _, x := range ev.Extra {
		if snake(x.Name) == name {
			return fromJSON(x.Raw)
		}
	}
	return nil, nil
}

func (e *Event) json(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	out, err := e.ev.AppendJSON(nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	return starlark.String(out), nil
}

// sectionOf wraps a section pointer; a nil one is None.
func sectionOf[T any](p *T) starlark.Value {
	if p == nil {
		return starlark.None
	}
	return valueOf(reflect.ValueOf(p).Elem())
}

func snake(s string) string { return strings.ReplaceAll(s, "-", "_") }
