package main

import (
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/retis-go/retis/engine/logging"
)

// version is set at link time by the Makefile.
var version = "dev"

func newRoot() *cobra.Command {
	var logLevel string
	root := &cobra.Command{
		Use:   "retis",
		Short: "Trace packets in the Linux networking stack",
		Long: `retis traces packets in the Linux networking stack with eBPF.

Collect events with 'retis collect' (live, or stored with -o), then
post-process stored events with 'retis print', 'retis sort', 'retis pcap'
and 'retis stats', or with a Starlark script: 'retis run'.`,
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			level, err := logging.ParseLevel(logLevel)
			if err != nil {
				return err
			}
			slog.SetDefault(slog.New(logging.NewHandler(os.Stderr, level)))
			return nil
		},
	}
	root.PersistentFlags().StringVar(&logLevel, "log-level", "info", "log level: error, warn, info, debug or trace")
	root.AddCommand(
		newCollectCmd(),
		newInspectCmd(),
		newPrintCmd(),
		newSortCmd(),
		newPcapCmd(),
		newStatsCmd(),
		newRunCmd(),
		newProfileCmd(),
		newSchemaCmd(),
	)
	return root
}
