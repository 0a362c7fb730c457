package run

import (
	"errors"
	"io"
	"strings"
	"testing"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/retis-go/retis/engine/events"
)

// sliceSource serves events from memory and records Close.
type sliceSource struct {
	evs    []*events.Event
	err    error // returned after the events instead of io.EOF
	closed int
}

func (s *sliceSource) Next() (*events.Event, error) {
	if len(s.evs) == 0 {
		if s.err != nil {
			return nil, s.err
		}
		return nil, io.EOF
	}
	e := s.evs[0]
	s.evs = s.evs[1:]
	return e, nil
}

func (s *sliceSource) Close() error { s.closed++; return nil }

func ev(ts uint64, symbol string) *events.Event {
	return &events.Event{Common: &events.Common{Timestamp: ts}, Kernel: &events.Kernel{Symbol: symbol, ProbeType: "raw_tracepoint"}}
}

func callMain(t *testing.T, ctx *Context, src string) error {
	t.Helper()
	th := new(starlark.Thread)
	g, err := starlark.ExecFileOptions(&syntax.FileOptions{}, th, "m.star", src, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = starlark.Call(th, g["main"], starlark.Tuple{ctx}, nil)
	return err
}

func TestEventsSkipStartupCountAndClose(t *testing.T) {
	var opened []*sliceSource
	ctx := NewContext(Options{
		Events: func() (Source, error) {
			s := &sliceSource{evs: []*events.Event{
				{Startup: &events.Startup{RetisVersion: "v1.6.0"}, Common: &events.Common{Timestamp: 1}},
				ev(2, "a"), ev(3, "b"), ev(4, "c"),
			}}
			opened = append(opened, s)
			return s, nil
		},
		Args: map[string]string{"k": "v"},
		Lost: func() uint64 { return 7 },
	})
	err := callMain(t, ctx, `
def main(ctx):
    got = [e.kernel.symbol for e in ctx.events()]
    if got != ["a", "b", "c"]:
        fail(got)
    for e in ctx.events():
        break
    if (ctx.stats.processed, ctx.stats.lost) != (4, 7):
        fail(ctx.stats)
    if ctx.args["k"] != "v":
        fail(ctx.args)
    ctx.args["x"] = "y"
`)
	if err == nil || !strings.Contains(err.Error(), "frozen") {
		t.Fatalf("args writable: %v", err)
	}
	if len(opened) != 2 || opened[0].closed != 1 || opened[1].closed != 1 {
		t.Fatalf("sources not closed once each: %d opened", len(opened))
	}
	if ctx.Processed() != 4 {
		t.Fatalf("processed %d", ctx.Processed())
	}
	if err := ctx.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestSourceErrorCancels(t *testing.T) {
	ctx := NewContext(Options{Events: func() (Source, error) {
		return &sliceSource{evs: []*events.Event{ev(1, "a")}, err: errors.New("f.json:3: truncated")}, nil
	}})
	err := callMain(t, ctx, `
def main(ctx):
    for e in ctx.events():
        pass
    print("not reached")
`)
	if err == nil || !strings.Contains(err.Error(), "cancelled: ctx.events: f.json:3: truncated") {
		t.Fatalf("got %v", err)
	}
	if ctx.Err() == nil || ctx.Err().Error() != "ctx.events: f.json:3: truncated" {
		t.Fatalf("Err() = %v", ctx.Err())
	}
}

func TestOpenErrorsNameTheBuiltin(t *testing.T) {
	ctx := NewContext(Options{Series: func() (SeriesSource, error) { return nil, errors.New("no tracking in this file") }})
	err := callMain(t, ctx, "def main(ctx):\n    ctx.series()\n")
	if err == nil || !strings.Contains(err.Error(), "ctx.series: no tracking in this file") {
		t.Fatalf("got %v", err)
	}
	err = callMain(t, ctx, "def main(ctx):\n    ctx.events()\n")
	if !errors.Is(err, ErrNoSource) {
		t.Fatalf("got %v", err)
	}
}

func TestPushSeries(t *testing.T) {
	all := [][]*events.Event{{ev(1, "a"), ev(2, "b")}, {ev(3, "c")}, {ev(4, "d")}}
	produced := 0
	var produceErr error
	src := func() (SeriesSource, error) {
		produced = 0
		return PushSeries(func(emit func([]*events.Event) error) error {
			for _, s := range all {
				if err := emit(s); err != nil {
					produceErr = err
					return err
				}
				produced++
			}
			return nil
		}), nil
	}
	ctx := NewContext(Options{Series: src})
	if err := callMain(t, ctx, `
def main(ctx):
    n = [len(s) for s in ctx.series()]
    if n != [2, 1, 1]:
        fail(n)
    for s in ctx.series():
        if s.first.kernel.symbol != "a":
            fail(s.first)
        break
`); err != nil {
		t.Fatal(err)
	}
	// Breaking out after the first series stopped the producer there.
	if produced != 0 || produceErr == nil {
		t.Fatalf("producer ran on: %d emitted, err %v", produced, produceErr)
	}
	if ctx.Processed() != 6 {
		t.Fatalf("processed %d, want 4 + 2", ctx.Processed())
	}

	failing := NewContext(Options{Series: func() (SeriesSource, error) {
		return PushSeries(func(emit func([]*events.Event) error) error {
			_ = emit(all[0])
			return errors.New("sorter: out of memory")
		}), nil
	}})
	err := callMain(t, failing, "def main(ctx):\n    for s in ctx.series():\n        pass\n")
	if err == nil || !strings.Contains(err.Error(), "ctx.series: sorter: out of memory") {
		t.Fatalf("got %v", err)
	}
}

func TestInputAndOpenEvents(t *testing.T) {
	src := &sliceSource{evs: []*events.Event{ev(1, "a"), ev(2, "b")}}
	ctx := NewContext(Options{Input: "drops.data", Events: func() (Source, error) { return src, nil }})
	if err := callMain(t, ctx, "def main(ctx):\n    if ctx.input != \"drops.data\":\n        fail(ctx.input)\n"); err != nil {
		t.Fatal(err)
	}
	got, err := ctx.OpenEvents()
	if err != nil || got != src {
		t.Fatalf("OpenEvents: %v %v", got, err)
	}
	ctx.AddProcessed(2)
	if err := ctx.Close(); err != nil || src.closed != 1 || ctx.Processed() != 2 {
		t.Fatalf("close %v, closed %d, processed %d", err, src.closed, ctx.Processed())
	}

	live := NewContext(Options{})
	if err := callMain(t, live, "def main(ctx):\n    if ctx.input != None:\n        fail(ctx.input)\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := live.OpenEvents(); !errors.Is(err, ErrNoSource) {
		t.Fatalf("OpenEvents without a source: %v", err)
	}
}
