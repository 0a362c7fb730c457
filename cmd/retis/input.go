package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/retis-go/retis/engine/events"
)

// inputFlag is the input of post-processing commands: a positional FILE
// or -i/--input FILE, as Retis accepts both.
type inputFlag struct{ path string }

func (in *inputFlag) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&in.path, "input", "i", "", "events file to read (default "+events.DefaultFile+"; a rotated set FILE.0, FILE.1... is read in order)")
}

// resolve picks the input from the flag or the positional argument.
func (in *inputFlag) resolve(args []string) (string, error) {
	switch {
	case len(args) > 1:
		return "", fmt.Errorf("too many input files %q: give one FILE", args)
	case len(args) == 1 && in.path != "" && in.path != args[0]:
		return "", fmt.Errorf("input given twice (%s and -i %s): use one", args[0], in.path)
	case len(args) == 1:
		return args[0], nil
	case in.path != "":
		return in.path, nil
	}
	return events.DefaultFile, nil
}

// check resolves the input and checks it exists, before a pager starts.
func (in *inputFlag) check(args []string) (string, error) {
	p, err := in.resolve(args)
	if err != nil {
		return "", err
	}
	if _, err := events.Paths(p); err != nil {
		return "", err
	}
	return p, nil
}

// open opens the event set named by the flag or argument.
func (in *inputFlag) open(args []string) (*events.Reader, error) {
	p, err := in.resolve(args)
	if err != nil {
		return nil, err
	}
	return events.Open(p, events.Options{})
}
