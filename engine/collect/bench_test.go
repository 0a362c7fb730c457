package collect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"

	"github.com/retis-go/retis/engine/collector"
	"github.com/retis-go/retis/engine/collector/dev"
	"github.com/retis-go/retis/engine/collector/ns"
	"github.com/retis-go/retis/engine/collector/skb"
	"github.com/retis-go/retis/engine/collector/skbtracking"
	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/probe"
	"github.com/retis-go/retis/internal/testutils"
)

// benchFrame is an ICMP echo request of 98 bytes, like ping's.
var benchFrame = func() []byte {
	f := make([]byte, 98)
	copy(f, []byte{
		0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00, // eth
		0x45, 0, 0, 84, 0x12, 0x34, 0x40, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, // ip
		8, 0, 0, 0, 0, 1, 0, 1, // icmp echo
	})
	return f
}()

// producer is the ring buffer → file path of a collection fed by the
// benchmark program, run by BPF_PROG_TEST_RUN: the same event layout,
// collectors and encoding as a real collection, without a kernel hook.
type producer struct {
	prog  *ebpf.Program
	stats io.Closer
	objs  *objects
	pipe  *pipeline
	rd    *ringbuf.Reader
	file  *events.Writer
	wait  func() error
	stop  context.CancelFunc
	ctx   context.Context
}

func newProducer(tb testing.TB, out string) *producer {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Skip("needs root to load BPF programs")
	}
	cols := []collector.Collector{skbtracking.New(), dev.New(), ns.New()}
	sk, _ := skb.New(nil)
	cols = append(cols, sk)
	for _, c := range cols {
		if err := c.Init(probe.HostKernel()); err != nil {
			tb.Fatal(err)
		}
	}
	entry := &probeEntry{id: 0, target: &probe.Target{Kind: probe.Tracepoint, Name: "bench:test_run"}}
	ring := ringSize(0)
	consts := map[string]any{"collectors": collectorMask(cols), "wakeup_bytes": uint64(ring / 16), "no_task": uint8(1), "track_by_addr": trackByAddr([]*probeEntry{entry})}
	for n, v := range sk.Constants() {
		consts[n] = v
	}
	log := slog.New(slog.DiscardHandler)
	// Run counts and times of the producer program: cilium/ebpf runs a
	// test_run again from the start when a signal interrupts it (Go
	// preempts with signals), so the count asked for is not the count
	// produced.
	stats, err := ebpf.EnableStats(uint32(unix.BPF_STATS_RUN_TIME))
	if err != nil {
		tb.Skipf("benchmark producer needs BPF run statistics: %v", err)
	}
	objs, err := newObjects(ring, consts, nil, []*probeEntry{entry}, log)
	if err != nil {
		stats.Close()
		tb.Fatal(err)
	}
	prog, err := objs.load("probe_bench", nil, map[string]any{"probe_id": uint32(0)})
	if err != nil {
		objs.Close()
		stats.Close()
		if testingSkippable(err) {
			tb.Skipf("benchmark producer cannot load: %v", err)
		}
		tb.Fatal(err)
	}
	p := &producer{prog: prog, objs: objs, stats: stats}
	if p.rd, err = ringbuf.NewReader(objs.maps["events"]); err != nil {
		tb.Fatal(err)
	}
	if p.file, err = events.Create(out, 0); err != nil {
		tb.Fatal(err)
	}
	p.ctx, p.stop = context.WithCancel(context.Background())
	dec := newDecoder([]*probeEntry{entry}, cols, nil)
	p.pipe = newPipeline(dec, p.file, nil, 0, p.stop, log)
	p.pipe.wholeBatches = true // as Run does without rotation or --stop-after
	p.wait = p.pipe.run(p.rd)
	return p
}

func testingSkippable(err error) bool {
	return errors.Is(err, ebpf.ErrNotSupported)
}

// produce runs the producer for d at rate events/s (0: as fast as
// possible), or for n events when d is 0.
func (p *producer) produce(tb testing.TB, n uint64, d time.Duration, rate float64) {
	const chunk = 1000
	start := time.Now()
	for done := uint64(0); ; done += chunk {
		if d > 0 && time.Since(start) >= d || d == 0 && done >= n {
			return
		}
		r := uint64(chunk)
		if d == 0 {
			r = min(chunk, n-done)
		}
		if _, err := p.prog.Run(&ebpf.RunOptions{Data: benchFrame, Repeat: uint32(r)}); err != nil {
			tb.Fatal(err)
		}
		if rate > 0 {
			if ahead := time.Duration(float64(done+r)/rate*float64(time.Second)) - time.Since(start); ahead > 0 {
				time.Sleep(ahead)
			}
		}
	}
}

// result is one run of the producer.
type result struct {
	produced, written, lost uint64
	// producerNs is the producer program's own time per event.
	producerNs float64
}

