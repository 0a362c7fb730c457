package filter

import (
	"fmt"
	"math"

	"github.com/cilium/ebpf/asm"
	"golang.org/x/net/bpf"

	"github.com/retis-go/retis/engine/filter/internal/builder"
)

// Registers of generated packet filter bodies. A and X, the classic
// machine's registers, and the two arguments live in callee-saved registers
// so they survive helper calls; R0–R5 are scratch.
const (
	regData = asm.R6 // kernel address of the first packet byte
	regLen  = asm.R7 // readable bytes from regData, zero-extended
	regA    = asm.R8
	regX    = asm.R9
)

// Stack layout of generated packet filter bodies, below the frame pointer.
// The first bufSize packet bytes are copied once into buf; loads inside it
// are plain stack loads, loads past it go through bpf_probe_read_kernel
// into tmp. The scratch memory M[] is touched only by programs using it, so
// others keep a 72-byte frame.
const (
	tmpOff     = -8
	bufSize    = 64
	bufOff     = tmpOff - bufSize // packet byte i is at fp+bufOff+i
	scratchOff = bufOff - 16*4    // M[k] is at fp+scratchOff+4k
)

const rejectLabel = "reject"

// Classic BPF opcode fields (linux/filter.h).
const (
	clsLD, clsLDX, clsST, clsSTX, clsALU, clsJMP, clsRET, clsMISC = 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07

	szW, szH, szB = 0x00, 0x08, 0x10

	mIMM, mABS, mIND, mMEM, mLEN, mMSH = 0x00, 0x20, 0x40, 0x60, 0x80, 0xa0

	srcK, srcX = 0x00, 0x08

	aluADD, aluSUB, aluMUL, aluDIV, aluOR, aluAND, aluLSH, aluRSH, aluNEG, aluMOD, aluXOR = 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0

	jA, jEQ, jGT, jGE, jSET = 0x00, 0x10, 0x20, 0x30, 0x40

	retK, retA = 0x00, 0x10

	miscTAX, miscTXA = 0x00, 0x80
)

// translator turns one classic program into the body of a subprogram
// int f(void *data, unsigned int len) returning the classic program's
// result: non-zero on match.
type translator struct {
	prog  []bpf.RawInstruction
	reach []bool
	// fill is how many leading packet bytes are copied to the stack.
	fill     int
	indirect bool
	scratch  [16]bool // M[k] read somewhere
	b        *builder.Builder
	rejected bool
}

// translate converts a classic BPF program (as produced by libpcap) to an
// eBPF subprogram body with the same verdict on the same bytes:
//   - loads are bounded by len; out-of-range loads end the program with 0;
//   - division or modulo by zero ends the program with 0;
//   - shifts by 32 or more give 0 (x/net/bpf's VM, the reference for our
//     tests and userspace filtering, does this; C shifts are undefined);
//   - A, X and M[] start at zero.
func translate(prog []bpf.RawInstruction) (asm.Instructions, error) {
	t := &translator{prog: prog, reach: make([]bool, len(prog)), b: builder.New()}
	if err := t.analyze(); err != nil {
		return nil, err
	}
	t.prologue()
	for i, ins := range prog {
		if !t.reach[i] {
			continue
		}
		t.b.Mark(label(i))
		t.emit(i, ins)
	}
	if t.rejected {
		t.b.Mark(rejectLabel)
		t.b.Emit(asm.Mov.Imm32(asm.R0, 0), asm.Return())
	}
	return t.b.Assemble()
}

func label(i int) string { return fmt.Sprintf("c%d", i) }

func loadSize(op uint16) int {
	switch op & 0x18 {
	case szW:
		return 4
	case szH:
		return 2
	case szB:
		return 1
	}
	return 0
}

