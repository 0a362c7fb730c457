package starlark

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
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
// its 26 events are drops), in the layout retis writes, so reading it is
// the common path and not the upgrade of old files.
func benchFile(b *testing.B, n int) string {
	b.Helper()
	r, err := events.Open(compat(b, "test_events_packets.json"), events.Options{})
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
		if e.Startup == nil {
			evs = append(evs, e)
		}
	}
	r.Close()
	path := filepath.Join(b.TempDir(), "bench.json")
	w, err := events.Create(path, 0)
	if err != nil {
		b.Fatal(err)
	}
	start := &events.Event{Common: &events.Common{}, Startup: &events.Startup{RetisVersion: events.WriterVersion}}
	if err := w.Write(start); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		if err := w.Write(evs[i%len(evs)]); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
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
// "jq" is jq counting the same on the same file, "script" replays decoded
// events to measure the Starlark loop alone.
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

	// jq doing the same on the same file is the peer `make bench` will
	// report the ratio against.
	b.Run("jq", func(b *testing.B) {
		jq, err := exec.LookPath("jq")
		if err != nil {
			b.Skipf("jq not installed: %v", err)
		}
		wantJQ := fmt.Sprintf("{\"NO_SOCKET\":%d}\n", drops)
		for b.Loop() {
			out, err := exec.Command(jq, "-c", "-n",
				`reduce (inputs | select(."skb-drop") | ."skb-drop".drop_reason) as $r ({}; .[$r] += 1)`, path).Output()
			if err != nil {
				b.Fatal(err)
			}
			if string(out) != wantJQ {
				b.Fatalf("jq: got %q, want %q", out, wantJQ)
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
