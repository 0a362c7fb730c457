package scripts_test

import (
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/output"
	"github.com/retis-go/retis/engine/process"
	"github.com/retis-go/retis/internal/benchgen"
	"github.com/retis-go/retis/scripts"
	"github.com/retis-go/retis/starlark"
	"github.com/retis-go/retis/starlark/runner"
)

func benchFile(b *testing.B, n int) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "bench.data")
	w, err := events.Create(path, 0)
	if err != nil {
		b.Fatal(err)
	}
	if err := benchgen.Generate(w, n, 1); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkPrintScriptVsGo prints a generated file (what `retis print`
// does) through the built-in print.star and through engine/process.Print,
// alternately in each iteration so both see the same machine load. It
// reports each path's ns/event and script/go, the ratio `make bench`
// checks (goal <= 1.3).
func BenchmarkPrintScriptVsGo(b *testing.B) {
	const n = 100_000
	path := benchFile(b, n)
	format := output.Format{Multiline: true}
	var goTime, scriptTime time.Duration
	for b.Loop() {
		start := time.Now()
		r, err := events.Open(path, events.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := process.Print(r, io.Discard, process.PrintOptions{Format: format}); err != nil {
			b.Fatal(err)
		}
		r.Close()
		goTime += time.Since(start)

		start = time.Now()
		l, err := runner.Load(runner.Options{
			Files:  starlark.FS(scripts.FS()),
			Script: "print.star",
			Paths:  []string{path},
			Text:   format,
			Stdout: io.Discard,
		})
		if err == nil {
			err = l.OnFile(path)
		}
		if err != nil {
			b.Fatal(err)
		}
		scriptTime += time.Since(start)
	}
	events := float64(b.N * n)
	b.ReportMetric(float64(goTime.Nanoseconds())/events, "go-ns/event")
	b.ReportMetric(float64(scriptTime.Nanoseconds())/events, "script-ns/event")
	b.ReportMetric(float64(scriptTime)/float64(goTime), "script/go")
}
