package meta

import (
	"encoding/binary"

	"github.com/cilium/ebpf/asm"

	"github.com/retis-go/retis/engine/filter/internal/builder"
)

// Registers and stack of the generated body. R6 and R7 survive helper
// calls.
const (
	regSkb  = asm.R6 // the sk_buff, the root of every field
	regBase = asm.R7 // the struct the next read is relative to
	numOff  = -8     // a number or pointer read
	strOff  = -48    // a string read, up to maxString+2 bytes
)

const (
	matchLabel   = "match"
	noMatchLabel = "nomatch"
)

type gen struct {
	b *builder.Builder
}

// emit returns the body: R1 is the sk_buff, R0 is 1 on match, 0 otherwise.
func emit(root node, checks map[*comparison]*check) (asm.Instructions, error) {
	g := &gen{b: builder.New()}
	b := g.b
	b.Emit(asm.Mov.Reg(regSkb, asm.R1))
	b.Jump(asm.JEq.Imm(regSkb, 0, ""), noMatchLabel)
	g.node(root, checks, matchLabel, noMatchLabel)
	b.Mark(matchLabel)
	b.Emit(asm.Mov.Imm(asm.R0, 1), asm.Return())
	b.Mark(noMatchLabel)
	b.Emit(asm.Mov.Imm(asm.R0, 0), asm.Return())
	return b.Assemble()
}

// node emits n, continuing at yes when it holds and at no otherwise.
func (g *gen) node(n node, checks map[*comparison]*check, yes, no string) {
	switch n := n.(type) {
	case *logical:
		mid := g.b.Fresh("rhs")
		if n.and {
			g.node(n.l, checks, mid, no)
		} else {
			g.node(n.l, checks, yes, mid)
		}
		g.b.Mark(mid)
		g.node(n.r, checks, yes, no)
	case *negation:
		g.node(n.x, checks, no, yes)
	case *comparison:
		g.check(checks[n], yes, no)
	}
}

// read emits bpf_probe_read_kernel(fp+dst, size, base+off); a failed read
// goes to fail.
func (g *gen) read(dst int16, size int32, off uint32, fail string) {
	g.b.Emit(
		asm.Mov.Reg(asm.R1, asm.RFP),
		asm.Add.Imm(asm.R1, int32(dst)),
		asm.Mov.Imm(asm.R2, size),
		asm.Mov.Reg(asm.R3, regBase),
	)
	if off != 0 {
		g.b.Emit(asm.Add.Imm(asm.R3, int32(off)))
	}
	g.b.Emit(asm.FnProbeReadKernel.Call())
	g.b.Jump(asm.JNE.Imm(asm.R0, 0, ""), fail)
}

var sizes = map[int]asm.Size{1: asm.Byte, 2: asm.Half, 4: asm.Word, 8: asm.DWord}

var (
	unsignedJumps = map[string]asm.JumpOp{"==": asm.JEq, "!=": asm.JNE, "<": asm.JLT, "<=": asm.JLE, ">": asm.JGT, ">=": asm.JGE}
	signedJumps   = map[string]asm.JumpOp{"==": asm.JEq, "!=": asm.JNE, "<": asm.JSLT, "<=": asm.JSLE, ">": asm.JSGT, ">=": asm.JSGE}
)

