package builtins

import (
	"io"

	"go.starlark.net/starlark"
)

var stdout = NewLocal[io.Writer]("retis.stdout")

// SetStdout stores where a script's output goes: print() and the builtins
// that write text or data for the user (process.print) share it, so their
// output interleaves in order and goes through the same pager.
func SetStdout(thread *starlark.Thread, w io.Writer) { stdout.Set(thread, w) }

// Stdout returns the stored writer, or nil when the runner stored none.
func Stdout(thread *starlark.Thread) io.Writer {
	w, _ := stdout.Get(thread)
	return w
}
