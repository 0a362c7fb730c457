package collect

import (
	"github.com/retis-go/retis/internal/testutils"
	"github.com/retis-go/retis/vm/vmtest"

	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/ringbuf"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/retis-go/retis/engine/collector"
	"github.com/retis-go/retis/engine/collector/dev"
	"github.com/retis-go/retis/engine/collector/ns"
	"github.com/retis-go/retis/engine/collector/skb"
	"github.com/retis-go/retis/engine/collector/skbtracking"
	"github.com/retis-go/retis/engine/probe"
)

// dropDriver sends UDP datagrams over the loopback of a namespace of its
// own to a socket that never reads and has the smallest receive buffer:
// past the first few, each datagram is dropped (SOCKET_RCVBUFF) through
// kfree_skb, without an ICMP error.
type dropDriver struct {
	tx, rx int
	ns     netns.NsHandle
	// snmp is the namespace's /proc/net/snmp, whose UDP RcvbufErrors
	// counts the drops.
	snmp *os.File
}

func newDropDriver(tb testing.TB) *dropDriver {
	tb.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		tb.Fatal(err)
	}
	defer orig.Close()
	h, err := netns.New()
	if err != nil {
		tb.Fatalf("new netns: %v", err)
	}
	d := &dropDriver{tx: -1, rx: -1, ns: h}
	tb.Cleanup(d.close)
	// Back to the original namespace whatever happens: the thread is
	// handed back to the runtime.
	defer func() {
		if err := netns.Set(orig); err != nil {
			panic(fmt.Sprintf("restore netns: %v", err))
		}
	}()
	nl, err := netlink.NewHandle()
	if err != nil {
		tb.Fatal(err)
	}
	defer nl.Close()
	lo, err := nl.LinkByName("lo")
	if err == nil {
		err = nl.LinkSetUp(lo)
	}
	if err != nil {
		tb.Fatalf("loopback up: %v", err)
	}
	// Opened from this thread, it shows this namespace's counters.
	if d.snmp, err = os.Open("/proc/thread-self/net/snmp"); err != nil {
		tb.Fatal(err)
	}
	if d.rx, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0); err != nil {
		tb.Fatal(err)
	}
	if err := unix.SetsockoptInt(d.rx, unix.SOL_SOCKET, unix.SO_RCVBUF, 0); err != nil {
		tb.Fatal(err)
	}
	addr := &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}
	if err := unix.Bind(d.rx, addr); err != nil {
		tb.Fatal(err)
	}
	bound, err := unix.Getsockname(d.rx)
	if err != nil {
		tb.Fatal(err)
	}
	if d.tx, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0); err != nil {
		tb.Fatal(err)
	}
	if err := unix.Connect(d.tx, bound); err != nil {
		tb.Fatal(err)
	}
	// Fill the receive queue: what is sent from now on is dropped.
	payload := make([]byte, 64)
	for range 64 {
		if _, err := unix.Write(d.tx, payload); err != nil {
			tb.Fatal(err)
		}
	}
	return d
}

