package output

import (
	"io"
	"testing"

	"github.com/retis-go/retis/engine/events"
)

// BenchmarkAppendEvent renders the events of Retis's packet test file, one
// event per operation, in multi-line format.
func BenchmarkAppendEvent(b *testing.B) {
	evs := readEvents(b, "test_events_packets.json")
	f := &Format{Multiline: true}
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		buf = AppendEvent(buf[:0], evs[i%len(evs)], f)
	}
}

// BenchmarkPrinter is the print path: render and write each event.
func BenchmarkPrinter(b *testing.B) {
	evs := readEvents(b, "test_events_packets.json")
	p := NewPrinter(io.Discard, &Format{Multiline: true})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if err := p.Event(evs[i%len(evs)]); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAppendEventAllocs keeps rendering allocation-free.
func TestAppendEventAllocs(t *testing.T) {
	evs := readEvents(t, "test_events_packets.json")
	buf := make([]byte, 0, 4096)
	for _, f := range []*Format{{Multiline: true, PrintLL: true, Color: true}, {Time: UTCTime, MonotonicOffset: &events.TimeSpec{Sec: 1}}} {
		for _, e := range evs {
			buf = AppendEvent(buf[:0], e, f) // warm the pool and the layers
		}
		n := testing.AllocsPerRun(100, func() {
			for _, e := range evs {
				buf = AppendEvent(buf[:0], e, f)
			}
		})
		if n != 0 {
			t.Errorf("%+v: %v allocations per pass over %d events, want 0", *f, n, len(evs))
		}
	}
}
