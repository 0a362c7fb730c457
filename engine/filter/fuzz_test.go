package filter

import (
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
	"runtime"
	"sync"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/retis-go/retis/engine/filter/cbpf"
	"github.com/retis-go/retis/engine/filter/internal/pktgen"
)

// progCache keeps the programs loaded for the last expressions: fuzzing
// revisits an expression with many packets.
type progCache struct {
	mu    sync.Mutex
	progs map[string][2]*ebpf.Program
	order []string
}

func (c *progCache) get(tb testing.TB, p *Packet) [2]*ebpf.Program {
	c.mu.Lock()
	defer c.mu.Unlock()
	if progs, ok := c.progs[p.Expr]; ok {
		return progs
	}
	if c.progs == nil {
		c.progs = make(map[string][2]*ebpf.Program)
	}
	if len(c.order) == 32 {
		old := c.progs[c.order[0]]
		old[0].Close()
		old[1].Close()
		delete(c.progs, c.order[0])
		c.order = c.order[1:]
	}
	// Loaded outside the test's cleanup: they outlive one fuzz input.
	var progs [2]*ebpf.Program
	for i, fn := range []string{FuncL2, FuncL3} {
		spec := &ebpf.ProgramSpec{Type: ebpf.SchedCLS, License: "GPL", Instructions: packetHarness(fn, int32(14*i))}
		if err := (&Filters{Packet: p}).Patch(spec); err != nil {
			tb.Fatal(err)
		}
		prog, err := ebpf.NewProgram(spec)
		if err != nil {
			tb.Fatalf("%q: load %s: %v", p.Expr, fn, err)
		}
		progs[i] = prog
	}
	c.progs[p.Expr] = progs
	c.order = append(c.order, p.Expr)
	return progs
}

// FuzzFilter feeds expressions and packets to libpcap's cBPF in x/net/bpf's
// VM and to our eBPF in the kernel: verdicts must agree, on the packet as a
// frame (L2) and as a network packet behind a neutral link header (L3).
func FuzzFilter(f *testing.F) {
	requireTestRun(f)
	g := pktgen.New(7)
	for i, expr := range corpus {
		f.Add(expr, g.Frame())
		if i%4 == 0 {
			f.Add(expr, g.L3())
		}
	}
	var cache progCache
	off := startOffline(f)
	f.Fuzz(func(t *testing.T, expr string, pkt []byte) {
		fuzzOne(t, off, &cache, expr, pkt)
	})
}

// offline runs functions on a thread in a network namespace of its own,
// with no interface up: expressions naming hosts make libpcap resolve them,
// and fuzzing must neither send DNS queries nor wait for answers.
type offline chan func()

func startOffline(tb testing.TB) offline {
	tb.Helper()
	o := make(offline)
	errc := make(chan error)
	go func() {
		// Never unlocked: the thread goes away with the goroutine.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- err
			return
		}
		errc <- nil
		for f := range o {
			f()
		}
	}()
	if err := <-errc; err != nil {
		tb.Fatalf("new network namespace for libpcap: %v", err)
	}
	tb.Cleanup(func() { close(o) })
	return o
}

func (o offline) do(f func()) {
	done := make(chan struct{})
	o <- func() { defer close(done); f() }
	<-done
}

func fuzzOne(t *testing.T, off offline, cache *progCache, expr string, pkt []byte) {
	if len(expr) > 256 {
		return // libpcap's optimizer gets slow; not what we test
	}
	var (
		raw, raw3 []bpf.RawInstruction
		p         *Packet
		err, perr error
	)
	off.do(func() {
		if raw, err = cbpf.Compile(expr, cbpf.Ethernet); err != nil {
			return
		}
		p, perr = CompilePacket(expr)
		if perr == nil && p.L3Skipped == nil {
			raw3, perr = cbpf.Compile(expr, cbpf.Raw)
		}
	})
	if err != nil {
		return
	}
	if perr != nil {
		t.Fatalf("libpcap compiles %q but we do not: %v", expr, perr)
	}
	vm := oracle(t, raw)
	if vm == nil {
		return
	}
	progs := cache.get(t, p)

	frame := fitSkb(append([]byte(nil), pkt...))
	want, err := vm.Run(frame)
	if err != nil {
		t.Fatal(err)
	}
	if got := run(t, progs[0], frame); got != uint32(want) {
		t.Fatalf("%q on frame % x: eBPF %d, cBPF %d", expr, frame, got, want)
	}

	l3 := append([]byte{2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x88, 0xb5}, pkt...)
	if len(l3) > 3712 {
		l3 = l3[:3712]
	}
	want = 0
	if p.L3Skipped == nil {
		vm3 := oracle(t, raw3)
		if vm3 == nil {
			return
		}
		if want, err = vm3.Run(l3[14:]); err != nil {
			t.Fatal(err)
		}
	}
	if got := run(t, progs[1], l3); got != uint32(want) {
		t.Fatalf("%q on L3 packet % x: eBPF %d, cBPF %d (L3 skipped: %v)", expr, l3[14:], got, want, p.L3Skipped)
	}
}
