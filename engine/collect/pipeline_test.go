package collect

import (
	"bufio"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"

	"github.com/retis-go/retis/bpf"
	"github.com/retis-go/retis/engine/collector"
	"github.com/retis-go/retis/engine/collector/dev"
	"github.com/retis-go/retis/engine/collector/ns"
	"github.com/retis-go/retis/engine/collector/skb"
	"github.com/retis-go/retis/engine/collector/skbtracking"
	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/probe"
)

// fakeRing hands out n copies of a record, then reports a flush.
type fakeRing struct {
	rec []byte
	n   int
}

func (f *fakeRing) SetDeadline(time.Time) {}

func (f *fakeRing) ReadInto(r *ringbuf.Record) error {
	if f.n == 0 {
		return ringbuf.ErrFlushed
	}
	f.n--
	r.RawSample = append(r.RawSample[:0], f.rec...)
	return nil
}

// packetRecord is what a probe writes for a ping packet with the default
// collectors: header, tracking, packet, netns, dev.
func packetRecord(probeID uint32, ts uint64) []byte {
	h := bpf.ProbeEventHdr{Timestamp: ts, PidTgid: 1<<32 | 1, ProbeId: probeID, StackId: -1, Cpu: 1, ProbeType: 2}
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&h.Comm[0])), 16), "ping")
	tr := bpf.ProbeSkbTrackingEvent{OrigHead: 0xffff888100000000, Timestamp: ts, Skb: 0xffff888200000000}
	pkt := bpf.ProbeSkbPacketEvent{Len: 98, CaptureLen: 98}
	copy(pkt.Packet[:], benchFrame)
	n := bpf.ProbeNsEvent{Cookie: 3, Inum: 4026531840}
	d := bpf.ProbeDevEvent{Ifindex: 3, RxIfindex: 3}
	d.Name[0], d.Name[1], d.Name[2], d.Name[3] = 'v', 'e', 't', 'h'
	return newRecord(h).
		section(4, 1, bytesOf(&tr)).
		section(6, 1, bytesOf(&pkt)).
		section(11, 0, bytesOf(&n)).
		section(10, 1, bytesOf(&d)).b
}

func benchCollectors() []collector.Collector {
	sk, _ := skb.New(nil)
	nsc := ns.New()
	nsc.Init(probe.HostKernel())
	return []collector.Collector{skbtracking.New(), sk, nsc, dev.New()}
}

type countSink struct{ n int }

func (s *countSink) Write(*events.Event) error { s.n++; return nil }

