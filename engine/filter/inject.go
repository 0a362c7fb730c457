package filter

import (
	"fmt"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"

	"github.com/retis-go/retis/engine/filter/meta"
)

// Names of the placeholder subprograms in probe programs. Each returns
// non-zero on match; the default body matches everything:
//
//	int retis_filter_l2(void *data, unsigned int len);   // from the Ethernet header
//	int retis_filter_l3(void *data, unsigned int len);   // from the network header
//	int retis_filter_meta(struct sk_buff *skb);
//
// data is a kernel address (a scalar to the verifier, e.g. skb->head +
// skb->mac_header) and len the bytes readable from it (the linear data:
// skb->tail - skb->mac_header); pcap-filter's len, greater and less see
// that length. A probe takes the L2 filter when the mac header is set, the
// L3 one when only the network header is, and needs both the packet and
// the meta filter to pass.
//
// They must be static __noinline functions whose body the compiler cannot
// see through, or it would propagate the constant result or drop unused
// arguments:
//
//	static __noinline int retis_filter_l2(void *data, unsigned int len)
//	{
//		int ret;
//
//		asm volatile("%0 = 1" : "=r"(ret) : "r"(data), "r"(len));
//		return ret;
//	}
//
// testdata/probe.bpf.c is a complete example. Generated bodies use up to
// 136 (packet) or 48 (meta) bytes of stack on top of the caller's.
const (
	FuncL2   = "retis_filter_l2"
	FuncL3   = "retis_filter_l3"
	FuncMeta = "retis_filter_meta"
)

// Filters holds what the probe programs must filter on. A nil part keeps
// the placeholder's default body.
type Filters struct {
	Packet *Packet
	Meta   *meta.Filter
}

// Compile builds the filters of a collection from a pcap-filter expression
// (-f) and a meta filter (-m), each optional (""); types is only used for a
// meta filter.
func Compile(packetExpr, metaExpr string, types meta.Types) (*Filters, error) {
	var f Filters
	var err error
	if packetExpr != "" {
		if f.Packet, err = CompilePacket(packetExpr); err != nil {
			return nil, err
		}
	}
	if metaExpr != "" {
		if f.Meta, err = meta.Compile(metaExpr, types); err != nil {
			return nil, err
		}
	}
	return &f, nil
}

// Patch replaces the bodies of the placeholder subprograms in spec by the
// generated code, leaving the rest of the program untouched. The function's
// symbol, BTF and first line info move to the new body. Each part set in f
// needs its placeholder in spec (ErrNoPlaceholder otherwise).
func (f *Filters) Patch(spec *ebpf.ProgramSpec) error {
	type part struct {
		fn   string
		body asm.Instructions
	}
	var parts []part
	if f.Packet != nil {
		parts = append(parts, part{FuncL2, f.Packet.L2}, part{FuncL3, f.Packet.L3})
	}
	if f.Meta != nil {
		parts = append(parts, part{FuncMeta, f.Meta.Instructions})
	}
	insns := spec.Instructions
	for _, p := range parts {
		var err error
		if insns, err = replaceBody(insns, p.fn, p.body); err != nil {
			return fmt.Errorf("patch program %s: %w", spec.Name, err)
		}
	}
	spec.Instructions = insns
	return nil
}

// replaceBody returns insns with the function named fn (from its symbol to
// the next symbol) replaced by body.
func replaceBody(insns asm.Instructions, fn string, body asm.Instructions) (asm.Instructions, error) {
	if len(body) == 0 {
		return nil, fmt.Errorf("%s: empty body", fn)
	}
	start := -1
	for i, ins := range insns {
		if ins.Symbol() == fn {
			start = i
			break
		}
	}
	if start < 0 {
		return nil, fmt.Errorf("%s: %w", fn, ErrNoPlaceholder)
	}
	end := start + 1
	for end < len(insns) && insns[end].Symbol() == "" {
		end++
	}

	old := insns[start]
	first := body[0].WithSymbol(fn).WithSource(old.Source())
	if fnInfo := btf.FuncMetadata(&old); fnInfo != nil {
		first = btf.WithFuncMetadata(first, fnInfo)
	}

	out := make(asm.Instructions, 0, len(insns)-(end-start)+len(body))
	out = append(out, insns[:start]...)
	out = append(out, first)
	out = append(out, body[1:]...)
	out = append(out, insns[end:]...)
	return out, nil
}
