package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/process"
	"github.com/retis-go/retis/engine/tracking"
)

func newSortCmd() *cobra.Command {
	var (
		in    inputFlag
		text  textFlags
		out   string
		print bool
		topts tracking.Options
	)
	cmd := &cobra.Command{
		Use:   "sort [FILE]",
		Short: "Group stored events into series, one per packet",
		Long: `Group stored events into series: the events of one packet (same skb
tracking id, or linked through an OvS upcall), ordered by time.

A series is written once it can no longer grow: when events more than
--window newer have been seen, or when more than --max-events are held;
memory stays bounded however big the file.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			f, err := text.build(os.Stdout)
			if err != nil {
				return err
			}
			inPath, err := in.resolve(args)
			if err != nil {
				return err
			}
			if out != "" && out != "-" && out != "/dev/stdout" {
				if same(inPath, out) {
					return fmt.Errorf("sort -o %s would overwrite its input: write elsewhere", out)
				}
			}
			r, err := events.Open(inPath, events.Options{})
			if err != nil {
				return err
			}
			defer r.Close()
			o := process.SortOptions{Tracking: topts, Format: f}
			if out == "" {
				return paged(func(w io.Writer) error {
					o.Text = w
					return process.Sort(r, o)
				})
			}
			var jf *os.File
			if out == "-" || out == "/dev/stdout" {
				jf = os.Stdout
			} else {
				jf, err = os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, events.FileMode)
				if err != nil {
					return fmt.Errorf("create sorted file: %w", err)
				}
				defer jf.Close()
			}
			o.JSON = jf
			if print {
				o.Text = os.Stdout
			}
			if err := process.Sort(r, o); err != nil {
				return err
			}
			if jf != os.Stdout {
				return jf.Sync()
			}
			return nil
		},
	}
	in.register(cmd)
	text.register(cmd)
	cmd.Flags().StringVarP(&out, "out", "o", "", "write the series as JSON (one array per line) to this file instead of printing them; - for stdout")
	cmd.Flags().BoolVar(&print, "print", false, "also print the series as text when --out is used")
	cmd.Flags().DurationVar(&topts.Window, "window", tracking.DefaultWindow, "how long after its last event a series may still grow")
	cmd.Flags().IntVar(&topts.MaxEvents, "max-events", tracking.DefaultMaxEvents, "events held at most before the oldest series is written early (negative: no cap)")
	return cmd
}

// same tells whether two paths name the same file.
func same(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	if err1 == nil && err2 == nil {
		return os.SameFile(sa, sb)
	}
	aa, _ := filepath.Abs(a)
	bb, _ := filepath.Abs(b)
	return aa == bb
}
