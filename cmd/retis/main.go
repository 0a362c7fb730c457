// Command retis traces packets in the Linux networking stack with eBPF and
// post-processes the events it stores. This package maps command-line
// flags to the engine and the Starlark runtime; it holds no logic itself.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// exitError carries a specific exit status (e.g. a script's fail()).
type exitError struct {
	code int
	err  error
	// reported is set when the error was written out already (a script's
	// report): main only exits with the code.
	reported bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func main() {
	root := newRoot()
	root.SetArgs(hoistProfiles(os.Args[1:]))
	err := root.Execute()
	if err == nil {
		return
	}
	code := 1
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	if ee == nil || !ee.reported {
		fmt.Fprintf(os.Stderr, "Error: %v\n", err)
	}
	os.Exit(code)
}

// hoistProfiles moves the -p/--profile flags given before the command
// (Retis's `retis -p generic collect`) after it, as --profile: there they
// name profiles only, where collect's own -p also takes probes.
func hoistProfiles(args []string) []string {
	var before, profiles []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case (a == "-p" || a == "--profile") && i+1 < len(args):
			profiles = append(profiles, "--profile", args[i+1])
			i++
		case strings.HasPrefix(a, "--profile="):
			profiles = append(profiles, "--profile", strings.TrimPrefix(a, "--profile="))
		case strings.HasPrefix(a, "-p") && len(a) > 2 && !strings.HasPrefix(a, "--"):
			profiles = append(profiles, "--profile", a[2:])
		case a == "--log-level" && i+1 < len(args):
			before = append(before, a, args[i+1])
			i++
		case strings.HasPrefix(a, "-"):
			before = append(before, a)
		default:
			// The command: the profiles go right after it.
			if len(profiles) == 0 {
				return args
			}
			out := append(append(append(before, a), profiles...), args[i+1:]...)
			return out
		}
	}
	return args
}
