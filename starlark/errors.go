package starlark

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"go.starlark.net/resolve"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/retis-go/retis/builtins/exit"
)

// ExitCode maps the error a script ended with to a process exit status:
// 0 without error, the code given to exit() or 1 for fail(), 1 for any
// other error.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var e *exit.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 1
}

// Report writes what a user needs to read about err:
//   - fail("msg"): the message alone (it is the script speaking);
//   - exit(n): nothing;
//   - syntax and resolve errors: one "file:line:col: msg" line each, then
//     where the file was loaded from;
//   - evaluation errors: "file:line:col: msg" for the innermost Starlark
//     frame, then the Starlark backtrace;
//   - anything else: its text.
func Report(w io.Writer, err error) {
	if err == nil {
		return
	}
	var ex *exit.Error
	if errors.As(err, &ex) {
		if ex.Msg != "" {
			fmt.Fprintln(w, ex.Msg)
		}
		return
	}
	inner := innermost(err)
	var syn syntax.Error
	var res resolve.ErrorList
	switch {
	case errors.As(err, &res):
		for _, e := range res {
			fmt.Fprintf(w, "%s: %s\n", e.Pos, e.Msg)
		}
		loadedFrom(w, inner)
	case errors.As(err, &syn):
		fmt.Fprintf(w, "%s: %s\n", syn.Pos, syn.Msg)
		loadedFrom(w, inner)
	case inner != nil:
		if pos, ok := position(inner); ok {
			fmt.Fprintf(w, "%s: %s\n", pos, inner.Msg)
		}
		fmt.Fprintln(w, inner.Backtrace())
	default:
		fmt.Fprintln(w, err)
	}
}

// innermost returns the deepest evaluation error of a chain: load() wraps
// the loaded module's error in the loader's, and modules load on the same
// thread, so the deepest one has the whole stack.
func innermost(err error) (inner *starlark.EvalError) {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if ee, ok := e.(*starlark.EvalError); ok {
			inner = ee
		}
	}
	return inner
}

// position is where the innermost Starlark code was: a builtin's own frame
// has no position worth showing.
func position(e *starlark.EvalError) (syntax.Position, bool) {
	for i := len(e.CallStack) - 1; i >= 0; i-- {
		if p := e.CallStack[i].Pos; p.Filename() != "<builtin>" {
			return p, true
		}
	}
	return syntax.Position{}, false
}

// loadedFrom shows the chain of load statements that led to a file that
// does not compile.
func loadedFrom(w io.Writer, e *starlark.EvalError) {
	if e == nil {
		return
	}
	var b strings.Builder
	for i := len(e.CallStack) - 1; i >= 0; i-- {
		if p := e.CallStack[i].Pos; p.Filename() != "<builtin>" {
			fmt.Fprintf(&b, "  loaded from %s\n", p)
		}
	}
	io.WriteString(w, b.String())
}

// BuiltinError returns the error a Go builtin returned when that is what
// ended the script (an unreadable input, a full disk), without Starlark
// positions; nil when the script ended otherwise (a bug in the script,
// fail(), exit()). A command implemented by a built-in script shows it as
// its own error: the user did not write the script.
func BuiltinError(err error) error {
	var ex *exit.Error
	if errors.As(err, &ex) {
		return nil
	}
	inner := innermost(err)
	if inner == nil {
		return nil
	}
	n := len(inner.CallStack)
	if n == 0 || inner.CallStack[n-1].Pos.Filename() != "<builtin>" {
		return nil
	}
	return inner.Unwrap()
}

// InScript reports whether err arose in a script (a syntax error, a
// Starlark error, fail() or exit()), which Report shows with its position,
// rather than around it (a script or an input that does not open).
func InScript(err error) bool {
	var (
		ex  *exit.Error
		syn syntax.Error
		res resolve.ErrorList
	)
	return errors.As(err, &ex) || errors.As(err, &syn) || errors.As(err, &res) || innermost(err) != nil
}
