package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/retis-go/retis/engine/events"
)

func newSchemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON schema of an event",
		Long:  "Print the JSON schema (draft 2020-12) of the events stored by 'retis collect -o', for tools that read event files.",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			s, err := events.Schema()
			if err != nil {
				return err
			}
			_, err = os.Stdout.Write(append(s, '\n'))
			return err
		},
	}
}
