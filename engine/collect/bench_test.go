package collect

import (
	"github.com/retis-go/retis/internal/testutils"

	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/ringbuf"

	"github.com/retis-go/retis/engine/collector"
	"github.com/retis-go/retis/engine/collector/dev"
	"github.com/retis-go/retis/engine/collector/ns"
	"github.com/retis-go/retis/engine/collector/skb"
	"github.com/retis-go/retis/engine/collector/skbtracking"
	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/probe"
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
	objs  *objects
	pipe  *pipeline
	rd    *ringbuf.Reader
	file  *events.Writer
	wait  func() error
	stop  context.CancelFunc
	ctx   context.Context
	count uint64
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
	consts := map[string]any{"collectors": collectorMask(cols), "wakeup_bytes": uint64(ring / 16), "no_task": uint8(1)}
	for n, v := range sk.Constants() {
		consts[n] = v
	}
	log := slog.New(slog.DiscardHandler)
	objs, err := newObjects(ring, consts, nil, []*probeEntry{entry}, log)
	if err != nil {
		tb.Fatal(err)
	}
	prog, err := objs.load("probe_bench", nil, map[string]any{"probe_id": uint32(0)})
	if err != nil {
		objs.Close()
		if testingSkippable(err) {
			tb.Skipf("benchmark producer cannot load: %v", err)
		}
		tb.Fatal(err)
	}
	p := &producer{prog: prog, objs: objs}
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

// produce emits n events at rate events/s (0: as fast as possible).
func (p *producer) produce(tb testing.TB, n uint64, rate float64) time.Duration {
	const chunk = 1000
	start := time.Now()
	for done := uint64(0); done < n; {
		r := min(chunk, n-done)
		if _, err := p.prog.Run(&ebpf.RunOptions{Data: benchFrame, Repeat: uint32(r)}); err != nil {
			tb.Fatal(err)
		}
		done += r
		if rate > 0 {
			if ahead := time.Duration(float64(done)/rate*float64(time.Second)) - time.Since(start); ahead > 0 {
				time.Sleep(ahead)
			}
		}
	}
	p.count += n
	return time.Since(start)
}

// finish drains the ring, closes everything and returns events written
// and lost.
func (p *producer) finish(tb testing.TB) (written, lost uint64) {
	if err := p.rd.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := p.wait(); err != nil {
		tb.Fatal(err)
	}
	l, err := p.objs.lost(1)
	if err != nil {
		tb.Fatal(err)
	}
	p.rd.Close()
	p.file.Close()
	p.objs.Close()
	p.stop()
	return p.pipe.processed.Load(), l[0]
}

// BenchmarkRingToFile measures the producer → ring buffer → decode →
// JSON → file path with the producer unthrottled; written/s is what the
// file sustained, lost what the ring could not hold.
func BenchmarkRingToFile(b *testing.B) {
	testutils.RequireBPF(b)
	p := newProducer(b, filepath.Join(b.TempDir(), "retis.data"))
	start := time.Now()
	p.produce(b, uint64(b.N), 0)
	written, lost := p.finish(b)
	elapsed := time.Since(start)
	if written+lost != p.count {
		b.Errorf("%d written + %d lost != %d produced", written, lost, p.count)
	}
	b.ReportMetric(float64(written)/elapsed.Seconds(), "written/s")
	b.ReportMetric(float64(lost), "lost")
}

// TestRingToFileCeiling finds the highest producer rate the file path
// takes with zero loss. Set RETIS_BENCH=1 to run it (make bench).
func TestRingToFileCeiling(t *testing.T) {
	if os.Getenv("RETIS_BENCH") == "" {
		t.Skip("benchmark: set RETIS_BENCH=1")
	}
	const n = 2_000_000
	best := 0.0
	for _, rate := range []float64{250e3, 500e3, 750e3, 1e6, 1.25e6, 1.5e6, 2e6, 3e6, 0} {
		p := newProducer(t, filepath.Join(t.TempDir(), "retis.data"))
		start := time.Now()
		took := p.produce(t, n, rate)
		written, lost := p.finish(t)
		total := time.Since(start)
		if written+lost != p.count {
			t.Errorf("%d written + %d lost != %d produced", written, lost, p.count)
		}
		achieved := float64(n) / took.Seconds()
		t.Logf("target %s/s: produced %.0f/s, written %d (%.0f/s to the end), lost %d", rateName(rate), achieved, written, float64(written)/total.Seconds(), lost)
		if lost == 0 && achieved > best {
			best = achieved
		}
		if lost > 0 && rate > 0 {
			break
		}
	}
	t.Logf("ceiling: %.0f events/s with zero loss", best)
}

func rateName(r float64) string {
	if r == 0 {
		return "max"
	}
	return fmt.Sprintf("%.0fk", r/1e3)
}