// analyze validates the program, finds reachable instructions (the
// verifier refuses unreachable code) and sizes the stack copy.
func (t *translator) analyze() error {
	n := len(t.prog)
	if n == 0 {
		return fmt.Errorf("empty cBPF program")
	}
	t.reach[0] = true
	var maxEnd uint64
	var indirect bool
	for i, ins := range t.prog {
		if !t.reach[i] {
			continue
		}
		bad := func(why string) error {
			return fmt.Errorf("cBPF instruction %d (%#04x, k=%d): %s", i, ins.Op, ins.K, why)
		}
		next := []int{i + 1}
		op := ins.Op
		switch op & 0x07 {
		case clsLD, clsLDX:
			mode, size := op&0xe0, loadSize(op)
			switch {
			case op&0x07 == clsLD && (mode == mABS || mode == mIND) && size != 0:
				if mode == mIND {
					indirect = true
				} else if end := uint64(ins.K) + uint64(size); end <= bufSize {
					maxEnd = max(maxEnd, end)
				}
			case op == clsLDX|mMSH|szB:
				if end := uint64(ins.K) + 1; end <= bufSize {
					maxEnd = max(maxEnd, end)
				}
			case size == 4 && (mode == mIMM || mode == mLEN):
			case size == 4 && mode == mMEM:
				if ins.K >= 16 {
					return bad("scratch memory index past M[15]")
				}
				t.scratch[ins.K] = true
			default:
				return bad("unknown load")
			}
		case clsST, clsSTX:
			if op&^0x07 != 0 {
				return bad("unknown store")
			}
			if ins.K >= 16 {
				return bad("scratch memory index past M[15]")
			}
		case clsALU:
			switch op & 0xf0 {
			case aluADD, aluSUB, aluMUL, aluDIV, aluOR, aluAND, aluLSH, aluRSH, aluMOD, aluXOR, aluNEG:
			default:
				return bad("unknown ALU operation")
			}
		case clsJMP:
			switch op & 0xf0 {
			case jA:
				if uint64(i)+1+uint64(ins.K) >= uint64(n) {
					return bad("jump past the end")
				}
				next = []int{i + 1 + int(ins.K)}
			case jEQ, jGT, jGE, jSET:
				next = []int{i + 1 + int(ins.Jt), i + 1 + int(ins.Jf)}
			default:
				return bad("unknown jump")
			}
		case clsRET:
			if op != clsRET|retK && op != clsRET|retA {
				return bad("unknown return")
			}
			next = nil
		case clsMISC:
			if op != clsMISC|miscTAX && op != clsMISC|miscTXA {
				return bad("unknown operation")
			}
		}
		for _, j := range next {
			if j >= n {
				return bad("execution runs past the end of the program")
			}
			t.reach[j] = true
		}
	}
	t.fill = int(maxEnd)
	if indirect {
		t.fill, t.indirect = bufSize, true
	}
	return nil
}

func (t *translator) reject(ins asm.Instruction) {
	t.rejected = true
	t.b.Jump(ins, rejectLabel)
}

func (t *translator) prologue() {
	b := t.b
	b.Emit(
		asm.Mov.Reg(regData, asm.R1),
		asm.Mov.Reg32(regLen, asm.R2),
		asm.Mov.Imm32(regA, 0),
		asm.Mov.Imm32(regX, 0),
	)
	for k, used := range t.scratch {
		if used {
			b.Emit(asm.StoreImm(asm.RFP, int16(scratchOff+4*k), 0, asm.Word))
		}
	}
	if t.fill == 0 {
		return
	}
	if t.indirect {
		// With the mask in loadInd, the verifier sees indirect reads
		// reaching 3 bytes past the copy, into tmp: make it initialized.
		b.Emit(asm.StoreImm(asm.RFP, tmpOff, 0, asm.Word), asm.StoreImm(asm.RFP, tmpOff+4, 0, asm.Word))
	}
	// Copy min(len, fill) bytes. Packets are usually longer than fill:
	// read a constant size. Shorter ones read len bytes, a size the
	// verifier must see bounded; before 6.x it also wants the destination
	// initialized when the size is not a constant.
	short, copied := b.Fresh("short"), b.Fresh("copied")
	b.Emit(
		asm.Mov.Reg(asm.R1, asm.RFP),
		asm.Add.Imm(asm.R1, bufOff),
		asm.Mov.Reg(asm.R3, regData),
	)
	b.Jump(asm.JLT.Imm(regLen, int32(t.fill), ""), short)
	b.Emit(asm.Mov.Imm(asm.R2, int32(t.fill)), asm.FnProbeReadKernel.Call())
	b.Goto(copied)
	b.Mark(short)
	b.Emit(asm.Mov.Imm(asm.R2, 0))
	for off := 0; off < t.fill; off += 8 {
		b.Emit(asm.StoreMem(asm.RFP, int16(bufOff+off), asm.R2, asm.DWord))
	}
	b.Emit(asm.Mov.Reg(asm.R2, regLen), asm.FnProbeReadKernel.Call())
	b.Mark(copied)
	t.reject(asm.JNE.Imm(asm.R0, 0, ""))
}

