package exit

import (
	"fmt"
	"strings"

	"go.starlark.net/starlark"
)

// Error ends a script with an exit status. It travels through the Starlark
// interpreter as the cause of the evaluation error, so errors.As finds it.
type Error struct {
	// Code is the process exit status.
	Code int
	// Msg is what fail() was given; empty for exit().
	Msg string
}

func (e *Error) Error() string {
	if e.Msg == "" {
		return fmt.Sprintf("exit(%d)", e.Code)
	}
	return e.Msg
}

// Fail is fail(*args, sep=" "). It replaces Starlark's own fail so that
// the runner can tell a script's deliberate failure from a bug.
var Fail = starlark.NewBuiltin("fail", fail)

// Exit is exit(code=0).
var Exit = starlark.NewBuiltin("exit", exit)

// Predeclared returns fail and exit, to be added to a script's globals.
func Predeclared() starlark.StringDict {
	return starlark.StringDict{"fail": Fail, "exit": Exit}
}

func fail(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	sep := " "
	if err := starlark.UnpackArgs(b.Name(), nil, kwargs, "sep?", &sep); err != nil {
		return nil, err
	}
	var sb strings.Builder
	for i, v := range args {
		if i > 0 {
			sb.WriteString(sep)
		}
		if s, ok := starlark.AsString(v); ok {
			sb.WriteString(s)
		} else {
			sb.WriteString(v.String())
		}
	}
	if sb.Len() == 0 {
		sb.WriteString("failed")
	}
	return nil, &Error{Code: 1, Msg: sb.String()}
}

func exit(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	code := 0
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "code?", &code); err != nil {
		return nil, err
	}
	if code < 0 || code > 125 {
		// 126 and above mean "not executable", "not found" and signals
		// to shells; a script must not be mistaken for those.
		return nil, fmt.Errorf("%s: code %d out of range 0..125", b.Name(), code)
	}
	return nil, &Error{Code: code}
}
