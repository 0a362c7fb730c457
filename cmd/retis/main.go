// Command retis traces packets in the Linux networking stack with eBPF and
// post-processes the events it stores. This package maps command-line
// flags to the engine and the Starlark runtime; it holds no logic itself.
package main

import (
	"errors"
	"fmt"
	"os"
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
	err := newRoot().Execute()
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
