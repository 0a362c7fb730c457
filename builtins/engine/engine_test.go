package engine

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retis-go/retis/builtins/run"
	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/output"
	"github.com/retis-go/retis/engine/process"
	"github.com/retis-go/retis/engine/tracking"
)

const compatDir = "../../../shared/retis-compat"

func compat(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(compatDir, name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("Retis reference file missing: %v", err)
	}
	return p
}

func readAll(t *testing.T, path string) []*events.Event {
	t.Helper()
	r, err := events.Open(path, events.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var evs []*events.Event
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			return evs
		}
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, e)
	}
}

func TestTextRendersAsPrintWithTheFileClock(t *testing.T) {
	path := compat(t, "test_events_packets.json")
	st, err := ReadStartup(path)
	if err != nil || st == nil || st.RetisVersion != "v1.6.0" {
		t.Fatalf("startup %+v, %v", st, err)
	}
	evs := readAll(t, path)
	first := evs[1]

	text := &Text{Format: output.Format{Multiline: true}}
	got := string(text.AppendEvent(nil, first))
	want := "30419169061793 (6) [ping] 11330 [tp] net:net_dev_start_xmit #1baa83c42ba1ffff8e95c3b67c00 (skb ffff8e95d3009100)\n" +
		"  192.168.125.10 > 192.168.125.11 tos 0x0 ttl 64 id 41977 off 0 [DF] len 84 proto ICMP (1) type 8 code 0\n"
	if !strings.HasPrefix(got, want) {
		t.Fatalf("event:\n%s", got)
	}

	utc := &Text{Format: output.Format{Time: output.UTCTime, MonotonicOffset: &st.ClockMonotonicOffset}}
	if got := string(utc.AppendEvent(nil, first)); !strings.HasPrefix(got, "2025-03-18 23:12:45.860103 (6) [ping]") {
		t.Fatalf("utc: %s", got)
	}
	s := string(text.AppendSeries(nil, evs[1:3]))
	if strings.Count(s, "\n  ↳ ") != 1 {
		t.Fatalf("series:\n%s", s)
	}

	bare := filepath.Join(t.TempDir(), "bare.json")
	if err := os.WriteFile(bare, []byte(`{"common":{"timestamp":1},"kernel":{"symbol":"ip_rcv","probe_type":"kprobe"}}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if st, err := ReadStartup(bare); err != nil || st != nil {
		t.Fatalf("file without startup: %+v %v", st, err)
	}
	if _, err := ReadStartup(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Fatal("missing file: no error")
	}
}

// TestPcapOpenerWritesWhatPcapExports checks that a script writing every
// packet gets byte for byte the file `retis pcap` writes.
func TestPcapOpenerWritesWhatPcapExports(t *testing.T) {
	path := compat(t, "test_events_packets.json")
	st, err := ReadStartup(path)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "s.pcap")
	w, err := NewPcapOpener(st)(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range readAll(t, path) {
		if e.Packet != nil && e.Startup == nil {
			if err := w.Write(e); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := events.Open(path, events.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var want bytes.Buffer
	if _, err := process.Pcap(r, &want, process.PcapOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("script pcap (%d bytes) differs from retis pcap (%d bytes)", len(got), want.Len())
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != events.FileMode {
		t.Fatalf("mode %v", fi.Mode())
	}

	empty := filepath.Join(t.TempDir(), "empty.pcap")
	w, err = NewPcapOpener(nil)(empty)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("no packet written: %v", err)
	}
	if fi, err := os.Stat(empty); err != nil || fi.Size() != 0 {
		t.Fatalf("empty capture: %v %v", fi, err)
	}
}

// countingSource counts Close calls on a file reader.
type countingSource struct {
	*events.Reader
	closed int
}

func (c *countingSource) Close() error { c.closed++; return c.Reader.Close() }

func opener(t *testing.T, path string, opened *[]*countingSource) func() (run.Source, error) {
	return func() (run.Source, error) {
		r, err := events.Open(path, events.Options{})
		if err != nil {
			return nil, err
		}
		c := &countingSource{Reader: r}
		*opened = append(*opened, c)
		return c, nil
	}
}

func drain(t *testing.T, s run.SeriesSource) [][]*events.Event {
	t.Helper()
	var all [][]*events.Event
	for {
		g, err := s.Next()
		if errors.Is(err, io.EOF) {
			return all
		}
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, g)
	}
}

func TestSeriesSortsLikeSort(t *testing.T) {
	path := compat(t, "test_events_packets.json")
	var opened []*countingSource
	open := Series(opener(t, path, &opened), tracking.Options{})
	src, err := open()
	if err != nil {
		t.Fatal(err)
	}
	got := drain(t, src)
	src.(io.Closer).Close()

	// What `retis sort` groups, startup left out.
	r, err := events.Open(path, events.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var want []tracking.Series
	if err := tracking.Sort(r, tracking.Options{}, func(s tracking.Series) error {
		if s[0].Startup == nil {
			want = append(want, s)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || len(got) < 2 {
		t.Fatalf("%d series, sort gives %d", len(got), len(want))
	}
	n := 0
	for i := range got {
		if len(got[i]) != len(want[i]) || got[i][0].Timestamp() != want[i][0].Timestamp() {
			t.Fatalf("series %d: %d events from %d, sort: %d from %d", i, len(got[i]), got[i][0].Timestamp(), len(want[i]), want[i][0].Timestamp())
		}
		for j, e := range got[i] {
			if e.Tracking == nil || e.Tracking.Idx != uint32(j) {
				t.Fatalf("series %d event %d: tracking %+v", i, j, e.Tracking)
			}
		}
		n += len(got[i])
	}
	if n != 26 || len(opened) != 1 || opened[0].closed != 1 {
		t.Fatalf("%d events, %d opened, closed %d", n, len(opened), opened[0].closed)
	}
}

func TestSeriesOfASortedFileAreTheStoredOnes(t *testing.T) {
	var opened []*countingSource
	src, err := Series(opener(t, compat(t, "test_events_sorted.json"), &opened), tracking.Options{})()
	if err != nil {
		t.Fatal(err)
	}
	got := drain(t, src)
	var sizes []int
	for _, g := range got {
		sizes = append(sizes, len(g))
	}
	// The file's lines: a startup line (left out), then 3 series.
	if len(sizes) != 3 || sizes[0]+sizes[1]+sizes[2] != 4 {
		t.Fatalf("series sizes %v", sizes)
	}
}

func TestSeriesClosesItsSource(t *testing.T) {
	path := compat(t, "test_events_packets.json")
	var opened []*countingSource
	open := Series(opener(t, path, &opened), tracking.Options{})

	// Never iterated.
	src, err := open()
	if err != nil {
		t.Fatal(err)
	}
	if err := src.(io.Closer).Close(); err != nil {
		t.Fatal(err)
	}
	// Stopped after one series.
	src, err = open()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Next(); err != nil {
		t.Fatal(err)
	}
	src.(io.Closer).Close()
	src.(io.Closer).Close()
	if len(opened) != 2 || opened[0].closed != 1 || opened[1].closed != 1 {
		t.Fatalf("opened %d, closed %d and %d", len(opened), opened[0].closed, opened[1].closed)
	}

	if _, err := Series(func() (run.Source, error) { return nil, errors.New("no such file") }, tracking.Options{})(); err == nil {
		t.Fatal("open error lost")
	}
}
