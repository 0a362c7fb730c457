package filter

import (
	"testing"

	"github.com/retis-go/retis/engine/filter/cbpf"
	"github.com/retis-go/retis/engine/filter/internal/pktgen"
)

const (
	l2Packets = 10000
	l3Packets = 10000
)

// TestDifferential runs every corpus expression, translated to eBPF and run
// by the kernel, and libpcap's cBPF, run by x/net/bpf's VM, on the same
// packets: the return values must be equal.
func TestDifferential(t *testing.T) {
	requireTestRun(t)
	if len(corpus) < 50 {
		t.Fatalf("corpus has %d expressions, want at least 50", len(corpus))
	}
	g := pktgen.New(42)
	frames := make([][]byte, l2Packets)
	for i := range frames {
		frames[i] = fitSkb(g.Frame())
	}
	// L3 packets run behind a 14-byte Ethernet header whose ethertype asks
	// nothing of the test-run skb, the harness skipping it.
	l3 := make([][]byte, l3Packets)
	for i := range l3 {
		p := g.L3()
		l3[i] = append([]byte{2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x88, 0xb5}, p...)
		if len(l3[i]) > 3712 {
			l3[i] = l3[i][:3712]
		}
	}

	var withL3 int
	for _, expr := range corpus {
		t.Run(expr, func(t *testing.T) {
			p, err := CompilePacket(expr)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := cbpf.Compile(expr, cbpf.Ethernet)
			if err != nil {
				t.Fatal(err)
			}
			vm := oracle(t, raw)
			if vm == nil {
				t.Fatalf("x/net/bpf refuses libpcap's program for %q", expr)
			}
			prog := loadPacketFilter(t, p, FuncL2, 0)
			var matched int
			for _, f := range frames {
				want, err := vm.Run(f)
				if err != nil {
					t.Fatal(err)
				}
				got := run(t, prog, f)
				if got != uint32(want) {
					t.Fatalf("L2 frame % x: eBPF returned %d, cBPF %d", f, got, want)
				}
				if got != 0 {
					matched++
				}
			}
			if matched == 0 || matched == len(frames) {
				t.Errorf("matched %d of %d frames: the sample does not tell", matched, len(frames))
			}

			l3prog := loadPacketFilter(t, p, FuncL3, 14)
			if p.L3Skipped != nil {
				t.Logf("L3 skipped: %v", p.L3Skipped)
				for _, f := range l3[:100] {
					if got := run(t, l3prog, f); got != 0 {
						t.Fatalf("L3 program of a skipped L3 filter returned %d, want 0", got)
					}
				}
				return
			}
			withL3++
			raw3, err := cbpf.Compile(expr, cbpf.Raw)
			if err != nil {
				t.Fatal(err)
			}
			vm3 := oracle(t, raw3)
			var matched3 int
			for _, f := range l3 {
				want, err := vm3.Run(f[14:])
				if err != nil {
					t.Fatal(err)
				}
				got := run(t, l3prog, f)
				if got != uint32(want) {
					t.Fatalf("L3 packet % x: eBPF returned %d, cBPF %d", f[14:], got, want)
				}
				if got != 0 {
					matched3++
				}
			}
			t.Logf("L2 %d/%d, L3 %d/%d", matched, len(frames), matched3, len(l3))
		})
	}
	if withL3 < len(corpus)/2 {
		t.Errorf("only %d expressions had an L3 program", withL3)
	}
}
