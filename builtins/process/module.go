package process

import (
	"errors"
	"fmt"
	"github.com/retis-go/retis/engine/filter/cbpf"
	"io"
	"os"
	"path/filepath"
	"time"

	starlarktime "go.starlark.net/lib/time"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/retis-go/retis/builtins"
	"github.com/retis-go/retis/builtins/engine"
	"github.com/retis-go/retis/builtins/event"
	"github.com/retis-go/retis/builtins/files"
	"github.com/retis-go/retis/builtins/run"
	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/output"
	"github.com/retis-go/retis/engine/process"
	"github.com/retis-go/retis/engine/tracking"
)

// Module is the `process` module.
var Module = &starlarkstruct.Module{
	Name: "process",
	Members: starlark.StringDict{
		"print": starlark.NewBuiltin("process.print", printFn),
		"sort":  starlark.NewBuiltin("process.sort", sortFn),
		"pcap":  starlark.NewBuiltin("process.pcap", pcapFn),
	},
}

// Stdout is the out value meaning the script's own output.
const Stdout = "-"

// textArgs are the text format keywords print and sort share.
type textArgs struct {
	format  noneOr[string]
	utc     starlark.Value
	printLL starlark.Value
}

// build returns the text format: the run's (the command's flags), with
// what the script passed on top.
func (a *textArgs) build(thread *starlark.Thread) (output.Format, error) {
	f := output.Format{Multiline: true}
	if t, ok := event.FormatterOf(thread).(*engine.Text); ok {
		f = t.Format
	}
	switch a.format.v {
	case "":
	case "multi-line":
		f.Multiline = true
	case "single-line":
		f.Multiline = false
	default:
		return f, fmt.Errorf("format: unknown value %q (one of single-line, multi-line)", a.format.v)
	}
	utc, err := optBool("utc", a.utc)
	if err != nil {
		return f, err
	}
	if utc != nil {
		f.Time = output.MonotonicTime
		if *utc {
			f.Time = output.UTCTime
		}
	}
	ll, err := optBool("print_ll", a.printLL)
	if err != nil {
		return f, err
	}
	if ll != nil {
		f.PrintLL = *ll
	}
	return f, nil
}

func optBool(name string, v starlark.Value) (*bool, error) {
	switch v := v.(type) {
	case nil, starlark.NoneType:
		return nil, nil
	case starlark.Bool:
		b := bool(v)
		return &b, nil
	}
	return nil, fmt.Errorf("%s: want True, False or None, got %s", name, v.Type())
}

func stdout(thread *starlark.Thread, b *starlark.Builtin) (io.Writer, error) {
	w := builtins.Stdout(thread)
	if w == nil {
		return nil, fmt.Errorf("%s: this program gives scripts no output", b.Name())
	}
	return w, nil
}

// reader opens ctx's input as an events file.
func reader(ctx *run.Context, b *starlark.Builtin) (*events.Reader, error) {
	src, err := ctx.OpenEvents()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	r, ok := src.(*events.Reader)
	if !ok {
		return nil, fmt.Errorf("%s: works on an events file (-i); on a live collection, iterate ctx.series() or ctx.events()", b.Name())
	}
	return r, nil
}

func printFn(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var (
		ctx    *run.Context
		text   textArgs
		filter noneOr[string]
	)
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "ctx", &ctx,
		"format?", &text.format, "utc?", &text.utc, "print_ll?", &text.printLL, "filter?", &filter); err != nil {
		return nil, err
	}
	match, err := matcher(b, filter.v)
	if err != nil {
		return nil, err
	}
	f, err := text.build(thread)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	w, err := stdout(thread, b)
	if err != nil {
		return nil, err
	}
	src, err := ctx.OpenEvents()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	if r, ok := src.(*events.Reader); ok {
		err = process.Print(r, w, process.PrintOptions{Format: f, Match: match})
	} else {
		err = printLive(src, w, &f, ctx, match)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	return starlark.None, nil
}

// printLive prints events as they come, flushing after each so that a
// person watching sees them.
func printLive(src run.Source, w io.Writer, f *output.Format, ctx *run.Context, match process.Matcher) error {
	p := output.NewPrinter(w, f)
	for {
		e, err := src.Next()
		if errors.Is(err, io.EOF) {
			return p.Flush()
		}
		if err != nil {
			return err
		}
		ctx.AddProcessed(1)
		if match != nil && e.Startup == nil && !match(e) {
			continue
		}
		if err := p.Event(e); err != nil {
			return err
		}
		if err := p.Flush(); err != nil {
			return err
		}
	}
}

