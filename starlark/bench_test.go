package starlark

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/retis-go/retis/builtins/run"
	"github.com/retis-go/retis/engine/events"
)

// dropCount is the benchmark's script: drops by reason, as a CI check or
// a report would start.
const dropCount = `
def main(ctx):
    seen = {}
    for e in ctx.events():
        d = e.skb_drop
        if d:
            r = d.drop_reason
            seen[r] = seen.get(r, 0) + 1
    print(sorted(seen.items()))
`

// benchFile writes n events cycling through the Retis packets file (2 of
// its 26 events are drops).
func benchFile(b *testing.B, n int) string {
	b.Helper()
	data, err := os.ReadFile(compat(b, "test_events_packets.json"))
	if err != nil {
		b.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimRight(string(data), "\n")+"\n", "\n")
	startup, evs := lines[0], lines[1:len(lines)-1]
	path := filepath.Join(b.TempDir(), "bench.json")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString(startup)
	for i := range n {
		w.WriteString(evs[i%len(evs)])
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	return path
}

func loadBench(b *testing.B, out *bytes.Buffer) *Script {
	s, err := Load(FS(fstest.MapFS{"drops.star": {Data: []byte(dropCount)}}), "drops.star", Options{Stdout: out})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// memSource replays decoded events: the Starlark side alone.
type memSource struct {
	evs []*events.Event
	i   int
}

func (m *memSource) Next() (*events.Event, error) {
	if m.i == len(m.evs) {
		return nil, io.EOF
	}
	m.i++
	return m.evs[m.i-1], nil
}

// BenchmarkDropCount runs the drop-counting main over 200k events: "file"
// includes reading and decoding JSON (in parallel, as retis run will),
// "script" replays decoded events to measure the Starlark loop alone.
func BenchmarkDropCount(b *testing.B) {
	const n = 200_000
	path := benchFile(b, n)

	r, err := events.Open(path, events.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var evs []*events.Event
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		evs = append(evs, e)
	}
	r.Close()
	drops := 0
	for _, e := range evs {
		if e.SkbDrop != nil {
			drops++
		}
	}
	want := fmt.Sprintf("[(\"NO_SOCKET\", %d)]\n", drops)

	b.Run("file", func(b *testing.B) {
		for b.Loop() {
			var out bytes.Buffer
			s := loadBench(b, &out)
			if err := s.Main(run.NewContext(run.Options{Events: run.FileEvents(path, events.Options{})})); err != nil {
				b.Fatal(err)
			}
			if out.String() != want {
				b.Fatalf("got %q, want %q", out.String(), want)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
	})

	b.Run("script", func(b *testing.B) {
		for b.Loop() {
			var out bytes.Buffer
			s := loadBench(b, &out)
			if err := s.Main(run.NewContext(run.Options{Events: func() (run.Source, error) { return &memSource{evs: evs}, nil }})); err != nil {
				b.Fatal(err)
			}
			if out.String() != want {
				b.Fatalf("got %q, want %q", out.String(), want)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
	})
}
