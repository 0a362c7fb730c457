package run

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"sync/atomic"

	"go.starlark.net/starlark"

	"github.com/retis-go/retis/builtins/event"
	"github.com/retis-go/retis/engine/events"
)

// ErrNoSource is returned by ctx.events() or ctx.series() when the command
// gave no way to get them.
var ErrNoSource = errors.New("no input")

// Options are what a Context serves.
type Options struct {
	// Events opens a stream for each ctx.events() call.
	Events func() (Source, error)
	// Series opens a stream for each ctx.series() call.
	Series func() (SeriesSource, error)
	// Args are the --arg k=v pairs.
	Args map[string]string
	// Input is the events file (-i) the sources read; empty for a live
	// collection.
	Input string
	// Lost returns how many events the collection lost so far; nil for
	// files.
	Lost func() uint64
}

// Context is the ctx value. It is not safe for concurrent use, except
// Processed and Err.
type Context struct {
	opts      Options
	args      *starlark.Dict
	processed atomic.Uint64
	open      []io.Closer
	err       error
}

var _ starlark.HasAttrs = (*Context)(nil)

// NewContext returns a ctx serving opts.
func NewContext(opts Options) *Context {
	keys := make([]string, 0, len(opts.Args))
	for k := range opts.Args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	d := starlark.NewDict(len(keys))
	for _, k := range keys {
		_ = d.SetKey(starlark.String(k), starlark.String(opts.Args[k]))
	}
	d.Freeze()
	return &Context{opts: opts, args: d}
}

// Args returns the --arg pairs.
func (c *Context) Args() map[string]string { return c.opts.Args }

// Processed returns how many events (in series too) were handed to the
// script.
func (c *Context) Processed() uint64 { return c.processed.Load() }

// Err returns the source error that ended the script, if any: the
// interpreter only reports that the thread was cancelled.
func (c *Context) Err() error { return c.err }

// Input returns the events file the run reads, "" for a live collection.
func (c *Context) Input() string { return c.opts.Input }

// OpenEvents opens the events for a Go builtin that consumes the whole
// stream itself (process.print hands the loop to engine/process rather
// than making a Starlark value per event). The source is closed with the
// context; the builtin reports what it consumed with AddProcessed.
func (c *Context) OpenEvents() (Source, error) {
	if c.opts.Events == nil {
		return nil, fmt.Errorf("%w (give an events file with -i)", ErrNoSource)
	}
	src, err := c.opts.Events()
	if err != nil {
		return nil, err
	}
	c.track(src)
	return src, nil
}

// AddProcessed counts n more events handed over, for ctx.stats.
func (c *Context) AddProcessed(n uint64) { c.processed.Add(n) }

// Close closes the streams still open.
func (c *Context) Close() error {
	var errs []error
	for _, cl := range c.open {
		errs = append(errs, cl.Close())
	}
	c.open = nil
	return errors.Join(errs...)
}

func (c *Context) String() string        { return "ctx" }
func (c *Context) Type() string          { return "context" }
func (c *Context) Freeze()               {}
func (c *Context) Truth() starlark.Bool  { return starlark.True }
func (c *Context) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: context") }
func (c *Context) AttrNames() []string {
	return []string{"args", "events", "input", "series", "stats"}
}

// Attr implements starlark.HasAttrs.
func (c *Context) Attr(name string) (starlark.Value, error) {
	switch name {
	case "events":
		return starlark.NewBuiltin("ctx.events", c.events), nil
	case "series":
		return starlark.NewBuiltin("ctx.series", c.series), nil
	case "args":
		return c.args, nil
	case "input":
		if c.opts.Input == "" {
			return starlark.None, nil
		}
		return starlark.String(c.opts.Input), nil
	case "stats":
		return &stats{c: c}, nil
	}
	return nil, nil
}

func (c *Context) track(x any) {
	if cl, ok := x.(io.Closer); ok {
		c.open = append(c.open, cl)
	}
}

func (c *Context) untrack(x any) {
	cl, ok := x.(io.Closer)
	if !ok {
		return
	}
	for i, o := range c.open {
		if o == cl {
			c.open = append(c.open[:i], c.open[i+1:]...)
			break
		}
	}
	_ = cl.Close()
}

