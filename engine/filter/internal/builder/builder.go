// Package builder assembles eBPF instruction sequences whose jumps name local
// labels, and resolves those labels to raw offsets.
//
// Generated filter bodies replace a subprogram inside a larger program, where
// cilium/ebpf treats every symbol as a program-wide name. Resolving jumps here
// keeps the generated code free of symbols, so the only symbol a body carries
// is the one of the function it replaces.
package builder

import (
	"fmt"
	"math"

	"github.com/cilium/ebpf/asm"
)

// Builder accumulates instructions and label positions.
type Builder struct {
	insns  asm.Instructions
	labels map[string]int
	// jumps holds the index of every instruction that targets a label.
	jumps map[int]string
	n     int
}

// New returns an empty Builder.
func New() *Builder {
	return &Builder{labels: make(map[string]int), jumps: make(map[int]string)}
}

// Emit appends instructions that do not jump to a label.
func (b *Builder) Emit(insns ...asm.Instruction) {
	b.insns = append(b.insns, insns...)
}

// Jump appends a jump instruction (built with an asm.JumpOp helper, whose
// label argument is ignored) that continues at label when taken.
func (b *Builder) Jump(ins asm.Instruction, label string) {
	b.jumps[len(b.insns)] = label
	b.insns = append(b.insns, ins.WithReference(""))
}

// Goto appends an unconditional jump to label.
func (b *Builder) Goto(label string) {
	b.Jump(asm.Ja.Label(""), label)
}

// Mark binds label to the next instruction to be emitted.
func (b *Builder) Mark(label string) {
	b.labels[label] = len(b.insns)
}

// Fresh returns a label name not returned before, prefixed by hint.
func (b *Builder) Fresh(hint string) string {
	b.n++
	return fmt.Sprintf("%s.%d", hint, b.n)
}

// Len returns the number of instructions emitted so far.
func (b *Builder) Len() int { return len(b.insns) }

// Assemble resolves every label jump and returns the instructions.
// Jumps to the very next instruction are kept: they are harmless and keep
// label positions stable.
func (b *Builder) Assemble() (asm.Instructions, error) {
	// Raw offsets account for double-width instructions (64-bit immediates).
	raw := make([]int, len(b.insns)+1)
	for i, ins := range b.insns {
		raw[i+1] = raw[i] + int(ins.Size()/asm.InstructionSize)
	}
	out := make(asm.Instructions, len(b.insns))
	copy(out, b.insns)
	for i, label := range b.jumps {
		target, ok := b.labels[label]
		if !ok {
			return nil, fmt.Errorf("jump at %d to undefined label %q", i, label)
		}
		off := raw[target] - raw[i] - 1
		if off < math.MinInt16 || off > math.MaxInt16 {
			return nil, fmt.Errorf("jump at %d to %q spans %d instructions, more than an eBPF jump can reach", i, label, off)
		}
		out[i].Offset = int16(off)
	}
	return out, nil
}