// send sends n datagrams and waits until the kernel dropped them all:
// the receive path may run later, in ksoftirqd.
func (d *dropDriver) send(tb testing.TB, n int) {
	tb.Helper()
	payload := make([]byte, 64)
	before := d.drops(tb)
	for range n {
		if _, err := unix.Write(d.tx, payload); err != nil {
			tb.Fatalf("send: %v", err)
		}
	}
	for deadline := time.Now().Add(5 * time.Second); d.drops(tb)-before < uint64(n); {
		if time.Now().After(deadline) {
			tb.Fatalf("%d of %d datagrams dropped after 5 s", d.drops(tb)-before, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// drops returns the namespace's UDP RcvbufErrors counter.
func (d *dropDriver) drops(tb testing.TB) uint64 {
	tb.Helper()
	buf := make([]byte, 8192)
	n, err := d.snmp.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		tb.Fatal(err)
	}
	var names []string
	for line := range strings.SplitSeq(string(buf[:n]), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "Udp:" {
			continue
		}
		if names == nil {
			names = f
			continue
		}
		if i := slices.Index(names, "RcvbufErrors"); i > 0 && i < len(f) {
			v, err := strconv.ParseUint(f[i], 10, 64)
			if err != nil {
				tb.Fatal(err)
			}
			return v
		}
	}
	tb.Fatalf("no UDP RcvbufErrors in /proc/net/snmp")
	return 0
}

func (d *dropDriver) close() {
	for _, fd := range []int{d.tx, d.rx} {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	d.tx, d.rx = -1, -1
	if d.snmp != nil {
		d.snmp.Close()
	}
	d.ns.Close()
}

// cachedPrograms loads each program once, so that a benchmark can attach
// and detach it many times.
type cachedPrograms struct {
	objs  *objects
	progs map[cachedKey]*ebpf.Program
}

type cachedKey struct {
	role probe.Program
	t    *probe.Target
}

// Program implements probe.Programs.
func (c *cachedPrograms) Program(role probe.Program, t *probe.Target) (*ebpf.Program, error) {
	k := cachedKey{role, t}
	if p, ok := c.progs[k]; ok {
		return p, nil
	}
	p, err := c.objs.Program(role, t)
	if err != nil {
		return nil, err
	}
	c.progs[k] = p
	return p, nil
}

// runStats sums the kernel's statistics over programs: runs, run time,
// and runs skipped because a BPF program already ran on the CPU.
func runStats(tb testing.TB, progs map[cachedKey]*ebpf.Program) (count uint64, total time.Duration, misses uint64) {
	tb.Helper()
	for _, p := range progs {
		st, err := p.Stats()
		if err != nil {
			tb.Fatal(err)
		}
		count += st.RunCount
		total += st.Runtime
		misses += st.RecursionMisses
	}
	return count, total, misses
}

// hookSetup is one backend attached to the drop hook, ready to attach
// again and again.
type hookSetup struct {
	backend probe.Backend
	target  *probe.Target
	objs    *objects
	progs   *cachedPrograms
	drain   func()
	// One per round: the program's runs and run time.
	runs  []uint64
	times []time.Duration
	// Over all rounds.
	misses uint64
}

// hookModes are the probe configurations measured: the retis probe as
// the core's tracking-only hooks run it (no event; the packet is not
// tracked, so the program looks up its config, copies the sk_buff, looks
// the tracking map up and returns), and emitting an event with the default
// collectors into a ring buffer a reader drains.
var hookModes = []struct {
	name   string
	flags  uint8
	events bool
}{
	{"tracking", flagNoEvent | flagFree, false},
	{"event", flagFree, true},
}

func newHookSetup(tb testing.TB, b probe.Backend, t *probe.Target, flags uint8, events bool) *hookSetup {
	tb.Helper()
	// A small ring when nothing is written to it: the VM has little memory.
	ring := 4096
	if events {
		ring = 4 << 20
	}
	consts := map[string]any{"collectors": uint32(0), "wakeup_bytes": uint64(ring / 16)}
	if events {
		sk, err := skb.New(nil)
		if err != nil {
			tb.Fatal(err)
		}
		cols := []collector.Collector{skbtracking.New(), sk, dev.New(), ns.New()}
		for _, c := range cols {
			if err := c.Init(probe.HostKernel()); err != nil {
				tb.Fatal(err)
			}
		}
		consts["collectors"] = collectorMask(cols)
		for n, v := range sk.Constants() {
			consts[n] = v
		}
	}
	entry := &probeEntry{id: 0, target: t, flags: flags}
	objs, err := newObjects(ring, consts, nil, []*probeEntry{entry}, slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	s := &hookSetup{backend: b, target: t, objs: objs, progs: &cachedPrograms{objs: objs, progs: map[cachedKey]*ebpf.Program{}}}
	tb.Cleanup(objs.Close)
	if events {
		rd, err := ringbuf.NewReader(objs.maps["events"])
		if err != nil {
			tb.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			var rec ringbuf.Record
			for rd.ReadInto(&rec) == nil {
			}
		}()
		s.drain = func() { rd.Close(); <-done }
		tb.Cleanup(s.drain)
	}
	return s
}

// attach attaches the setup's program to its hook through its backend.
func (s *hookSetup) attach(tb testing.TB) *probe.Attachment {
	tb.Helper()
	a := &probe.Attacher{Programs: s.progs, Force: []probe.Backend{s.backend}, IDs: map[*probe.Target]uint32{s.target: 0}}
	r := a.Attach([]*probe.Target{s.target})[0]
	if r.Err != nil {
		tb.Fatalf("%s: %v", s.backend, r.Err)
	}
	return r.Attachment
}

// dropFunction resolves the kernel function behind skb:kfree_skb.
func dropFunction(tb testing.TB) *probe.Target {
	tb.Helper()
	var errs []error
	// sk_skb_reason_drop since 6.11, kfree_skb_reason before.
	for _, fn := range []string{"sk_skb_reason_drop", "kfree_skb_reason"} {
		ts, err := probe.Resolve(probe.HostKernel(), probe.Spec{Kind: probe.Kprobe, Target: fn})
		if err == nil {
			return ts[0]
		}
		errs = append(errs, err)
	}
	tb.Fatalf("no kernel function behind skb:kfree_skb: %v", errors.Join(errs...))
	return nil
}

// perHit returns the program's run time per hit in each round.
func (s *hookSetup) perHit() []float64 {
	var out []float64
	for i, rt := range s.times {
		if s.runs[i] > 0 {
			out = append(out, float64(rt.Nanoseconds())/float64(s.runs[i]))
		}
	}
	return out
}

// hits is the number of program runs per datagram.
func (s *hookSetup) hits(n int) float64 {
	var sum uint64
	for _, r := range s.runs {
		sum += r
	}
	return float64(sum) / float64(n*len(s.runs))
}

// BenchmarkHookCost measures what one hit of the retis probe costs on the
// same hook, kfree_skb, through each attach backend: tp_btf and raw_tp on
// the skb:kfree_skb tracepoint, kprobe, kprobe-multi and fentry on the
// function that fires it, driven by the same datagrams (each dropped
// once). The cost is the program's run time per hit from the kernel's BPF
// statistics (run_time_ns / run_cnt, as kernel.bpf_stats_enabled gives
// them): the front-end and the core, not the attach mechanism around
// them (ftrace and pt_regs for kprobes, the trampoline for fentry), which
// the kernel does not time. Reported as ratios against tp_btf. Where the
// front-ends differ: tp_btf, raw_tp and fentry read arguments from their
// context; kprobe and kprobe-multi read registers and look their probe's
// argument positions up in a map, and kprobe-multi's attach cookie is a
// binary search in the kernel.
//
// Rounds alternate the backends so drift spreads evenly. Noise only adds
// time (the VM's vCPU threads share the host, interrupts land inside a
// measured run), so the cleanest round is the best estimate: ratios are
// of minimums over rounds, medians shown beside them. It needs kprobes and
// fentry: run it in the VM tier (bench/hookcost.sh; make bench does).
// Under TCG absolute times mean little: only the ratios are reported.
func BenchmarkHookCost(b *testing.B) {
	testutils.RequireBPF(b)
	if os.Geteuid() != 0 {
		b.Skip("needs root: loads BPF programs and creates a network namespace")
	}
	backends := []probe.Backend{probe.TpBTF, probe.RawTP, probe.KprobeSingle, probe.KprobeMulti, probe.Fentry}
	var have []probe.Backend
	for _, be := range backends {
		err := be.Supported()
		if err == nil {
			have = append(have, be)
			continue
		}
		if !errors.Is(err, ebpf.ErrNotSupported) {
			b.Fatalf("%s: %v", be, err)
		}
		// Fails in the VM tier when the kernel should have it.
		if k, inVM := vmtest.Current(); inVM && !k.Lacked(be.String()) {
			vmtest.SkipIfNotSupported(b, be.String(), err)
		}
		fmt.Printf("hookcost: %s unsupported here: %v\n", be, err)
	}
	if !slices.Contains(have, probe.TpBTF) || !slices.Contains(have, probe.KprobeSingle) || !slices.Contains(have, probe.Fentry) {
		b.Skip("needs tp_btf, kprobe and fentry (the VM tier's kernels have them)")
	}
	stats, err := ebpf.EnableStats(uint32(unix.BPF_STATS_RUN_TIME))
	if err != nil {
		b.Fatalf("enable BPF statistics: %v", err)
	}
	defer stats.Close()

	tp, err := probe.Resolve(probe.HostKernel(), probe.Spec{Kind: probe.Tracepoint, Target: "skb:kfree_skb"})
	if err != nil {
		b.Fatal(err)
	}
	fn := dropFunction(b)
	n, rounds := 200, 51
	if v := os.Getenv("RETIS_HOOKCOST_N"); v != "" {
		fmt.Sscan(v, &n)
	}
	if v := os.Getenv("RETIS_HOOKCOST_ROUNDS"); v != "" {
		fmt.Sscan(v, &rounds)
	}
	var release string
	var uts unix.Utsname
	if unix.Uname(&uts) == nil {
		release = unix.ByteSliceToString(uts.Release[:])
	}

	for _, mode := range hookModes {
		b.Run(mode.name, func(b *testing.B) {
			for range b.N {
				d := newDropDriver(b)
				var setups []*hookSetup
				for _, be := range have {
					t := fn
					if be.Kind() == probe.Tracepoint {
						t = tp[0]
					}
					setups = append(setups, newHookSetup(b, be, t, mode.flags, mode.events))
				}
				d.send(b, n) // warm up
				for r := range rounds {
					for i := range setups {
						// Rotate the order from round to round.
						s := setups[(i+r)%len(setups)]
						att := s.attach(b)
						c0, t0, m0 := runStats(b, s.progs.progs)
						d.send(b, n)
						c1, t1, m1 := runStats(b, s.progs.progs)
						if err := att.Close(); err != nil {
							b.Fatal(err)
						}
						s.runs = append(s.runs, c1-c0)
						s.times = append(s.times, t1-t0)
						s.misses += m1 - m0
					}
				}
				report(b, release, mode.name, fn, n, rounds, setups)
			}
		})
	}
}

func medianOf(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// report prints the figures of one mode and reports the ratios against
// tp_btf as benchmark metrics.
func report(b *testing.B, release, mode string, fn *probe.Target, n, rounds int, setups []*hookSetup) {
	var base *hookSetup
	for _, s := range setups {
		if s.backend == probe.TpBTF {
			base = s
		}
	}
	bmin, bmed := slices.Min(base.perHit()), medianOf(base.perHit())
	fmt.Printf("hookcost: kernel %s, mode %s: skb:kfree_skb vs %s, %d datagrams x %d rounds\n",
		release, mode, fn.Symbol, n, rounds)
	fmt.Printf("hookcost:   %-13s %10s %7s %13s %13s %8s %8s\n", "backend", "hits/dgram", "misses", "min ns/hit", "median ns/hit", "min/tp", "med/tp")
	var ratios []string
	for _, s := range setups {
		min, med := slices.Min(s.perHit()), medianOf(s.perHit())
		fmt.Printf("hookcost:   %-13s %10.2f %7d %13.0f %13.0f %8.2f %8.2f\n", s.backend, s.hits(n), s.misses, min, med, min/bmin, med/bmed)
		if s.backend.Kind() == probe.Kprobe {
			b.ReportMetric(min/bmin, s.backend.String()+"/tp")
			ratios = append(ratios, fmt.Sprintf("%s/tp %.2f (median %.2f)", s.backend, min/bmin, med/bmed))
		}
	}
	fmt.Printf("hookcost: %s %s: %s\n", release, mode, strings.Join(ratios, ", "))
}
