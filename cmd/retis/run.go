package main

import (
	"log/slog"
	"sync/atomic"

	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	bcollect "github.com/retis-go/retis/builtins/collect"
	"github.com/retis-go/retis/builtins/engine"
	brun "github.com/retis-go/retis/builtins/run"
	"github.com/retis-go/retis/engine/collect"
	"github.com/retis-go/retis/scripts"
	"github.com/retis-go/retis/starlark/runner"
)

func newRunCmd() *cobra.Command {
	var (
		input    string
		argFlags []string
		out      string
		maxSteps uint64
		text     textFlags
		live     liveFlags
	)
	cmd := &cobra.Command{
		Use:   "run SCRIPT [-i FILE] [--arg KEY=VALUE]...",
		Short: "Run a Starlark script on events",
		Long: `Run a Starlark script: its top level declares what to collect, and its
main(ctx) consumes the events, from a stored file (-i) or live. SCRIPT is a
file, or the name of a built-in script: ` + strings.Join(scripts.Names(), ", ") + `.

  retis run drop_report -i retis.data
  retis run ci_check -i retis.data --arg allow=NO_SOCKET,TCP_CSUM
  retis run my_check.star -i retis.data --arg threshold=10

ctx.args holds the --arg values. A script fails with fail("msg"): the
message is printed and the exit status is 1. Errors in the script print
file:line:col and the Starlark backtrace. docs/scripting.md describes the
builtins.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, pos []string) error {
			f, err := text.build(os.Stdout)
			if err != nil {
				return err
			}
			args, err := runner.ParseArgs(argFlags)
			if err != nil {
				return err
			}
			if input != "" && out != "" {
				return fmt.Errorf("-o stores the events of a live collection; with -i %s they are stored already (give the script its output paths with --arg)", input)
			}
			files, name, err := runner.Locate(pos[0])
			if err != nil {
				return err
			}
			var paths []string
			if input != "" {
				paths = append(paths, input)
			}
			l, err := runner.Load(runner.Options{
				Files:    files,
				Script:   name,
				Args:     args,
				Paths:    paths,
				Text:     f,
				MaxSteps: maxSteps,
			})
			if err != nil {
				return reportScript(err)
			}
			if input == "" {
				return runLive(c, l, live)
			}
			return reportScript(l.OnFile(input))
		},
	}
	cmd.Flags().StringVarP(&input, "input", "i", "", "events file to run the script on (a rotated set FILE.0, FILE.1... is read in order); without it, collect live")
	cmd.Flags().StringArrayVar(&argFlags, "arg", nil, "KEY=VALUE for the script's ctx.args (repeat for more keys); values are also paths the script may write")
	cmd.Flags().StringVarP(&out, "out", "o", "", "live: also store the collected events in this file, as 'retis collect -o'")
	cmd.Flags().Uint64Var(&maxSteps, "max-steps", 0, "stop main(ctx) after this many Starlark steps (0: no limit)")
	text.register(cmd)
	live.register(cmd)
	live.out = &out
	return cmd
}

// liveFlags are the collect flags `retis run` takes for a live run; they
// extend what the script declares.
type liveFlags struct {
	cmd       string
	stopAfter uint64
	probes    []string
	filter    string
	allowSys  bool
	out       *string
}

func (f *liveFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.cmd, "cmd", "", "live: run CMD with sh -c once probes are attached, stop when it exits")
	fl.Uint64Var(&f.stopAfter, "stop-after", 0, "live: stop after N events")
	fl.StringArrayVarP(&f.probes, "probe", "p", nil, "live: add a probe, [TYPE:]TARGET[/stack] (repeatable)")
	fl.StringVarP(&f.filter, "filter-packet", "f", "", "live: packet filter, pcap-filter(7) syntax")
	fl.BoolVar(&f.allowSys, "allow-system-changes", false, "live: let collectors change the system (the nft collector adds table inet Retis_Table)")
}

// runLive collects what the script declares (extended by the flags) and
// feeds the events to its main(ctx) as they come. Ctrl-C, the end of
// --cmd or --stop-after end the collection; main then sees the end of
// ctx.events().
func runLive(c *cobra.Command, l *runner.Loaded, f liveFlags) error {
	decl := l.Script.Config
	extra := &bcollect.Config{}
	for _, p := range f.probes {
		spec, err := bcollect.ParseProbe(p)
		if err != nil {
			return err
		}
		extra.Probes = append(extra.Probes, spec)
	}
	if f.cmd != "" {
		extra.Cmd = &f.cmd
	}
	if f.stopAfter != 0 {
		extra.StopAfter = &f.stopAfter
	}
	if f.filter != "" {
		extra.Filter = &f.filter
	}
	if f.allowSys {
		extra.AllowSystemChanges = &f.allowSys
	}
	if *f.out != "" {
		extra.Out = f.out
	}
	decl.Extend(extra)
	cfg := engine.CollectConfig(decl)
	cfg.Cmdline = strings.Join(os.Args, " ")
	cfg.Log = slog.Default()

	pipe := brun.NewPipe(4096)
	ctx, stop := collect.SignalContext(c.Context())
	var lost atomic.Uint64
	done := make(chan error, 1)
	go func() {
		st, err := collect.Run(ctx, cfg, pipe)
		if st != nil {
			lost.Store(st.Lost)
		}
		pipe.CloseWrite(err)
		done <- err
	}()
	serr := l.OnSource(pipe.Open, nil, lost.Load)
	// main is done: a collection still running (main returned early, or
	// never read the events) ends too.
	pipe.Close()
	stop()
	cerr := <-done
	if serr != nil {
		return reportScript(serr)
	}
	if cerr != nil && !errors.Is(cerr, brun.ErrReaderGone) {
		return cerr
	}
	return nil
}
