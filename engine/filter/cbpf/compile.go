package cbpf

import (
	"errors"
	"fmt"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcap"
	"golang.org/x/net/bpf"
)

// LinkType selects the header libpcap assumes a packet starts with.
type LinkType int

const (
	// Ethernet (DLT_EN10MB): packets start with an Ethernet header.
	Ethernet LinkType = LinkType(layers.LinkTypeEthernet)
	// Raw (DLT_RAW, 12 on Linux; pcap files call it LINKTYPE_RAW, 101):
	// packets start with an IPv4 or IPv6 header.
	Raw LinkType = 12
)

func (l LinkType) String() string {
	switch l {
	case Ethernet:
		return "DLT_EN10MB"
	case Raw:
		return "DLT_RAW"
	}
	return fmt.Sprintf("link type %d", int(l))
}

const (
	// MaxInstructions is the longest program accepted, the kernel's limit
	// for classic BPF (BPF_MAXINSNS).
	MaxInstructions = 4096
	// SnapLen is the capture length given to libpcap: a matching packet
	// makes the program return it.
	SnapLen = 262144
)

var (
	// ErrTooLarge is returned for programs longer than MaxInstructions.
	ErrTooLarge = errors.New("filter program too large")
	// ErrUnsupported is returned for instructions this package cannot run.
	ErrUnsupported = errors.New("unsupported cBPF instruction")
)

// Compile compiles expr, in pcap-filter(7) syntax, for link with libpcap's
// optimizer on. Errors carry libpcap's own message.
func Compile(expr string, link LinkType) ([]bpf.RawInstruction, error) {
	insns, err := compile(expr, link)
	if err != nil {
		return nil, fmt.Errorf("pcap-filter %q (%s): %w", expr, link, err)
	}
	if len(insns) > MaxInstructions {
		return nil, fmt.Errorf("pcap-filter %q (%s) compiles to %d cBPF instructions, more than the %d allowed; simplify the expression: %w",
			expr, link, len(insns), MaxInstructions, ErrTooLarge)
	}
	raw := make([]bpf.RawInstruction, len(insns))
	for i, ins := range insns {
		raw[i] = bpf.RawInstruction{Op: ins.Code, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	return raw, nil
}

func compile(expr string, link LinkType) (insns []pcap.BPFInstruction, err error) {
	// gopacket copies the program through a fixed-size array view and
	// panics on programs longer than it; those are far past our limit.
	defer func() {
		if r := recover(); r != nil {
			insns, err = nil, fmt.Errorf("program longer than libpcap's copy buffer (%v): %w", r, ErrTooLarge)
		}
	}()
	return pcap.CompileBPFFilter(layers.LinkType(link), SnapLen, expr)
}
