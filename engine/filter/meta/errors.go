package meta

import (
	"fmt"
	"strings"
)

// Error is a meta filter that cannot be compiled. Msg names the part at
// fault; Pos is its byte offset in Expr.
type Error struct {
	Expr string
	Pos  int
	Msg  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("meta filter %q: %s", e.Expr, e.Msg)
}

// Detail returns the message with the expression and a caret under the
// part at fault, for terminals.
func (e *Error) Detail() string {
	return fmt.Sprintf("%s\n  %s\n  %s^", e.Msg, e.Expr, strings.Repeat(" ", e.Pos))
}
