package filter

import (
	"fmt"
	"strings"
	"testing"

	"github.com/retis-go/retis/engine/filter/cbpf"
	"github.com/retis-go/retis/engine/filter/internal/pktgen"
)

// TestLargeFilter translates and loads a program close to the 4096
// instruction limit, most of its loads past the stack copy, and checks it
// against the VM.
func TestLargeFilter(t *testing.T) {
	requireTestRun(t)
	var terms []string
	for i := range 1390 {
		terms = append(terms, fmt.Sprintf("ether[%d] == %d", 40+i%1390, i%256))
	}
	expr := strings.Join(terms, " or ")
	raw, err := cbpf.Compile(expr, cbpf.Ethernet)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) < 3000 {
		t.Fatalf("only %d cBPF instructions: not a large program", len(raw))
	}
	p, err := CompilePacket(expr)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d cBPF instructions, %d eBPF", len(raw), len(p.L2))
	prog := loadPacketFilter(t, p, FuncL2, 0)
	vm := oracle(t, raw)
	g := pktgen.New(5)
	var matched int
	for range 2000 {
		f := fitSkb(g.Frame())
		want, err := vm.Run(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := run(t, prog, f); got != uint32(want) {
			t.Fatalf("frame % x: eBPF %d, cBPF %d", f, got, want)
		}
		if want != 0 {
			matched++
		}
	}
	if matched == 0 {
		t.Error("no frame matched: the sample does not tell")
	}
}
