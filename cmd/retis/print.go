package main

import (
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/retis-go/retis/engine/process"
)

func newPrintCmd() *cobra.Command {
	var (
		in   inputFlag
		text textFlags
	)
	cmd := &cobra.Command{
		Use:   "print [FILE]",
		Short: "Print stored events",
		Long:  "Print stored events as text, one event (or, for a file written by 'sort -o', one series) after the other.",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			f, err := text.build(os.Stdout)
			if err != nil {
				return err
			}
			r, err := in.open(args)
			if err != nil {
				return err
			}
			defer r.Close()
			return paged(func(w io.Writer) error {
				return process.Print(r, w, process.PrintOptions{Format: f})
			})
		},
	}
	in.register(cmd)
	text.register(cmd)
	return cmd
}