// Records come out in order, as JSON identical to AppendJSON's, to the
// file and to sinks; --stop-after cuts at the exact count. Without sinks
// (events decoded into a reused slab) every line is still its own
// record's.
func TestPipelineOrderAndStop(t *testing.T) {
	entries := []*probeEntry{{id: 0, target: &probe.Target{Kind: probe.Tracepoint, Name: "net:netif_receive_skb"}}}
	dec := newDecoder(entries, benchCollectors(), nil)
	for _, run := range []struct {
		stopAfter uint64
		sink      bool
	}{{0, true}, {2500, true}, {0, false}} {
		stopAfter := run.stopAfter
		path := filepath.Join(t.TempDir(), "retis.data")
		f, err := events.Create(path, 0)
		if err != nil {
			t.Fatal(err)
		}
		stopped := 0
		sink := &countSink{}
		var sinks []Sink
		if run.sink {
			sinks = []Sink{sink}
		}
		p := newPipeline(dec, f, sinks, stopAfter, func() { stopped++ }, slog.New(slog.DiscardHandler))
		p.wholeBatches = !run.sink && stopAfter == 0
		src := &seqRing{n: 5000}
		if err := p.run(src)(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		want := 5000
		if stopAfter > 0 {
			want = int(stopAfter)
			if stopped != 1 {
				t.Errorf("stop called %d times", stopped)
			}
		}
		if !run.sink {
			sink.n = want
		}
		if int(p.processed.Load()) != want || sink.n != want {
			t.Errorf("processed %d, sink got %d, want %d", p.processed.Load(), sink.n, want)
		}
		rd, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(rd)
		sc.Buffer(nil, 1<<20)
		i := 0
		for sc.Scan() {
			e, err := dec.decode(aligned(packetRecord(0, uint64(i+1))))
			if err != nil {
				t.Fatal(err)
			}
			wantLine, _ := e.AppendJSON(nil)
			if sc.Text() != string(wantLine) {
				t.Fatalf("line %d:\n got %s\nwant %s", i, sc.Text(), wantLine)
			}
			i++
		}
		rd.Close()
		if i != want {
			t.Errorf("%d lines, want %d", i, want)
		}
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// seqRing hands out n records with increasing timestamps.
type seqRing struct{ i, n int }

func (s *seqRing) SetDeadline(time.Time) {}

func (s *seqRing) ReadInto(r *ringbuf.Record) error {
	if s.i == s.n {
		return ringbuf.ErrFlushed
	}
	s.i++
	r.RawSample = append(r.RawSample[:0], packetRecord(0, uint64(s.i))...)
	return nil
}

// BenchmarkPipeline measures decode + JSON + ordered write to a file of
// packet events, everything after the ring buffer.
func BenchmarkPipeline(b *testing.B) {
	entries := []*probeEntry{{id: 0, target: &probe.Target{Kind: probe.Tracepoint, Name: "net:netif_receive_skb"}}}
	dec := newDecoder(entries, benchCollectors(), nil)
	for _, dst := range []string{"file", "discard"} {
		b.Run(dst, func(b *testing.B) {
			var f *events.Writer
			if dst == "file" {
				var err error
				if f, err = events.Create(filepath.Join(b.TempDir(), "retis.data"), 0); err != nil {
					b.Fatal(err)
				}
			} else {
				f = events.NewWriter(io.Discard)
			}
			p := newPipeline(dec, f, nil, 0, func() {}, slog.New(slog.DiscardHandler))
			p.wholeBatches = true
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			if err := p.run(&fakeRing{rec: packetRecord(0, 1), n: b.N})(); err != nil {
				b.Fatal(err)
			}
			f.Close()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/event")
		})
	}
}

// Events handed to the packets hook (the nft Joiner keeps them) stay as
// they were decoded, also without sinks, where events only encoded share
// a reused slab.
func TestPipelinePacketsKept(t *testing.T) {
	entries := []*probeEntry{{id: 0, target: &probe.Target{Kind: probe.Tracepoint, Name: "net:netif_receive_skb"}}}
	dec := newDecoder(entries, benchCollectors(), nil)
	f := events.NewWriter(io.Discard)
	p := newPipeline(dec, f, nil, 0, func() {}, slog.New(slog.DiscardHandler))
	p.wholeBatches = true
	var mu sync.Mutex
	var kept []*events.Event
	p.packets = func(e *events.Event) {
		mu.Lock()
		kept = append(kept, e)
		mu.Unlock()
	}
	if err := p.run(&seqRing{n: 3000})(); err != nil {
		t.Fatal(err)
	}
	if len(kept) != 3000 {
		t.Fatalf("%d events kept, want 3000", len(kept))
	}
	seen := map[uint64]bool{}
	for _, e := range kept {
		ts := e.Common.Timestamp
		if seen[ts] || e.SkbTracking == nil || e.SkbTracking.Timestamp != ts {
			t.Fatalf("event %d overwritten after it was kept: %+v", ts, e.SkbTracking)
		}
		seen[ts] = true
	}
}

// idleRing hands out n copies of a record, then finds the ring empty at
// every deadline until end is closed.
type idleRing struct {
	fakeRing
	end chan struct{}
}

func (f *idleRing) ReadInto(r *ringbuf.Record) error {
	if f.n > 0 {
		return f.fakeRing.ReadInto(r)
	}
	select {
	case <-f.end:
		return ringbuf.ErrFlushed
	case <-time.After(time.Millisecond):
		return os.ErrDeadlineExceeded
	}
}

// While the ring buffer is idle, the events written so far reach the file
// (within flushEvery), not only when the collection ends.
func TestPipelineFlushesWhenIdle(t *testing.T) {
	entries := []*probeEntry{{id: 0, target: &probe.Target{Kind: probe.Tracepoint, Name: "net:netif_receive_skb"}}}
	dec := newDecoder(entries, benchCollectors(), nil)
	const n = 100
	lines := func(path string) int {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		c := 0
		for _, x := range b {
			if x == '\n' {
				c++
			}
		}
		return c
	}
	for _, every := range []time.Duration{0, time.Hour} {
		path := filepath.Join(t.TempDir(), "retis.data")
		f, err := events.Create(path, 0)
		if err != nil {
			t.Fatal(err)
		}
		src := &idleRing{fakeRing: fakeRing{rec: packetRecord(0, 1), n: n}, end: make(chan struct{})}
		p := newPipeline(dec, f, nil, 0, func() {}, slog.New(slog.DiscardHandler))
		p.flushEvery = every
		wait := p.run(src)
		got, wait4 := 0, 2*time.Second
		if every > 0 {
			wait4 = 200 * time.Millisecond // time for several idle reads
		}
		for deadline := time.Now().Add(wait4); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if got = lines(path); got == n {
				break
			}
		}
		close(src.end)
		if err := wait(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if every == 0 && got != n {
			t.Errorf("flushing at every idle read: %d of %d events in the file while the collection runs", got, n)
		}
		if every == time.Hour && got != 0 {
			t.Errorf("flushing hourly: %d events already in the file, want them still buffered", got)
		}
		if all := lines(path); all != n {
			t.Errorf("%d events in the closed file, want %d", all, n)
		}
	}
}