// check emits one comparison. A failed read is no match, whatever the
// operator.
func (g *gen) check(c *check, yes, no string) {
	b := g.b
	b.Emit(asm.Mov.Reg(regBase, regSkb))
	for _, h := range c.hops {
		g.read(numOff, 8, h.off, no)
		b.Emit(asm.LoadMem(regBase, asm.RFP, numOff, asm.DWord))
		if h.hasMask {
			b.Emit(asm.LoadImm(asm.R1, int64(h.mask), asm.DWord), asm.And.Reg(regBase, asm.R1))
		}
		b.Jump(asm.JEq.Imm(regBase, 0, ""), no)
	}

	lf := c.leaf
	switch lf.kind {
	case kNumber:
		g.read(numOff, int32(lf.size), lf.off, no)
		b.Emit(asm.LoadMem(asm.R0, asm.RFP, numOff, sizes[lf.size]))
		if lf.lsh != 0 {
			b.Emit(asm.LSh.Imm(asm.R0, int32(lf.lsh)))
		}
		if lf.rsh != 0 {
			if lf.signed {
				b.Emit(asm.ArSh.Imm(asm.R0, int32(lf.rsh)))
			} else {
				b.Emit(asm.RSh.Imm(asm.R0, int32(lf.rsh)))
			}
		}
		if lf.hasMask {
			b.Emit(asm.LoadImm(asm.R1, int64(lf.mask), asm.DWord), asm.And.Reg(asm.R0, asm.R1))
		}
		jumps := unsignedJumps
		if lf.signed {
			jumps = signedJumps
		}
		b.Emit(asm.LoadImm(asm.R1, int64(c.value), asm.DWord))
		b.Jump(jumps[c.op].Reg(asm.R0, asm.R1, ""), yes)
		b.Goto(no)

	case kCharArray:
		equal, differ := yes, no
		if c.op == "!=" {
			equal, differ = no, yes
		}
		// The string and its NUL, unless it fills the array.
		want := append([]byte(c.str), 0)[:min(len(c.str)+1, lf.arrayLen)]
		if len(want) == 0 {
			// char x[0] == "": nothing to read.
			b.Goto(equal)
			return
		}
		g.read(strOff, int32(len(want)), lf.off, no)
		g.compare(want, differ)
		b.Goto(equal)

	case kCharPtr:
		equal, differ := yes, no
		if c.op == "!=" {
			equal, differ = no, yes
		}
		g.read(numOff, 8, lf.off, no)
		b.Emit(asm.LoadMem(asm.R3, asm.RFP, numOff, asm.DWord))
		b.Jump(asm.JEq.Imm(asm.R3, 0, ""), no)
		// Room for one byte more than the string and its NUL: a longer
		// string then returns more than len+1.
		b.Emit(
			asm.Mov.Reg(asm.R1, asm.RFP),
			asm.Add.Imm(asm.R1, strOff),
			asm.Mov.Imm(asm.R2, int32(len(c.str)+2)),
			asm.FnProbeReadKernelStr.Call(),
		)
		b.Jump(asm.JSLT.Imm(asm.R0, 0, ""), no)
		b.Jump(asm.JNE.Imm(asm.R0, int32(len(c.str)+1), ""), differ)
		g.compare([]byte(c.str), differ)
		b.Goto(equal)
	}
}

// compare jumps to differ unless the bytes at fp+strOff are want. Reads
// are aligned, as the verifier wants for the stack.
func (g *gen) compare(want []byte, differ string) {
	for o := 0; o < len(want); {
		n := 8
		for n > len(want)-o {
			n /= 2
		}
		chunk := want[o : o+n]
		g.b.Emit(asm.LoadMem(asm.R0, asm.RFP, int16(strOff+o), sizes[n]))
		switch n {
		case 8:
			g.b.Emit(asm.LoadImm(asm.R1, int64(binary.NativeEndian.Uint64(chunk)), asm.DWord))
			g.b.Jump(asm.JNE.Reg(asm.R0, asm.R1, ""), differ)
		case 4:
			g.b.Jump(asm.JNE.Imm32(asm.R0, int32(binary.NativeEndian.Uint32(chunk)), ""), differ)
		case 2:
			g.b.Jump(asm.JNE.Imm32(asm.R0, int32(binary.NativeEndian.Uint16(chunk)), ""), differ)
		case 1:
			g.b.Jump(asm.JNE.Imm32(asm.R0, int32(chunk[0]), ""), differ)
		}
		o += n
	}
}
