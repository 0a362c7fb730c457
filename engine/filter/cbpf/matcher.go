package cbpf

import (
	"fmt"
	"math"

	"golang.org/x/net/bpf"

	"github.com/retis-go/retis/engine/events"
)

// lenPrefix is the room taken in front of the packet by its wire length
// when a program reads it (see PacketMatcher).
const lenPrefix = 4

// PacketMatcher runs a pcap-filter expression over the packet section of
// events, with libpcap's semantics. It is safe for concurrent use.
//
// Events hold at most the first bytes of a packet, while pcap-filter's
// len (and greater/less) mean the length on the wire, as tcpdump reads it
// from a pcap file. x/net/bpf's VM only knows the bytes it is given, so a
// program that reads len gets a second form that finds the wire length in
// four bytes put in front of the packet, all its packet offsets moved by
// four; it runs when the capture is shorter than the packet.
type PacketMatcher struct {
	expr string
	vm   *bpf.VM
	// wire is nil unless the program reads the packet length.
	wire *bpf.VM
}

// NewPacketMatcher compiles expr for Ethernet frames (events' packets
// always start with an Ethernet header, real or made up by the collector).
func NewPacketMatcher(expr string) (*PacketMatcher, error) {
	raw, err := Compile(expr, Ethernet)
	if err != nil {
		return nil, err
	}
	return newMatcher(expr, raw)
}

func newMatcher(expr string, raw []bpf.RawInstruction) (*PacketMatcher, error) {
	m := &PacketMatcher{expr: expr}
	insns, readsLen, err := vmInstructions(raw, false)
	if err != nil {
		return nil, fmt.Errorf("pcap-filter %q: %w", expr, err)
	}
	if m.vm, err = bpf.NewVM(insns); err != nil {
		return nil, fmt.Errorf("pcap-filter %q: %w", expr, err)
	}
	if readsLen {
		insns, _, err = vmInstructions(raw, true)
		if err != nil {
			return nil, fmt.Errorf("pcap-filter %q: %w", expr, err)
		}
		if m.wire, err = bpf.NewVM(insns); err != nil {
			return nil, fmt.Errorf("pcap-filter %q: %w", expr, err)
		}
	}
	return m, nil
}

// String returns the expression the matcher was built from.
func (m *PacketMatcher) String() string { return m.expr }

// Match reports whether e has a packet section matching the expression.
func (m *PacketMatcher) Match(e *events.Event) bool {
	if e == nil || e.Packet == nil {
		return false
	}
	return m.MatchData(e.Packet.Data, e.Packet.Len)
}

// MatchData reports whether a packet starting with an Ethernet header, of
// which data are the first bytes and wireLen the full length, matches.
// A wireLen of zero means len(data).
func (m *PacketMatcher) MatchData(data []byte, wireLen uint32) bool {
	if m.wire == nil || wireLen == 0 || int(wireLen) == len(data) {
		n, err := m.vm.Run(data)
		return err == nil && n != 0
	}
	buf := make([]byte, lenPrefix+len(data))
	buf[0], buf[1], buf[2], buf[3] = byte(wireLen>>24), byte(wireLen>>16), byte(wireLen>>8), byte(wireLen)
	copy(buf[lenPrefix:], data)
	n, err := m.wire.Run(buf)
	return err == nil && n != 0
}

// vmInstructions converts a libpcap program for x/net/bpf's VM, reporting
// whether it reads the packet length. With prefixed set, packet offsets move
// by lenPrefix and the length is read from the prefix.
//
// Some decodings are done here rather than by RawInstruction.Disassemble:
// absolute loads past 0xfffff000 are plain (always out of range) loads for
// libpcap, not Linux ancillary data, and the VM has no negation, which is
// multiplication by 2^32-1 modulo 2^32.
func vmInstructions(raw []bpf.RawInstruction, prefixed bool) ([]bpf.Instruction, bool, error) {
	shift := func(k uint32) uint32 {
		if !prefixed {
			return k
		}
		if k > math.MaxUint32-lenPrefix {
			return math.MaxUint32 // out of range either way
		}
		return k + lenPrefix
	}
	var readsLen bool
	out := make([]bpf.Instruction, len(raw))
	for i, ri := range raw {
		class, mode := ri.Op&classMask, ri.Op&modeMask
		switch {
		case class == classLD && mode == modeABS && loadSize(ri.Op) != 0:
			out[i] = bpf.LoadAbsolute{Off: shift(ri.K), Size: loadSize(ri.Op)}
		case class == classLD && mode == modeIND && loadSize(ri.Op) != 0:
			out[i] = bpf.LoadIndirect{Off: shift(ri.K), Size: loadSize(ri.Op)}
		case ri.Op == classLDX|modeMSH|sizeB:
			out[i] = bpf.LoadMemShift{Off: shift(ri.K)}
		case ri.Op == classLD|modeLEN|sizeW:
			readsLen = true
			if prefixed {
				out[i] = bpf.LoadAbsolute{Off: 0, Size: lenPrefix}
			} else {
				out[i] = bpf.LoadExtension{Num: bpf.ExtLen}
			}
		case class == classALU && ri.Op&aluOpMask == aluNEG:
			out[i] = bpf.ALUOpConstant{Op: bpf.ALUOpMul, Val: math.MaxUint32}
		default:
			ins := ri.Disassemble()
			switch ins.(type) {
			case bpf.RawInstruction, bpf.LoadExtension:
				// ldx len is one: libpcap never emits it.
				return nil, false, fmt.Errorf("instruction %d (%#04x): %w", i, ri.Op, ErrUnsupported)
			}
			out[i] = ins
		}
	}
	return out, readsLen, nil
}