func (t *translator) emit(i int, ins bpf.RawInstruction) {
	b := t.b
	op, k := ins.Op, ins.K
	switch op & 0x07 {
	case clsLD, clsLDX:
		dst := regA
		if op&0x07 == clsLDX {
			dst = regX
		}
		switch op & 0xe0 {
		case mABS:
			t.loadAbs(k, loadSize(op), regA)
		case mIND:
			t.loadInd(k, loadSize(op))
		case mMSH:
			t.loadAbs(k, 1, regX)
			b.Emit(asm.And.Imm32(regX, 0xf), asm.LSh.Imm32(regX, 2))
		case mIMM:
			b.Emit(asm.Mov.Imm32(dst, int32(k)))
		case mLEN:
			b.Emit(asm.Mov.Reg32(dst, regLen))
		case mMEM:
			b.Emit(asm.LoadMem(dst, asm.RFP, int16(scratchOff+4*int(k)), asm.Word))
		}
	case clsST:
		b.Emit(asm.StoreMem(asm.RFP, int16(scratchOff+4*int(k)), regA, asm.Word))
	case clsSTX:
		b.Emit(asm.StoreMem(asm.RFP, int16(scratchOff+4*int(k)), regX, asm.Word))
	case clsALU:
		t.alu(op, k)
	case clsJMP:
		t.jump(i, ins)
	case clsRET:
		if op == clsRET|retA {
			b.Emit(asm.Mov.Reg32(asm.R0, regA))
		} else {
			b.Emit(asm.Mov.Imm32(asm.R0, int32(k)))
		}
		b.Emit(asm.Return())
	case clsMISC:
		if op == clsMISC|miscTAX {
			b.Emit(asm.Mov.Reg32(regX, regA))
		} else {
			b.Emit(asm.Mov.Reg32(regA, regX))
		}
	}
}

var aluOps = map[uint16]asm.ALUOp{
	aluADD: asm.Add, aluSUB: asm.Sub, aluMUL: asm.Mul, aluDIV: asm.Div, aluOR: asm.Or,
	aluAND: asm.And, aluLSH: asm.LSh, aluRSH: asm.RSh, aluMOD: asm.Mod, aluXOR: asm.Xor,
}

func (t *translator) alu(op uint16, k uint32) {
	b := t.b
	code := op & 0xf0
	if code == aluNEG {
		b.Emit(asm.Neg.Imm32(regA, 0))
		return
	}
	aop := aluOps[code]
	if op&srcX == srcK {
		switch {
		case (code == aluDIV || code == aluMOD) && k == 0:
			// libpcap refuses this; keep the CFG free of dead code anyway.
			b.Emit(asm.Mov.Imm32(asm.R1, 0))
			t.reject(asm.JEq.Imm(asm.R1, 0, ""))
		case (code == aluLSH || code == aluRSH) && k >= 32:
			b.Emit(asm.Mov.Imm32(regA, 0))
		default:
			b.Emit(aop.Imm32(regA, int32(k)))
		}
		return
	}
	switch code {
	case aluDIV, aluMOD:
		t.reject(asm.JEq.Imm32(regX, 0, ""))
		b.Emit(aop.Reg32(regA, regX))
	case aluLSH, aluRSH:
		shift, done := b.Fresh("shift"), b.Fresh("shifted")
		b.Jump(asm.JLT.Imm32(regX, 32, ""), shift)
		b.Emit(asm.Mov.Imm32(regA, 0))
		b.Goto(done)
		b.Mark(shift)
		b.Emit(aop.Reg32(regA, regX))
		b.Mark(done)
	default:
		b.Emit(aop.Reg32(regA, regX))
	}
}

var (
	jumpOps    = map[uint16]asm.JumpOp{jEQ: asm.JEq, jGT: asm.JGT, jGE: asm.JGE, jSET: asm.JSet}
	negatedOps = map[uint16]asm.JumpOp{jEQ: asm.JNE, jGT: asm.JLE, jGE: asm.JLT}
)

func (t *translator) jump(i int, ins bpf.RawInstruction) {
	b := t.b
	code := ins.Op & 0xf0
	if code == jA {
		b.Goto(label(i + 1 + int(ins.K)))
		return
	}
	tr, fa := i+1+int(ins.Jt), i+1+int(ins.Jf)
	if tr == fa {
		b.Goto(label(tr))
		return
	}
	cond := func(op asm.JumpOp) asm.Instruction {
		if ins.Op&srcX == srcX {
			return op.Reg32(regA, regX, "")
		}
		return op.Imm32(regA, int32(ins.K), "")
	}
	neg, hasNeg := negatedOps[code]
	switch {
	case fa == i+1:
		b.Jump(cond(jumpOps[code]), label(tr))
	case tr == i+1 && hasNeg:
		b.Jump(cond(neg), label(fa))
	default:
		b.Jump(cond(jumpOps[code]), label(tr))
		b.Goto(label(fa))
	}
}

var sizes = map[int]asm.Size{1: asm.Byte, 2: asm.Half, 4: asm.Word}

