package filter

import (
	"strings"
	"testing"

	"github.com/cilium/ebpf/asm"
	"golang.org/x/net/bpf"
)

func assemble(t *testing.T, insns ...bpf.Instruction) []bpf.RawInstruction {
	t.Helper()
	raw, err := bpf.Assemble(insns)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestTranslateOpcodes covers instructions and corner cases libpcap rarely
// or never emits, checking the kernel's result against x/net/bpf's VM (or a
// stated value where the VM cannot run the program).
func TestTranslateOpcodes(t *testing.T) {
	requireTestRun(t)
	frame := make([]byte, 100)
	for i := range frame {
		frame[i] = byte(i*7 + 3)
	}
	frame[12], frame[13] = 0x88, 0xb5
	frame[20] = 0x45

	ret := bpf.RetA{}
	for _, tc := range []struct {
		name string
		prog []bpf.RawInstruction
		// want is used when the VM cannot run the program.
		want *uint32
	}{
		{name: "scratch", prog: assemble(t, bpf.LoadConstant{Dst: bpf.RegA, Val: 5}, bpf.StoreScratch{Src: bpf.RegA, N: 3},
			bpf.LoadScratch{Dst: bpf.RegX, N: 3}, bpf.TXA{}, bpf.ALUOpX{Op: bpf.ALUOpAdd}, bpf.StoreScratch{Src: bpf.RegX, N: 15},
			bpf.LoadScratch{Dst: bpf.RegA, N: 15}, bpf.ALUOpX{Op: bpf.ALUOpMul}, ret)},
		{name: "unwritten scratch is zero", prog: assemble(t, bpf.LoadScratch{Dst: bpf.RegA, N: 7}, bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: 9}, ret)},
		{name: "div by X zero", prog: assemble(t, bpf.LoadConstant{Dst: bpf.RegX, Val: 0}, bpf.LoadConstant{Dst: bpf.RegA, Val: 7}, bpf.ALUOpX{Op: bpf.ALUOpDiv}, bpf.RetConstant{Val: 1})},
		{name: "mod by X zero", prog: assemble(t, bpf.LoadConstant{Dst: bpf.RegA, Val: 7}, bpf.ALUOpX{Op: bpf.ALUOpMod}, bpf.RetConstant{Val: 1})},
		{name: "div and mod", prog: assemble(t, bpf.LoadConstant{Dst: bpf.RegX, Val: 7}, bpf.LoadConstant{Dst: bpf.RegA, Val: 0xfffffff0},
			bpf.ALUOpX{Op: bpf.ALUOpDiv}, bpf.ALUOpConstant{Op: bpf.ALUOpMod, Val: 1000}, bpf.ALUOpConstant{Op: bpf.ALUOpDiv, Val: 0x80000001}, ret)},
		{name: "big unsigned div", prog: assemble(t, bpf.LoadConstant{Dst: bpf.RegA, Val: 0xfffffff0}, bpf.ALUOpConstant{Op: bpf.ALUOpDiv, Val: 0x80000000}, ret)},
		{name: "lsh X 31", prog: assemble(t, bpf.LoadConstant{Dst: bpf.RegX, Val: 31}, bpf.LoadConstant{Dst: bpf.RegA, Val: 3}, bpf.ALUOpX{Op: bpf.ALUOpShiftLeft}, ret)},
		{name: "lsh X 32", prog: assemble(t, bpf.LoadConstant{Dst: bpf.RegX, Val: 32}, bpf.LoadConstant{Dst: bpf.RegA, Val: 3}, bpf.ALUOpX{Op: bpf.ALUOpShiftLeft}, bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: 1}, ret)},
		{name: "rsh X 33", prog: assemble(t, bpf.LoadConstant{Dst: bpf.RegX, Val: 33}, bpf.LoadConstant{Dst: bpf.RegA, Val: 0xffffffff}, bpf.ALUOpX{Op: bpf.ALUOpShiftRight}, bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: 1}, ret)},
		{name: "rsh K 40", prog: assemble(t, bpf.LoadConstant{Dst: bpf.RegA, Val: 0xffffffff}, bpf.ALUOpConstant{Op: bpf.ALUOpShiftRight, Val: 40}, bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: 1}, ret)},
		{name: "ret A all ones", prog: assemble(t, bpf.LoadConstant{Dst: bpf.RegA, Val: 0xffffffff}, bpf.ALUOpConstant{Op: bpf.ALUOpXor, Val: 0}, bpf.ALUOpConstant{Op: bpf.ALUOpOr, Val: 0x10}, ret)},
		{name: "sub wraps", prog: assemble(t, bpf.LoadConstant{Dst: bpf.RegA, Val: 1}, bpf.ALUOpConstant{Op: bpf.ALUOpSub, Val: 2}, bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0xfff0ffff}, ret)},
		// x/net/bpf reads offsets past 0xfffff000 as Linux ancillary data;
		// libpcap's interpreter has none: out of range.
		{name: "load abs huge", prog: assemble(t, bpf.LoadAbsolute{Off: 0xfffffffe, Size: 1}, bpf.RetConstant{Val: 1}), want: new(uint32)},
		{name: "load abs 2^31", prog: assemble(t, bpf.LoadAbsolute{Off: 0x80000000, Size: 4}, bpf.RetConstant{Val: 1})},
		{name: "load ind no wrap", prog: assemble(t, bpf.LoadConstant{Dst: bpf.RegX, Val: 0xffffffff}, bpf.LoadIndirect{Off: 1, Size: 1}, bpf.RetConstant{Val: 1})},
		{name: "load ind huge k", prog: assemble(t, bpf.LoadConstant{Dst: bpf.RegX, Val: 1}, bpf.LoadIndirect{Off: 0xffffffff, Size: 2}, bpf.RetConstant{Val: 1})},
		{name: "unaligned words", prog: assemble(t, bpf.LoadAbsolute{Off: 1, Size: 4}, bpf.TAX{}, bpf.LoadAbsolute{Off: 2, Size: 4},
			bpf.ALUOpX{Op: bpf.ALUOpXor}, bpf.TAX{}, bpf.LoadAbsolute{Off: 3, Size: 2}, bpf.ALUOpX{Op: bpf.ALUOpAdd}, bpf.TAX{},
			bpf.LoadAbsolute{Off: 8, Size: 4}, bpf.ALUOpX{Op: bpf.ALUOpXor}, ret)},
		{name: "past the stack copy", prog: assemble(t, bpf.LoadAbsolute{Off: 70, Size: 4}, bpf.TAX{}, bpf.LoadAbsolute{Off: 63, Size: 2},
			bpf.ALUOpX{Op: bpf.ALUOpAdd}, ret)},
		{name: "indirect across the copy end", prog: assemble(t, bpf.LoadConstant{Dst: bpf.RegX, Val: 60}, bpf.LoadIndirect{Off: 1, Size: 4},
			bpf.TAX{}, bpf.LoadIndirect{Off: 2, Size: 4}, bpf.TAX{}, bpf.LoadIndirect{Off: 0, Size: 2}, ret)},
		{name: "indirect at the end", prog: assemble(t, bpf.LoadConstant{Dst: bpf.RegX, Val: 90}, bpf.LoadIndirect{Off: 6, Size: 4}, ret)},
		{name: "indirect one past the end", prog: assemble(t, bpf.LoadConstant{Dst: bpf.RegX, Val: 90}, bpf.LoadIndirect{Off: 7, Size: 4}, ret)},
		{name: "msh", prog: assemble(t, bpf.LoadMemShift{Off: 20}, bpf.LoadIndirect{Off: 0, Size: 1}, bpf.ALUOpX{Op: bpf.ALUOpAdd}, ret)},
		{name: "msh past the copy", prog: assemble(t, bpf.LoadMemShift{Off: 80}, bpf.TXA{}, ret)},
		{name: "msh out of range", prog: assemble(t, bpf.LoadMemShift{Off: 100}, bpf.RetConstant{Val: 1})},
		{name: "len", prog: assemble(t, bpf.LoadExtension{Num: bpf.ExtLen}, bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: 1}, ret)},
		{name: "jset X", prog: assemble(t, bpf.LoadConstant{Dst: bpf.RegA, Val: 6}, bpf.LoadConstant{Dst: bpf.RegX, Val: 2},
			bpf.JumpIfX{Cond: bpf.JumpBitsSet, SkipTrue: 1}, bpf.RetConstant{Val: 1}, bpf.RetConstant{Val: 2})},
		{name: "jset K false", prog: assemble(t, bpf.LoadConstant{Dst: bpf.RegA, Val: 6},
			bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 9, SkipTrue: 1}, bpf.RetConstant{Val: 1}, bpf.RetConstant{Val: 2})},
		{name: "jgt unsigned", prog: assemble(t, bpf.LoadConstant{Dst: bpf.RegA, Val: 0x80000000},
			bpf.JumpIf{Cond: bpf.JumpGreaterThan, Val: 5, SkipTrue: 1}, bpf.RetConstant{Val: 1}, bpf.RetConstant{Val: 2})},
		{name: "jge X unsigned", prog: assemble(t, bpf.LoadConstant{Dst: bpf.RegA, Val: 1}, bpf.LoadConstant{Dst: bpf.RegX, Val: 0xffffffff},
			bpf.JumpIfX{Cond: bpf.JumpGreaterOrEqual, SkipTrue: 1}, bpf.RetConstant{Val: 1}, bpf.RetConstant{Val: 2})},
		{name: "jeq same targets and ja", prog: assemble(t, bpf.LoadConstant{Dst: bpf.RegA, Val: 1},
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: 1, SkipTrue: 1, SkipFalse: 1}, bpf.RetConstant{Val: 9}, bpf.Jump{Skip: 1}, bpf.RetConstant{Val: 8}, bpf.RetConstant{Val: 3})},
		{name: "unreachable code", prog: assemble(t, bpf.RetConstant{Val: 4}, bpf.LoadAbsolute{Off: 1, Size: 1}, bpf.RetA{})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			insns, err := translate(tc.prog)
			if err != nil {
				t.Fatal(err)
			}
			var want uint32
			if tc.want != nil {
				want = *tc.want
			} else {
				vm := oracle(t, tc.prog)
				if vm == nil {
					t.Fatal("the VM refuses the program")
				}
				n, err := vm.Run(frame)
				if err != nil {
					t.Fatal(err)
				}
				want = uint32(n)
			}
			prog := loadPacketFilter(t, &Packet{Expr: tc.name, L2: insns, L3: rejectAll()}, FuncL2, 0)
			if got := run(t, prog, frame); got != want {
				t.Fatalf("got %#x, want %#x\n%v", got, want, insns)
			}
		})
	}

	// x/net/bpf cannot express ldx len (it loads A): check it by hand.
	prog := []bpf.RawInstruction{{Op: clsLDX | mLEN}, {Op: clsMISC | miscTXA}, {Op: clsALU | aluNEG}, {Op: clsRET | retA}}
	insns, err := translate(prog)
	if err != nil {
		t.Fatal(err)
	}
	p := loadPacketFilter(t, &Packet{Expr: "ldx len", L2: insns, L3: rejectAll()}, FuncL2, 0)
	if got := run(t, p, frame); got != uint32(-int32(len(frame))) {
		t.Fatalf("ldx len; txa; neg: got %#x, want -%d", got, len(frame))
	}
}

func TestTranslateRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		prog []bpf.RawInstruction
		want string
	}{
		{"empty", nil, "empty"},
		{"unknown opcode", []bpf.RawInstruction{{Op: 0xff}}, "unknown"},
		{"ret X", []bpf.RawInstruction{{Op: clsRET | 0x08}}, "unknown return"},
		{"scratch index", []bpf.RawInstruction{{Op: clsST, K: 16}, {Op: clsRET}}, "M[15]"},
		{"load scratch index", []bpf.RawInstruction{{Op: clsLDX | mMEM, K: 20}, {Op: clsRET}}, "M[15]"},
		{"jump past end", []bpf.RawInstruction{{Op: clsJMP | jA, K: 1}, {Op: clsRET}}, "past the end"},
		{"cond jump past end", []bpf.RawInstruction{{Op: clsJMP | jEQ, Jt: 0, Jf: 3}, {Op: clsRET}}, "past the end"},
		{"falls off", []bpf.RawInstruction{{Op: clsLD | mIMM}}, "past the end"},
		{"half immediate", []bpf.RawInstruction{{Op: clsLD | mIMM | szH}, {Op: clsRET}}, "unknown load"},
	} {
		_, err := translate(tc.prog)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}

// TestPatchKeepsFunctionMetadata checks the symbol and the line info of
// the placeholder move to the new body and the code around is unchanged.
func TestPatchKeepsFunctionMetadata(t *testing.T) {
	insns := packetHarness(FuncL2, 0)
	insns[len(insns)-4] = insns[len(insns)-4].WithSource(asm.Comment("l2 line"))
	p, err := CompilePacket("udp")
	if err != nil {
		t.Fatal(err)
	}
	out, err := replaceBody(insns, FuncL2, p.L2)
	if err != nil {
		t.Fatal(err)
	}
	start := len(insns) - 4
	if got := out[start]; got.Symbol() != FuncL2 || got.Source() == nil || got.Source().String() != "l2 line" {
		t.Fatalf("first body instruction %v: symbol %q, source %v", got, got.Symbol(), got.Source())
	}
	if len(out) != len(insns)-2+len(p.L2) {
		t.Fatalf("%d instructions, want %d", len(out), len(insns)-2+len(p.L2))
	}
	for i := range start {
		if out[i].OpCode != insns[i].OpCode || out[i].Symbol() != insns[i].Symbol() {
			t.Fatalf("instruction %d changed: %v -> %v", i, insns[i], out[i])
		}
	}
	tail := out[len(out)-2:]
	if tail[0].Symbol() != FuncL3 {
		t.Fatalf("the next function moved: %v", tail)
	}
	for _, ins := range out[start+1 : len(out)-2] {
		if ins.Symbol() != "" || ins.Reference() != "" {
			t.Fatalf("generated body carries symbol %q / reference %q", ins.Symbol(), ins.Reference())
		}
	}
	if _, err := replaceBody(insns, "nope", p.L2); err == nil {
		t.Fatal("replacing a missing function succeeded")
	}
}
