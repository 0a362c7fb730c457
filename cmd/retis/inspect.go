package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/retis-go/retis/engine/collect"
)

func newInspectCmd() *cobra.Command {
	var targets bool
	cmd := &cobra.Command{
		Use:   "inspect",
		Short: "Show what this kernel can probe",
		Long:  "Show the kernel's attach backends, BTF, usable collectors and the tracepoints and functions taking a struct sk_buff.",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			in, err := collect.Inspect()
			if err != nil {
				return err
			}
			return in.WriteText(os.Stdout, targets)
		},
	}
	cmd.Flags().BoolVar(&targets, "targets", false, "list every target taking a struct sk_buff")
	return cmd
}