// finish drains the ring, closes everything and returns what was
// produced (by the kernel's count of runs), written and lost (by our
// per-probe counters).
func (p *producer) finish(tb testing.TB) result {
	if err := p.rd.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := p.wait(); err != nil {
		tb.Fatal(err)
	}
	st, err := p.prog.Stats()
	if err != nil {
		tb.Fatal(err)
	}
	l, err := p.objs.lost(1)
	if err != nil {
		tb.Fatal(err)
	}
	p.rd.Close()
	p.file.Close()
	p.objs.Close()
	p.stats.Close()
	p.stop()
	r := result{produced: st.RunCount, written: p.pipe.processed.Load(), lost: l[0]}
	if st.RunCount > 0 {
		r.producerNs = float64(st.Runtime.Nanoseconds()) / float64(st.RunCount)
	}
	if r.written+r.lost != r.produced {
		tb.Errorf("%d written + %d lost != %d produced", r.written, r.lost, r.produced)
	}
	return r
}

// BenchmarkRingToFile measures the producer → ring buffer → decode →
// JSON → file path with the producer unthrottled; written/s is what the
// file sustained, lost what the ring could not hold.
func BenchmarkRingToFile(b *testing.B) {
	testutils.RequireBPF(b)
	p := newProducer(b, filepath.Join(b.TempDir(), "retis.data"))
	start := time.Now()
	p.produce(b, uint64(b.N), 0, 0)
	r := p.finish(b)
	elapsed := time.Since(start)
	b.ReportMetric(float64(r.written)/elapsed.Seconds(), "written/s")
	b.ReportMetric(float64(r.lost), "lost")
	b.ReportMetric(r.producerNs, "producer-ns/event")
}

// TestRingToFileCeiling finds the highest producer rate the file path
// takes with zero loss: a ladder of rates up to the first loss, then
// halving the gap between the best clean and the first lossy rate. Each
// rate runs for RETIS_BENCH_SECS seconds (default 2: long enough for the
// default ring buffer to fill if the reader is behind). The file is
// written under $TMPDIR. Set RETIS_BENCH=1 to run it (make bench).
func TestRingToFileCeiling(t *testing.T) {
	if os.Getenv("RETIS_BENCH") == "" {
		t.Skip("benchmark: set RETIS_BENCH=1")
	}
	testutils.RequireBPF(t)
	secs := 2.0
	if s := os.Getenv("RETIS_BENCH_SECS"); s != "" {
		var err error
		if secs, err = strconv.ParseFloat(s, 64); err != nil {
			t.Fatalf("RETIS_BENCH_SECS: %v", err)
		}
	}
	d := time.Duration(secs * float64(time.Second))
	dir := t.TempDir()
	// run returns the rate achieved and whether nothing was lost.
	run := func(rate float64) (float64, bool) {
		out := filepath.Join(dir, "retis.data")
		p := newProducer(t, out)
		start, cpu0 := time.Now(), cpuTime()
		p.produce(t, 0, d, rate)
		took := time.Since(start)
		r := p.finish(t)
		total, cpu := time.Since(start), cpuTime()-cpu0
		// Gigabytes of page cache left behind would slow the next runs.
		os.Remove(out)
		achieved := float64(r.produced) / took.Seconds()
		// The process's CPU time less the producer program's is what the
		// rest took: the pipeline, the file system, test_run itself.
		rest := (float64(cpu.Nanoseconds()) - r.producerNs*float64(r.produced)) / float64(max(r.written, 1))
		t.Logf("target %s/s: produced %d (%.0f/s, producer %.0f ns/event), written %d (%.0f/s to the end, %.0f ns CPU/event besides the producer), lost %d; %.2f CPUs busy",
			rateName(rate), r.produced, achieved, r.producerNs, r.written, float64(r.written)/total.Seconds(), rest, r.lost, cpu.Seconds()/total.Seconds())
		return achieved, r.lost == 0
	}
	best, bad := 0.0, 0.0
	for _, rate := range []float64{250e3, 500e3, 750e3, 1e6, 1.5e6, 2e6, 3e6} {
		got, ok := run(rate)
		if !ok {
			bad = rate
			break
		}
		best = max(best, got)
	}
	for range 2 {
		if bad == 0 || best == 0 {
			break
		}
		mid := (best + bad) / 2
		if got, ok := run(mid); ok {
			best = max(best, got)
		} else {
			bad = mid
		}
	}
	if got, ok := run(0); ok {
		best = max(best, got)
	}
	t.Logf("ceiling: %.0f events/s with zero loss", best)
}

func rateName(r float64) string {
	if r == 0 {
		return "max"
	}
	return fmt.Sprintf("%.0fk", r/1e3)
}
