package pcap

import (
	"fmt"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/retis-go/retis/builtins"
	"github.com/retis-go/retis/builtins/event"
	"github.com/retis-go/retis/builtins/files"
	"github.com/retis-go/retis/engine/events"
)

// Writer writes the packets of events. Write is only given events that
// have a packet section.
type Writer interface {
	Write(e *events.Event) error
	Close() error
}

// Opener creates the file at path and returns a writer for it.
type Opener func(path string) (Writer, error)

var opener = builtins.NewLocal[Opener]("retis.pcap.opener")

// SetOpener stores how pcap.writer creates files.
func SetOpener(thread *starlark.Thread, o Opener) { opener.Set(thread, o) }

// OpenerOf returns the stored opener, or nil.
func OpenerOf(thread *starlark.Thread) Opener {
	o, _ := opener.Get(thread)
	return o
}

// Module is the `pcap` module.
var Module = &starlarkstruct.Module{
	Name: "pcap",
	Members: starlark.StringDict{
		"writer": starlark.NewBuiltin("pcap.writer", newWriter),
	},
}

func newWriter(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var path string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "path", &path); err != nil {
		return nil, err
	}
	open := OpenerOf(thread)
	if open == nil {
		return nil, fmt.Errorf("%s: pcap-ng output is not available in this program", b.Name())
	}
	w, err := files.Open(thread, b, path, func(p string) (*writerValue, error) {
		w, err := open(p)
		if err != nil {
			return nil, err
		}
		return &writerValue{path: p, w: w}, nil
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// writerValue is the Starlark writer. It is also the io.Closer tracked by
// the run's file set, so a script that forgets close() still gets a
// complete file.
type writerValue struct {
	path   string
	w      Writer
	count  int
	closed bool
}

var _ starlark.HasAttrs = (*writerValue)(nil)

func (w *writerValue) String() string        { return fmt.Sprintf("pcap.writer(%q)", w.path) }
func (w *writerValue) Type() string          { return "pcap.writer" }
func (w *writerValue) Freeze()               {}
func (w *writerValue) Truth() starlark.Bool  { return starlark.True }
func (w *writerValue) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: pcap.writer") }
func (w *writerValue) AttrNames() []string   { return []string{"close", "count", "path", "write"} }

func (w *writerValue) Attr(name string) (starlark.Value, error) {
	switch name {
	case "write":
		return starlark.NewBuiltin("pcap.writer.write", w.write), nil
	case "close":
		return starlark.NewBuiltin("pcap.writer.close", w.close), nil
	case "path":
		return starlark.String(w.path), nil
	case "count":
		return starlark.MakeInt(w.count), nil
	}
	return nil, nil
}

func (w *writerValue) write(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var e *event.Event
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "event", &e); err != nil {
		return nil, err
	}
	if w.closed {
		return nil, fmt.Errorf("%s: %s is closed", b.Name(), w.path)
	}
	ev := e.Event()
	if ev.Packet == nil {
		return starlark.False, nil
	}
	if err := w.w.Write(ev); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", b.Name(), w.path, err)
	}
	w.count++
	return starlark.True, nil
}

func (w *writerValue) close(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", b.Name(), w.path, err)
	}
	return starlark.None, nil
}

// Close implements io.Closer; closing twice is a no-op.
func (w *writerValue) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	return w.w.Close()
}