// loadAbs loads size bytes at constant offset k into dst, big-endian.
func (t *translator) loadAbs(k uint32, size int, dst asm.Register) {
	b := t.b
	end := uint64(k) + uint64(size)
	if end <= uint64(t.fill) {
		// In the stack copy, which holds min(len, fill) bytes.
		t.reject(asm.JLT.Imm(regLen, int32(end), ""))
		t.fromStack(asm.RFP, bufOff+int16(k), size, dst, int(k)%size == 0)
		return
	}
	if end <= math.MaxInt32 {
		t.reject(asm.JLT.Imm(regLen, int32(end), ""))
	} else {
		b.Emit(asm.Mov.Imm32(asm.R1, int32(k)), asm.Add.Imm(asm.R1, int32(size)))
		t.reject(asm.JGT.Reg(asm.R1, regLen, ""))
	}
	b.Emit(asm.Mov.Reg(asm.R3, regData))
	if k <= math.MaxInt32 {
		b.Emit(asm.Add.Imm(asm.R3, int32(k)))
	} else {
		b.Emit(asm.Mov.Imm32(asm.R1, int32(k)), asm.Add.Reg(asm.R3, asm.R1))
	}
	t.probeRead(size, dst)
}

// loadInd loads size bytes at X+k into A, big-endian.
func (t *translator) loadInd(k uint32, size int) {
	b := t.b
	// R1 = X + k without 32-bit wrap-around, as libpcap and x/net/bpf.
	b.Emit(asm.Mov.Reg(asm.R1, regX))
	switch {
	case k == 0:
	case k <= math.MaxInt32:
		b.Emit(asm.Add.Imm(asm.R1, int32(k)))
	default:
		b.Emit(asm.Mov.Imm32(asm.R2, int32(k)), asm.Add.Reg(asm.R1, asm.R2))
	}
	b.Emit(asm.Mov.Reg(asm.R2, asm.R1), asm.Add.Imm(asm.R2, int32(size)))
	t.reject(asm.JGT.Reg(asm.R2, regLen, ""))

	slow, done := b.Fresh("slow"), b.Fresh("loaded")
	if uint64(k)+uint64(size) <= uint64(t.fill) {
		// R1 <= fill-size, and R1+size <= len: inside the stack copy.
		// The mask changes nothing at run time; it bounds R1 for
		// verifiers (6.12) that explore this branch with contradictory
		// bounds when it cannot be taken, which makes them forget R1's
		// range. fill is bufSize here, a power of two.
		b.Jump(asm.JGT.Imm(asm.R1, int32(t.fill-size), ""), slow)
		b.Emit(
			asm.And.Imm(asm.R1, bufSize-1),
			asm.Mov.Reg(asm.R2, asm.RFP),
			asm.Add.Reg(asm.R2, asm.R1),
		)
		t.fromStack(asm.R2, bufOff, size, regA, false)
		b.Goto(done)
	}
	b.Mark(slow)
	b.Emit(asm.Mov.Reg(asm.R3, regData), asm.Add.Reg(asm.R3, asm.R1))
	t.probeRead(size, regA)
	b.Mark(done)
}

// probeRead reads size bytes at R3 into dst, big-endian; a failed read
// ends the program with 0.
func (t *translator) probeRead(size int, dst asm.Register) {
	t.b.Emit(
		asm.Mov.Reg(asm.R1, asm.RFP),
		asm.Add.Imm(asm.R1, tmpOff),
		asm.Mov.Imm(asm.R2, int32(size)),
		asm.FnProbeReadKernel.Call(),
	)
	t.reject(asm.JNE.Imm(asm.R0, 0, ""))
	t.b.Emit(asm.LoadMem(dst, asm.RFP, tmpOff, sizes[size]))
	if size > 1 {
		t.b.Emit(asm.HostTo(asm.BE, dst, sizes[size]))
	}
}

// fromStack loads size big-endian bytes at base+off into dst. The verifier
// wants stack accesses aligned, so unaligned (or unknown) offsets are read
// byte by byte.
func (t *translator) fromStack(base asm.Register, off int16, size int, dst asm.Register, aligned bool) {
	b := t.b
	if aligned || size == 1 {
		b.Emit(asm.LoadMem(dst, base, off, sizes[size]))
		if size > 1 {
			b.Emit(asm.HostTo(asm.BE, dst, sizes[size]))
		}
		return
	}
	b.Emit(asm.LoadMem(dst, base, off, asm.Byte))
	for j := 1; j < size; j++ {
		b.Emit(
			asm.LSh.Imm32(dst, 8),
			asm.LoadMem(asm.R4, base, off+int16(j), asm.Byte),
			asm.Or.Reg32(dst, asm.R4),
		)
	}
}
