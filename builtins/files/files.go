package files

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"

	"go.starlark.net/starlark"

	"github.com/retis-go/retis/builtins"
)

// Set is the per-run set of allowed paths and of files opened so far.
type Set struct {
	allowed []string // absolute, cleaned
	open    []io.Closer
}

// NewSet returns a set allowing paths (given on the command line or
// declared by the script).
func NewSet(paths ...string) *Set {
	s := &Set{}
	s.Allow(paths...)
	return s
}

// Allow adds paths to the allowed set.
func (s *Set) Allow(paths ...string) {
	for _, p := range paths {
		if p == "" {
			continue
		}
		if abs, err := filepath.Abs(p); err == nil && !slices.Contains(s.allowed, abs) {
			s.allowed = append(s.allowed, abs)
		}
	}
}

// ErrNotAllowed is returned for a path the user did not give.
var ErrNotAllowed = errors.New("not a path given on the command line nor a declared output")

// Check returns nil when path may be opened.
func (s *Set) Check(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("%q: %w", path, err)
	}
	if !slices.Contains(s.allowed, abs) {
		return fmt.Errorf("%q: %w (declare it with output(%q) at top level, or pass it with --arg)", path, ErrNotAllowed, path)
	}
	return nil
}

// Track registers c to be closed by Close.
func (s *Set) Track(c io.Closer) { s.open = append(s.open, c) }

// Close closes every tracked file, last opened first, and returns their
// errors joined. Closing flushes, so its errors matter.
func (s *Set) Close() error {
	var errs []error
	for i := len(s.open) - 1; i >= 0; i-- {
		errs = append(errs, s.open[i].Close())
	}
	s.open = nil
	return errors.Join(errs...)
}

var set = builtins.NewLocal[*Set]("retis.files.set")

// SetFiles stores the run's file set.
func SetFiles(thread *starlark.Thread, s *Set) { set.Set(thread, s) }

// Files returns the run's file set, or nil.
func Files(thread *starlark.Thread) *Set {
	s, _ := set.Get(thread)
	return s
}

// Open checks path for the builtin b, opens it with open and tracks the
// result. It refuses while the script loads and when no set was stored.
func Open[T io.Closer](thread *starlark.Thread, b *starlark.Builtin, path string, open func(string) (T, error)) (T, error) {
	var zero T
	if builtins.PhaseOf(thread) != builtins.PhaseMain {
		return zero, fmt.Errorf("%s: files are opened from main(ctx), not while the script loads", b.Name())
	}
	s := Files(thread)
	if s == nil {
		return zero, fmt.Errorf("%s: this program does not let scripts open files", b.Name())
	}
	if err := s.Check(path); err != nil {
		return zero, fmt.Errorf("%s: %w", b.Name(), err)
	}
	f, err := open(path)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", b.Name(), err)
	}
	s.Track(f)
	return f, nil
}
