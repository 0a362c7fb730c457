package main

import (
	"io"
	"os"

	"github.com/spf13/cobra"
)

func newPrintCmd() *cobra.Command {
	var (
		in     inputFlag
		text   textFlags
		filter string
	)
	cmd := &cobra.Command{
		Use:   "print [FILE]",
		Short: "Print stored events",
		Long: `Print stored events as text, one event (or, for a file written by 'sort -o', one series) after the other.

It runs the built-in script print (retis run print -i FILE --arg utc=true).`,
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
			return paged(func(w io.Writer) error {
				a := text.args()
				a["filter"] = filter
				return runBuiltin("print", path, a, f, w)
			})
		},
	}
	in.register(cmd)
	text.register(cmd)
	registerFilter(cmd, &filter)
	return cmd
}
