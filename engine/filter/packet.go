package filter

import (
	"fmt"
	"regexp"

	"github.com/cilium/ebpf/asm"

	"github.com/retis-go/retis/engine/filter/cbpf"
)

// Packet is a pcap-filter expression compiled into the bodies of the L2 and
// L3 placeholder subprograms.
type Packet struct {
	// Expr is the expression as given.
	Expr string
	// L2 runs on packets from their Ethernet header (DLT_EN10MB).
	L2 asm.Instructions
	// L3 runs on packets from their network header (DLT_RAW), used when
	// the mac header is not set. When libpcap cannot express the filter at
	// L3, it rejects every packet and L3Skipped says why.
	L3        asm.Instructions
	L3Skipped error
}

// A DLT_RAW program would read the network header where the expression
// means link-layer bytes.
var linkBytes = regexp.MustCompile(`\b(ether|link)\s*\[`)

// CompilePacket compiles expr (pcap-filter(7) syntax) with libpcap and
// translates it to eBPF. The L2 program must compile; an invalid expression
// gives libpcap's message. The L3 program is optional (see Packet.L3Skipped).
func CompilePacket(expr string) (*Packet, error) {
	l2, err := compileLink(expr, cbpf.Ethernet)
	if err != nil {
		return nil, err
	}
	p := &Packet{Expr: expr, L2: l2}
	if linkBytes.MatchString(expr) {
		p.L3Skipped = fmt.Errorf("expression reads link-layer bytes (ether[] or link[]), which packets without a mac header do not have")
	} else if p.L3, err = compileLink(expr, cbpf.Raw); err != nil {
		p.L3Skipped = err
	}
	if p.L3Skipped != nil {
		p.L3 = rejectAll()
	}
	return p, nil
}

func compileLink(expr string, link cbpf.LinkType) (asm.Instructions, error) {
	raw, err := cbpf.Compile(expr, link)
	if err != nil {
		return nil, err
	}
	insns, err := translate(raw)
	if err != nil {
		return nil, fmt.Errorf("pcap-filter %q (%s): translate to eBPF: %w", expr, link, err)
	}
	return insns, nil
}

func rejectAll() asm.Instructions {
	return asm.Instructions{asm.Mov.Imm32(asm.R0, 0), asm.Return()}
}

// Summary is the line to log once the filter is in place:
// "L2+L3 packet filter(s) loaded", or "L2 packet filter(s) loaded" when
// L3Skipped is set (worth logging at debug level).
func (p *Packet) Summary() string {
	if p.L3Skipped != nil {
		return "L2 packet filter(s) loaded"
	}
	return "L2+L3 packet filter(s) loaded"
}
