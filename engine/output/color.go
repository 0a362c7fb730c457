package output

import (
	"os"

	"github.com/mattn/go-isatty"
)

// Retis prints events without colour; we highlight two things only, so
// the text stays the same once escapes are removed: the probe that fired
// and the drop reason.
const (
	colorProbe = "\x1b[36m"   // cyan
	colorDrop  = "\x1b[1;31m" // bold red
	colorReset = "\x1b[0m"
)

// ColorEnabled reports whether colour escapes should be written to out: only
// when it is a terminal, TERM names a terminal other than "dumb", and
// NO_COLOR is unset or empty (https://no-color.org). Ask it about the real
// stdout before wrapping it in a pager.
func ColorEnabled(out *os.File) bool {
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	if term := os.Getenv("TERM"); term == "" || term == "dumb" {
		return false
	}
	return isTerminal(out)
}

func isTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	fd := f.Fd()
	return isatty.IsTerminal(fd) || isatty.IsCygwinTerminal(fd)
}
