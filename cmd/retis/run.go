package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/retis-go/retis/scripts"
	"github.com/retis-go/retis/starlark/runner"
)

// errNoLive is what `retis run` without -i says until the collection
// engine is wired: runner.Loaded.OnSource over a run.Pipe that the
// collection writes to is the place.
var errNoLive = errors.New("live collection is not available in this build yet: run the script on stored events with -i FILE")

func newRunCmd() *cobra.Command {
	var (
		input    string
		argFlags []string
		out      string
		maxSteps uint64
		text     textFlags
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
		RunE: func(_ *cobra.Command, pos []string) error {
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
				return errNoLive
			}
			return reportScript(l.OnFile(input))
		},
	}
	cmd.Flags().StringVarP(&input, "input", "i", "", "events file to run the script on (a rotated set FILE.0, FILE.1... is read in order); without it, collect live")
	cmd.Flags().StringArrayVar(&argFlags, "arg", nil, "KEY=VALUE for the script's ctx.args (repeat for more keys); values are also paths the script may write")
	cmd.Flags().StringVarP(&out, "out", "o", "", "live: also store the collected events in this file, as 'retis collect -o'")
	cmd.Flags().Uint64Var(&maxSteps, "max-steps", 0, "stop main(ctx) after this many Starlark steps (0: no limit)")
	text.register(cmd)
	return cmd
}
