package collect

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// logHandler writes records the way Retis logs: "15:04:05 [INFO] msg",
// attributes appended as key=value.
type logHandler struct {
	w     io.Writer
	level slog.Leveler
	mu    *sync.Mutex
	attrs []slog.Attr
}

// NewLogHandler returns a slog handler writing Retis-style lines to w for
// records at level or above.
func NewLogHandler(w io.Writer, level slog.Leveler) slog.Handler {
	return &logHandler{w: w, level: level, mu: &sync.Mutex{}}
}

func (h *logHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.level.Level()
}

func (h *logHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	level := r.Level.String()
	if r.Level == slog.LevelWarn {
		level = "WARN"
	}
	fmt.Fprintf(&b, "%s [%s] %s", t.Format("15:04:05"), level, r.Message)
	write := func(a slog.Attr) bool {
		if !a.Equal(slog.Attr{}) {
			fmt.Fprintf(&b, " %s=%v", a.Key, a.Value.Resolve())
		}
		return true
	}
	for _, a := range h.attrs {
		write(a)
	}
	r.Attrs(write)
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	n := *h
	n.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	return &n
}

// WithGroup is not used by this project; groups are flattened.
func (h *logHandler) WithGroup(string) slog.Handler { return h }
