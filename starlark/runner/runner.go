package runner

import (
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/retis-go/retis/builtins/engine"
	"github.com/retis-go/retis/builtins/kernel"
	"github.com/retis-go/retis/builtins/pcap"
	"github.com/retis-go/retis/builtins/run"
	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/output"
	"github.com/retis-go/retis/engine/tracking"
	"github.com/retis-go/retis/starlark"
)

// Options describe a run.
type Options struct {
	// Files is where the script (and what it loads) is read from.
	Files starlark.Files
	// Script is its name in Files.
	Script string
	// Args are the --arg k=v pairs (ctx.args); their values are also
	// paths the script may open.
	Args map[string]string
	// Paths are other paths the user gave for the script to write.
	Paths []string
	// Text is the format of str(e), str(s), fmt.* and the default of
	// process.print; the clock offset is filled from the events.
	Text output.Format
	// Tracking tunes the sorter behind ctx.series().
	Tracking tracking.Options
	// Stdout receives print() and process.*; nil lets the runtime choose.
	Stdout io.Writer
	// MaxSteps bounds main(ctx) (0: no bound).
	MaxSteps uint64
	// Kernel answers kernel.*; nil means the running kernel.
	Kernel kernel.Facts
}

// Loaded is a script whose top level ran: its declarations are in
// Script.Config. Call one of its On methods once.
type Loaded struct {
	// Script is the loaded script.
	Script *starlark.Script

	opts    Options
	text    *engine.Text
	startup *events.Startup
}

// Load reads the script and runs its top level.
func Load(opts Options) (*Loaded, error) {
	l := &Loaded{opts: opts, text: &engine.Text{Format: opts.Text}}
	s, err := starlark.Load(opts.Files, opts.Script, starlark.Options{
		Stdout:    opts.Stdout,
		Paths:     opts.Paths,
		MainSteps: opts.MaxSteps,
		StepsHint: "raise it with --max-steps",
		Kernel:    opts.Kernel,
		Formatter: l.text,
		// The opener runs from main(ctx), once the events told the
		// clock offset.
		Pcap: func(path string) (pcap.Writer, error) { return engine.NewPcapOpener(l.startup)(path) },
	})
	if err != nil {
		return nil, err
	}
	l.Script = s
	return l, nil
}

// OnFile runs main(ctx) on the events file at path: ctx.events() reads
// it, ctx.series() sorts it, ctx.input is path. A first interrupt (Ctrl-C)
// stops the script.
func (l *Loaded) OnFile(path string) error {
	startup, err := engine.ReadStartup(path)
	if err != nil {
		return err
	}
	events := run.FileEvents(path, events.Options{})
	return l.main(startup, run.Options{
		Input:  path,
		Events: events,
		Series: engine.Series(events, l.opts.Tracking),
		Args:   l.opts.Args,
	}, true)
}

// OnSource runs main(ctx) on a live collection: open gives its events
// once (run.Pipe.Open), startup is the collection's startup event, lost
// counts the events it lost so far. Stopping the collection ends the
// script's loops, so interrupts are the caller's to handle.
func (l *Loaded) OnSource(open func() (run.Source, error), startup *events.Startup, lost func() uint64) error {
	return l.main(startup, run.Options{
		Events: open,
		Series: engine.Series(open, l.opts.Tracking),
		Args:   l.opts.Args,
		Lost:   lost,
	}, false)
}

func (l *Loaded) main(startup *events.Startup, ro run.Options, interrupt bool) error {
	if !l.Script.HasMain() {
		return fmt.Errorf("%s: %w: it only declares what to collect", l.opts.Script, starlark.ErrNoMain)
	}
	l.startup = startup
	if startup != nil {
		l.text.Format.MonotonicOffset = &startup.ClockMonotonicOffset
	}
	if interrupt {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt)
		done := make(chan struct{})
		defer func() {
			signal.Stop(sig)
			close(done)
		}()
		go func() {
			select {
			case <-sig:
				l.Script.Cancel("interrupted")
			case <-done:
			}
		}()
	}
	return l.Script.Main(run.NewContext(ro))
}
