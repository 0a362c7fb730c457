package tracking

import (
	"bufio"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/retis-go/retis/engine/events"
)

// BenchmarkAdd measures the Sorter alone on a stream of 8-event packets,
// 8 in flight, events 100 ns apart: each event is filed, and series are
// emitted as the stream moves on. "window" completes series by time (1 µs
// window, few series held); "cap" has a window longer than the stream so
// that the event cap does (the case of a dense capture). Events are reused
// between rounds so that only the Sorter's own allocations are counted.
func BenchmarkAdd(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts Options
	}{
		{"window", Options{Window: time.Microsecond}},
		{"cap", Options{Window: time.Hour}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			const ring = 1 << 18
			pool := make([]*events.Event, ring)
			for i := range pool {
				pool[i] = pkt(0, 0, 0)
			}
			s := NewSorter(bc.opts, func(Series) error { return nil })
			const gap, per = 100, 8
			b.ReportAllocs()
			b.ResetTimer()
			for i := range uint64(b.N) {
				e := pool[i%ring]
				slot, j := i/per, i%per
				p := slot - min(j, slot)
				e.Common.Timestamp = slot * gap
				e.SkbTracking.Timestamp, e.SkbTracking.OrigHead = p*gap, p
				if err := s.Add(e); err != nil {
					b.Fatal(err)
				}
			}
			s.Close()
		})
	}
}

// writeSynthFile writes n events made from the OvS capture's events (which
// carry packets, ct, dev, netns: about 800 bytes each), the capture
// replayed with shifted timestamps and tracking ids.
func writeSynthFile(tb testing.TB, path string, n int) {
	tb.Helper()
	tmpl := readEvents(tb, compat(tb, "test_events_packets.json"))
	w, err := events.Create(path, 0)
	if err != nil {
		tb.Fatal(err)
	}
	st := *tmpl[0]
	su := *st.Startup
	su.RetisVersion = events.WriterVersion // our own layout: no upgrade on read
	st.Startup = &su
	if err := w.Write(&st); err != nil {
		tb.Fatal(err)
	}
	body := tmpl[1:]
	base := body[0].Timestamp()
	span := body[len(body)-1].Timestamp() - base + 1000
	for i := 0; i < n-1; i++ {
		round, k := uint64(i/len(body)), i%len(body)
		e := *body[k]
		shift := round * span / 20 // rounds overlap in time
		c := *e.Common
		c.Timestamp += shift
		e.Common = &c
		t := *e.SkbTracking
		t.Timestamp += shift
		t.OrigHead += round << 20
		e.SkbTracking = &t
		if err := w.Write(&e); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkSortFile measures `sort -o` end to end: read and decode a file,
// sort, encode each series as a JSON line.
func BenchmarkSortFile(b *testing.B) {
	const n = 100_000
	path := filepath.Join(b.TempDir(), "retis.data")
	writeSynthFile(b, path, n)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		r, err := events.Open(path, events.Options{})
		if err != nil {
			b.Fatal(err)
		}
		out := bufio.NewWriterSize(io.Discard, 1<<20)
		var buf []byte
		err = Sort(r, Options{}, func(s Series) error {
			var err error
			if buf, err = AppendSeriesJSON(buf[:0], s); err != nil {
				return err
			}
			_, err = out.Write(append(buf, '\n'))
			return err
		})
		r.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
}

// BenchmarkAppendSeriesJSON measures writing the sorted OvS capture as
// `sort -o` lines; ns/event is the cost per event written.
func BenchmarkAppendSeriesJSON(b *testing.B) {
	all := sortFile(b, compat(b, "test_events_packets.json"), Options{})
	n := 0
	for _, s := range all {
		n += len(s)
	}
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		for _, s := range all {
			var err error
			if buf, err = AppendSeriesJSON(buf[:0], s); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
}
