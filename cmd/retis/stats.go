package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/retis-go/retis/engine/process"
)

func newStatsCmd() *cobra.Command {
	var in inputFlag
	cmd := &cobra.Command{
		Use:   "stats [FILE]",
		Short: "Print information about stored events",
		Long:  "Print the number of events, the events per probe and the time of the first and last event of a stored events file.",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			r, err := in.open(args)
			if err != nil {
				return err
			}
			defer r.Close()
			s, err := process.ComputeStats(r)
			if err != nil {
				return err
			}
			return s.Write(os.Stdout)
		},
	}
	in.register(cmd)
	return cmd
}
