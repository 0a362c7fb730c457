package main

import (
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/retis-go/retis/engine/tracking"
)

func newSortCmd() *cobra.Command {
	var (
		in     inputFlag
		text   textFlags
		out    string
		print  bool
		topts  tracking.Options
		filter string
	)
	cmd := &cobra.Command{
		Use:   "sort [FILE]",
		Short: "Group stored events into series, one per packet",
		Long: `Group stored events into series: the events of one packet (same skb
tracking id, or linked through an OvS upcall), ordered by time.

A series is written once it can no longer grow: when events more than
--window newer have been seen, or when more than --max-events are held;
memory stays bounded however big the file.

It runs the built-in script sort (retis run sort -i FILE --arg out=FILE).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			f, err := text.build(os.Stdout)
			if err != nil {
				return err
			}
			path, err := in.check(args)
			if err != nil {
				return err
			}
			a := text.args()
			a["filter"] = filter
			a["print"] = strconv.FormatBool(print)
			a["window"] = topts.Window.String()
			a["max_events"] = strconv.Itoa(topts.MaxEvents)
			switch out {
			case "":
				return paged(func(w io.Writer) error {
					return runBuiltin("sort", path, a, f, w)
				})
			case "-", "/dev/stdout":
				a["out"] = "-"
				return runBuiltin("sort", path, a, f, os.Stdout)
			}
			a["out"] = out
			return runBuiltin("sort", path, a, f, os.Stdout, out)
		},
	}
	in.register(cmd)
	text.register(cmd)
	registerFilter(cmd, &filter)
	cmd.Flags().StringVarP(&out, "out", "o", "", "write the series as JSON (one array per line) to this file instead of printing them; - for stdout")
	cmd.Flags().BoolVar(&print, "print", false, "also print the series as text when --out is used")
	cmd.Flags().DurationVar(&topts.Window, "window", tracking.DefaultWindow, "how long after its last event a series may still grow")
	cmd.Flags().IntVar(&topts.MaxEvents, "max-events", tracking.DefaultMaxEvents, "events held at most before the oldest series is written early (negative: no cap)")
	return cmd
}
