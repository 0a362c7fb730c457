package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/retis-go/retis/engine/output"
)

// textFlags are the flags of commands printing events as text.
type textFlags struct {
	format string
	utc    bool
	ll     bool
}

func (t *textFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&t.format, "format", "multi-line", "event format: multi-line or single-line")
	cmd.Flags().BoolVar(&t.utc, "utc", false, "print times as UTC dates instead of monotonic timestamps")
	cmd.Flags().BoolVarP(&t.ll, "print-ll", "e", false, "print link-layer information from the packet")
}

// build returns the output format for w (colour only on a terminal).
func (t *textFlags) build(w *os.File) (output.Format, error) {
	f := output.Format{PrintLL: t.ll, Color: output.ColorEnabled(w)}
	switch t.format {
	case "multi-line":
		f.Multiline = true
	case "single-line":
	default:
		return f, fmt.Errorf("invalid --format %q: use multi-line or single-line", t.format)
	}
	if t.utc {
		f.Time = output.UTCTime
	}
	return f, nil
}

// paged runs fn with stdout behind the pager (when stdout is a terminal
// and NOPAGER is unset). A reader that stops early (a pager quit, a
// closed pipe) is not an error.
func paged(fn func(w io.Writer) error) error {
	pg, err := output.StartPager(os.Stdout)
	if err != nil {
		return err
	}
	err = fn(pg)
	cerr := pg.Close()
	if errors.Is(err, syscall.EPIPE) {
		return nil
	}
	if err != nil {
		return err
	}
	return cerr
}
