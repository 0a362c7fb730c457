package builder

import (
	"strings"
	"testing"

	"github.com/cilium/ebpf/asm"
)

func TestAssembleResolvesLabels(t *testing.T) {
	b := New()
	b.Jump(asm.JEq.Imm(asm.R1, 0, ""), "end")     // 0
	b.Emit(asm.LoadImm(asm.R2, 1<<40, asm.DWord)) // 1-2: two raw slots
	b.Mark("back")
	b.Emit(asm.Mov.Imm(asm.R0, 1))             // 3
	b.Jump(asm.JGT.Imm(asm.R1, 5, ""), "back") // 4
	b.Mark("end")
	b.Emit(asm.Return()) // 5
	insns, err := b.Assemble()
	if err != nil {
		t.Fatal(err)
	}
	if insns[0].Offset != 4 {
		t.Errorf("forward jump over a 64-bit load: offset %d, want 4", insns[0].Offset)
	}
	if insns[3].Offset != -2 {
		t.Errorf("backward jump: offset %d, want -2", insns[3].Offset)
	}
	for _, ins := range insns {
		if ins.Reference() != "" || ins.Symbol() != "" {
			t.Errorf("%v keeps reference %q symbol %q", ins, ins.Reference(), ins.Symbol())
		}
	}
}

func TestAssembleErrors(t *testing.T) {
	b := New()
	b.Goto("nowhere")
	if _, err := b.Assemble(); err == nil || !strings.Contains(err.Error(), "nowhere") {
		t.Fatalf("undefined label: err = %v", err)
	}

	b = New()
	b.Goto("far")
	for range 40000 {
		b.Emit(asm.Mov.Imm(asm.R0, 0))
	}
	b.Mark("far")
	b.Emit(asm.Return())
	if _, err := b.Assemble(); err == nil || !strings.Contains(err.Error(), "more than an eBPF jump can reach") {
		t.Fatalf("long jump: err = %v", err)
	}
	if a, c := b.Fresh("x"), b.Fresh("x"); a == c {
		t.Fatalf("Fresh returned %q twice", a)
	}
}