func (c *Context) events(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	if c.opts.Events == nil {
		return nil, fmt.Errorf("%s: %w (give an events file with -i)", b.Name(), ErrNoSource)
	}
	src, err := c.opts.Events()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	c.track(src)
	fm := event.FormatterOf(thread)
	return &stream{name: b.Name(), c: c, thread: thread, next: func() (starlark.Value, int, error) {
		for {
			e, err := src.Next()
			if err != nil {
				return nil, 0, err
			}
			// The startup event describes the file, it is not something
			// that happened to a packet.
			if e.Startup != nil && e.Kernel == nil && e.Userspace == nil {
				continue
			}
			return event.New(e, fm), 1, nil
		}
	}, src: src}, nil
}

func (c *Context) series(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	if c.opts.Series == nil {
		return nil, fmt.Errorf("%s: %w (give an events file with -i)", b.Name(), ErrNoSource)
	}
	src, err := c.opts.Series()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	c.track(src)
	fm := event.FormatterOf(thread)
	return &stream{name: b.Name(), c: c, thread: thread, next: func() (starlark.Value, int, error) {
		s, err := src.Next()
		if err != nil {
			return nil, 0, err
		}
		return event.NewSeries(s, fm), len(s), nil
	}, src: src}, nil
}

// stream is what ctx.events() and ctx.series() return: an iterable that
// can be iterated once.
type stream struct {
	name   string
	c      *Context
	thread *starlark.Thread
	next   func() (starlark.Value, int, error)
	src    any
	used   bool
}

var _ starlark.Iterable = (*stream)(nil)

func (s *stream) String() string        { return s.name + "()" }
func (s *stream) Type() string          { return "stream" }
func (s *stream) Freeze()               {}
func (s *stream) Truth() starlark.Bool  { return starlark.True }
func (s *stream) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: stream") }

// Iterate implements starlark.Iterable. A stream is consumed by its first
// iteration; iterating again is an error rather than silently empty.
func (s *stream) Iterate() starlark.Iterator {
	if s.used {
		s.fail(fmt.Errorf("already iterated; call %s() again for a new pass", s.name))
		return &iterator{s: s, done: true}
	}
	s.used = true
	return &iterator{s: s}
}

func (s *stream) fail(err error) {
	if s.c.err == nil {
		s.c.err = fmt.Errorf("%s: %w", s.name, err)
	}
	s.thread.Cancel(s.c.err.Error())
}

type iterator struct {
	s    *stream
	done bool
}

func (it *iterator) Next(p *starlark.Value) bool {
	if it.done {
		return false
	}
	v, n, err := it.s.next()
	if err != nil {
		it.done = true
		if !errors.Is(err, io.EOF) {
			it.s.fail(err)
		}
		return false
	}
	it.s.c.processed.Add(uint64(n))
	*p = v
	return true
}

// Done closes the source: a loop that breaks early releases the file.
func (it *iterator) Done() {
	it.done = true
	it.s.c.untrack(it.s.src)
}

type stats struct{ c *Context }

func (s *stats) String() string {
	return fmt.Sprintf("stats(processed = %d, lost = %d)", s.c.Processed(), s.lost())
}
func (s *stats) Type() string          { return "stats" }
func (s *stats) Freeze()               {}
func (s *stats) Truth() starlark.Bool  { return starlark.True }
func (s *stats) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: stats") }
func (s *stats) AttrNames() []string   { return []string{"lost", "processed"} }

func (s *stats) lost() uint64 {
	if s.c.opts.Lost == nil {
		return 0
	}
	return s.c.opts.Lost()
}

// Attr returns processed and lost as of now.
func (s *stats) Attr(name string) (starlark.Value, error) {
	switch name {
	case "processed":
		return starlark.MakeUint64(s.c.Processed()), nil
	case "lost":
		return starlark.MakeUint64(s.lost()), nil
	}
	return nil, nil
}

// Compile-time check that the file reader is a Source.
var _ Source = (*events.Reader)(nil)
