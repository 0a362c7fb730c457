package logging

import (
	"bytes"
	"log/slog"
	"testing"
	"time"
)

func TestRetisStyle(t *testing.T) {
	var buf bytes.Buffer
	h := NewHandler(&buf, slog.LevelInfo)
	h.now = func() time.Time { return time.Date(2026, 1, 1, 0, 42, 1, 0, time.Local) }
	l := slog.New(h)
	l.Debug("hidden")
	l.Info("4 probe(s) loaded")
	l.Warn("probe skipped", "probe", "kprobe:ip_rcv", "why", "no kprobes")
	want := "00:42:01 [INFO] 4 probe(s) loaded\n00:42:01 [WARN] probe skipped probe=kprobe:ip_rcv why=\"no kprobes\"\n"
	if buf.String() != want {
		t.Fatalf("got %q", buf.String())
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{"info": slog.LevelInfo, "DEBUG": slog.LevelDebug, "trace": LevelTrace, "warn": slog.LevelWarn, "error": slog.LevelError} {
		got, err := ParseLevel(in)
		if err != nil || got != want {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	if _, err := ParseLevel("loud"); err == nil {
		t.Fatal("accepted an invalid level")
	}
}
