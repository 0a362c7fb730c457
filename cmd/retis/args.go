package main

import (
	"strconv"

	"github.com/spf13/cobra"
)

// args maps the text flags to the --arg values of the built-in scripts.
func (t *textFlags) args() map[string]string {
	return map[string]string{
		"format":   t.format,
		"utc":      strconv.FormatBool(t.utc),
		"print_ll": strconv.FormatBool(t.ll),
	}
}

// registerFilter adds -f to a post-processing command.
func registerFilter(cmd *cobra.Command, expr *string) {
	cmd.Flags().StringVarP(expr, "filter", "f", "", "keep events whose packet matches this pcap-filter(7) expression (sort: series with any such event)")
}
