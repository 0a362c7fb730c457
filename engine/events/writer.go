package events

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"github.com/retis-go/retis/internal/directio"
)

// FileMode is the mode of every event file we create: events hold packet
// contents and must not be world-readable.
const FileMode = 0o600

// Writer writes events as JSON Lines through a buffer, optionally rotating
// the file once it passes a size (Retis's --out-rotate: the full file is
// renamed path.N and a new one starts with the same startup event). Files
// are written with direct I/O where the file system allows it: at a
// collection's rates the page cache's copy was a quarter of its CPU.
type Writer struct {
	path    string
	f       *directio.File // nil when made by NewWriter
	w       flusher
	limit   int64
	written int64
	index   uint32
	startup *Event
	buf     []byte
}

// Create creates (truncates) path and returns a writer on it. limit > 0
// enables rotation at that many bytes.
func Create(path string, limit int64) (*Writer, error) {
	f, err := directio.Create(path, FileMode)
	if err != nil {
		return nil, fmt.Errorf("create events file: %w", err)
	}
	return &Writer{path: path, f: f, w: f, limit: limit}, nil
}

type flusher interface {
	io.Writer
	Flush() error
}

// Direct tells whether the file is written with direct I/O.
func (w *Writer) Direct() bool { return w.f != nil && w.f.Direct() }

// NewWriter writes events to w without rotation (e.g. to stdout).
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: bufio.NewWriterSize(w, 1<<20)}
}

// Write appends one event. The first startup event written is remembered
// and repeated at the top of every rotated part.
func (w *Writer) Write(e *Event) error {
	if e.Startup != nil && w.startup == nil {
		w.startup = e
	}
	b, err := e.AppendJSON(w.buf[:0])
	if err != nil {
		return err
	}
	b = append(b, '\n')
	w.buf = b
	return w.WriteRaw(b)
}

// WriteRaw appends an already encoded event line (with its newline).
func (w *Writer) WriteRaw(line []byte) error {
	if w.limit > 0 && w.written > 0 && w.written+int64(len(line)) > w.limit && w.f != nil {
		if err := w.rotate(); err != nil {
			return err
		}
	}
	n, err := w.w.Write(line)
	w.written += int64(n)
	if err != nil {
		return fmt.Errorf("write events: %w", err)
	}
	return nil
}

func (w *Writer) rotate() error {
	if err := w.closePart(); err != nil {
		return err
	}
	f, err := directio.Create(w.path, FileMode)
	if err != nil {
		return fmt.Errorf("rotate events file: %w", err)
	}
	w.f, w.w, w.written = f, f, 0
	if w.startup != nil {
		st := *w.startup.Startup
		st.SplitFile = &SplitFile{ID: w.index, Policy: RotationPolicy{Kind: "size", Limit: uint64(w.limit)}}
		ev := *w.startup
		ev.Startup = &st
		b, err := ev.AppendJSON(nil)
		if err != nil {
			return err
		}
		n, err := w.w.Write(append(b, '\n'))
		w.written += int64(n)
		return err
	}
	return nil
}

// closePart flushes the current part and renames it path.N.
func (w *Writer) closePart() error {
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("close events file: %w", err)
	}
	if err := os.Rename(w.path, fmt.Sprintf("%s.%d", w.path, w.index)); err != nil {
		return fmt.Errorf("rotate events file: %w", err)
	}
	w.index++
	return nil
}

// Flush writes buffered events out.
func (w *Writer) Flush() error {
	if err := w.w.Flush(); err != nil {
		return fmt.Errorf("flush events: %w", err)
	}
	return nil
}

// Close flushes and closes the file; a rotated set gets its last part
// renamed like the others.
func (w *Writer) Close() error {
	if w.f == nil {
		return w.Flush()
	}
	if w.limit > 0 && w.index > 0 {
		return w.closePart()
	}
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("close events file: %w", err)
	}
	return nil
}
