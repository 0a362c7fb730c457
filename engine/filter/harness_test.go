package filter

import (
	"errors"
	"math"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/features"
	"golang.org/x/net/bpf"

	"github.com/retis-go/retis/internal/testutils"
)

// Offsets in struct __sk_buff.
const (
	skbLenOff  = 0
	skbDataOff = 76
)

// requireTestRun skips when the kernel cannot run the test programs:
// SchedCLS with bpf_probe_read_kernel under BPF_PROG_TEST_RUN.
func requireTestRun(tb testing.TB) {
	tb.Helper()
	testutils.RequireBPF(tb)
	err := features.HaveProgramHelper(ebpf.SchedCLS, asm.FnProbeReadKernel)
	if errors.Is(err, ebpf.ErrNotSupported) {
		tb.Skipf("kernel lacks bpf_probe_read_kernel for SchedCLS programs: %v", err)
	}
	if err != nil {
		tb.Fatal(err)
	}
}

// packetHarness returns a SchedCLS program that calls the placeholder fn
// (retis_filter_l2 or retis_filter_l3) on the test frame, from its first
// byte or from offset skip, and returns its result. The frame address is
// laundered through the stack so the subprogram gets a scalar, as probes
// computing it from skb->head do. Both placeholders are present, as in
// probes; the branch to the other one is dead.
func packetHarness(fn string, skip int32) asm.Instructions {
	other := FuncL3
	if fn == FuncL3 {
		other = FuncL2
	}
	return asm.Instructions{
		asm.Mov.Reg(asm.R6, asm.R1),
		asm.LoadMem(asm.R2, asm.R6, skbDataOff, asm.Word),
		asm.StoreMem(asm.RFP, -8, asm.R2, asm.DWord),
		asm.Mov.Reg(asm.R1, asm.RFP),
		asm.Add.Imm(asm.R1, -16),
		asm.Mov.Imm(asm.R2, 8),
		asm.Mov.Reg(asm.R3, asm.RFP),
		asm.Add.Imm(asm.R3, -8),
		asm.FnProbeReadKernel.Call(),
		asm.LoadMem(asm.R1, asm.RFP, -16, asm.DWord),
		asm.Add.Imm(asm.R1, skip),
		asm.LoadMem(asm.R2, asm.R6, skbLenOff, asm.Word),
		asm.Sub.Imm32(asm.R2, skip),
		asm.Mov.Imm(asm.R3, 0),
		asm.JNE.Imm(asm.R3, 0, "other"),
		asm.Call.Label(fn),
		asm.Return(),
		asm.Call.Label(other).WithSymbol("other"),
		asm.Return(),
		// The default bodies: match everything.
		asm.Mov.Imm(asm.R0, 1).WithSymbol(FuncL2),
		asm.Return(),
		asm.Mov.Imm(asm.R0, 1).WithSymbol(FuncL3),
		asm.Return(),
	}
}

// loadPacketFilter loads the harness for fn patched with p.
func loadPacketFilter(tb testing.TB, p *Packet, fn string, skip int32) *ebpf.Program {
	tb.Helper()
	spec := &ebpf.ProgramSpec{
		Name:         "filter_test",
		Type:         ebpf.SchedCLS,
		License:      "GPL",
		Instructions: packetHarness(fn, skip),
	}
	f := &Filters{Packet: p}
	if err := f.Patch(spec); err != nil {
		tb.Fatal(err)
	}
	prog, err := ebpf.NewProgramWithOptions(spec, ebpf.ProgramOptions{LogLevel: ebpf.LogLevelBranch, LogSizeStart: 1 << 20})
	if err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			tb.Fatalf("%q: verifier: %+v", p.Expr, ve)
		}
		tb.Fatalf("%q: %v", p.Expr, err)
	}
	tb.Cleanup(func() { prog.Close() })
	return prog
}

// oracle runs libpcap's program in x/net/bpf's VM. The VM has no negation:
// it becomes multiplication by 2^32-1, the same function modulo 2^32. It
// returns nil for programs the VM refuses (Linux ancillary loads).
func oracle(tb testing.TB, raw []bpf.RawInstruction) *bpf.VM {
	tb.Helper()
	prog := make([]bpf.Instruction, len(raw))
	for i, ri := range raw {
		if ri.Op == clsALU|aluNEG {
			prog[i] = bpf.ALUOpConstant{Op: bpf.ALUOpMul, Val: math.MaxUint32}
			continue
		}
		prog[i] = ri.Disassemble()
	}
	vm, err := bpf.NewVM(prog)
	if err != nil {
		return nil
	}
	return vm
}

// fitSkb adapts a frame to what BPF_PROG_TEST_RUN accepts for SchedCLS:
// 14 to 3712 bytes, with room for the IPv4 or IPv6 header its ethertype
// announces.
func fitSkb(frame []byte) []byte {
	for len(frame) < 14 {
		frame = append(frame, 0)
	}
	if len(frame) > 3712 {
		frame = frame[:3712]
	}
	min := 14
	switch uint16(frame[12])<<8 | uint16(frame[13]) {
	case 0x0800:
		min = 34
	case 0x86dd:
		min = 54
	}
	for len(frame) < min {
		frame = append(frame, 0)
	}
	return frame
}

func run(tb testing.TB, prog *ebpf.Program, frame []byte) uint32 {
	tb.Helper()
	ret, err := prog.Run(&ebpf.RunOptions{Data: frame})
	if err != nil {
		tb.Fatalf("test run on %d bytes: %v", len(frame), err)
	}
	return ret
}