func sortFn(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var (
		ctx       *run.Context
		out       starlark.Value = starlark.None
		alsoPrint bool
		window    noneOr[starlarktime.Duration]
		maxEvents starlark.Value = starlark.None
		text      textArgs
		filter    noneOr[string]
	)
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "ctx", &ctx,
		"out?", &out, "print?", &alsoPrint, "window?", &window, "max_events?", &maxEvents,
		"format?", &text.format, "utc?", &text.utc, "print_ll?", &text.printLL, "filter?", &filter); err != nil {
		return nil, err
	}
	match, err := matcher(b, filter.v)
	if err != nil {
		return nil, err
	}
	f, err := text.build(thread)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	o := process.SortOptions{Format: f, Match: match, Tracking: tracking.Options{Window: time.Duration(window.v)}}
	if window.v < 0 {
		return nil, fmt.Errorf("%s: window: negative duration %s", b.Name(), time.Duration(window.v))
	}
	if maxEvents != starlark.None {
		n, err := starlark.AsInt32(maxEvents)
		if err != nil {
			return nil, fmt.Errorf("%s: max_events: %w", b.Name(), err)
		}
		o.Tracking.MaxEvents = n
	}
	path, err := outPath(b, out)
	if err != nil {
		return nil, err
	}
	w, err := stdout(thread, b)
	if err != nil {
		return nil, err
	}
	if path != "" && path != Stdout && ctx.Input() != "" && sameFile(ctx.Input(), path) {
		return nil, fmt.Errorf("%s: sort -o %s would overwrite its input: write elsewhere", b.Name(), path)
	}
	r, err := reader(ctx, b)
	if err != nil {
		return nil, err
	}
	var file *outFile
	switch {
	case path == "":
		o.Text = w
	case path == Stdout:
		o.JSON = w
	default:
		file, err = create(thread, b, path)
		if err != nil {
			return nil, err
		}
		o.JSON = file
		if alsoPrint {
			o.Text = w
		}
	}
	err = process.Sort(r, o)
	if err == nil && file != nil {
		err = file.Sync()
	}
	if err != nil {
		discard(file)
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	return starlark.None, nil
}

func pcapFn(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var (
		ctx   *run.Context
		out   starlark.Value = starlark.String(Stdout)
		probe noneOr[string]
	)
	var filter noneOr[string]
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "ctx", &ctx, "out?", &out, "probe?", &probe, "filter?", &filter); err != nil {
		return nil, err
	}
	match, err := matcher(b, filter.v)
	if err != nil {
		return nil, err
	}
	path, err := outPath(b, out)
	if err != nil {
		return nil, err
	}
	if path == "" {
		path = Stdout
	}
	r, err := reader(ctx, b)
	if err != nil {
		return nil, err
	}
	var (
		w    io.Writer
		file *outFile
	)
	if path == Stdout {
		if w, err = stdout(thread, b); err != nil {
			return nil, err
		}
	} else {
		if file, err = create(thread, b, path); err != nil {
			return nil, err
		}
		w = file
	}
	n, err := process.Pcap(r, w, process.PcapOptions{Probe: probe.v, Match: match})
	if err != nil {
		discard(file)
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	return starlark.MakeInt(n), nil
}

// noneOr unpacks None as T's zero value, or a T: scripts pass on
// ctx.args.get(...) without testing for absent arguments.
type noneOr[T any] struct{ v T }

func (n *noneOr[T]) Unpack(v starlark.Value) error {
	if v == starlark.None {
		return nil
	}
	switch p := any(&n.v).(type) {
	case *string:
		s, ok := starlark.AsString(v)
		if !ok {
			return fmt.Errorf("got %s, want a string or None", v.Type())
		}
		*p = s
		return nil
	case starlark.Unpacker:
		return p.Unpack(v)
	}
	return fmt.Errorf("cannot unpack %s", v.Type())
}

// outPath unpacks out: None (""), or a non-empty path.
func outPath(b *starlark.Builtin, v starlark.Value) (string, error) {
	if v == starlark.None {
		return "", nil
	}
	s, ok := starlark.AsString(v)
	if !ok || s == "" {
		return "", fmt.Errorf("%s: out: want a path, %q or None, got %s", b.Name(), Stdout, v.String())
	}
	return s, nil
}

// outFile is an output file that the run's file set closes at the end if
// the builtin did not; closing twice is not an error.
type outFile struct {
	*os.File
	closed bool
}

func (f *outFile) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	return f.File.Close()
}

func create(thread *starlark.Thread, b *starlark.Builtin, path string) (*outFile, error) {
	return files.Open(thread, b, path, func(p string) (*outFile, error) {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, events.FileMode)
		if err != nil {
			return nil, err
		}
		return &outFile{File: f}, nil
	})
}

// discard removes the output of a failed command: half a capture or half
// the series is worse than none, since readers stop at the cut and the
// user would not know.
func discard(f *outFile) {
	if f == nil {
		return
	}
	f.Close()
	os.Remove(f.Name())
}

// sameFile tells whether two paths name the same file.
func sameFile(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(sa, sb)
	}
	aa, _ := filepath.Abs(a)
	bb, _ := filepath.Abs(b)
	return aa == bb
}

// matcher compiles a pcap-filter expression for stored packets; "" keeps
// every event. Events without a packet never match a filter.
func matcher(b *starlark.Builtin, expr string) (process.Matcher, error) {
	if expr == "" {
		return nil, nil
	}
	m, err := cbpf.NewPacketMatcher(expr)
	if err != nil {
		return nil, fmt.Errorf("%s: filter: %w", b.Name(), err)
	}
	return m.Match, nil
}
