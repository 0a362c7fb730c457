// Package skb is the skb collector: the packet's first bytes and, on
// request, sk_buff metadata, reference counts and GSO state (bpf/skb.h).
package skb

import (
	"fmt"
	"strings"
	"unsafe"

	"github.com/retis-go/retis/bpf"
	"github.com/retis-go/retis/engine/collector"
	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/probe"
)

// Name is the collector's name.
const Name = "skb"

// Section kinds, also bits of the skb_sections constant.
const (
	secPacket  = uint8(bpf.ProbeSkbSectionSKB_SEC_PACKET)
	secVlan    = uint8(bpf.ProbeSkbSectionSKB_SEC_VLAN)
	secMeta    = uint8(bpf.ProbeSkbSectionSKB_SEC_META)
	secDataRef = uint8(bpf.ProbeSkbSectionSKB_SEC_DATA_REF)
	secGSO     = uint8(bpf.ProbeSkbSectionSKB_SEC_GSO)
)

// Collector is the skb collector.
type Collector struct {
	sections uint32
}

// New returns the collector reporting the given --skb-sections: meta,
// dataref, gso or all. The packet and offloaded VLAN tag are always
// reported; Retis's older names (eth, arp, ip, tcp, udp, icmp, packet,
// vlan, dev, ns) are accepted and change nothing, their data being in the
// packet or in other collectors.
func New(sections []string) (*Collector, error) {
	c := &Collector{sections: 1<<secPacket | 1<<secVlan}
	for _, s := range sections {
		switch strings.TrimSpace(s) {
		case "all":
			c.sections |= 1<<secMeta | 1<<secDataRef | 1<<secGSO
		case "meta":
			c.sections |= 1 << secMeta
		case "dataref":
			c.sections |= 1 << secDataRef
		case "gso":
			c.sections |= 1 << secGSO
		case "eth", "arp", "ip", "tcp", "udp", "icmp", "packet", "vlan", "dev", "ns", "":
		default:
			return nil, fmt.Errorf("unknown skb section %q (use meta, dataref, gso or all)", s)
		}
	}
	return c, nil
}

// Name implements collector.Collector.
func (*Collector) Name() string { return Name }

// Flag implements collector.Collector.
func (*Collector) Flag() uint32 { return uint32(bpf.ProbeCollectorBitCOLLECTOR_SKB) }

// Owner implements collector.Collector.
func (*Collector) Owner() uint8 { return uint8(bpf.ProbeSectionOwnerOWNER_SKB) }

// Init implements collector.Collector.
func (*Collector) Init(probe.Kernel) error { return nil }

// Probes implements collector.Collector.
func (*Collector) Probes() []string { return nil }

// Constants implements collector.Constants.
func (c *Collector) Constants() map[string]any {
	return map[string]any{"skb_sections": c.sections}
}

// packetHeader is the fixed start of struct skb_packet_event.
type packetHeader struct {
	Len        uint32
	CaptureLen uint32
	FakeEth    uint8
}

// scratch is what one event's skb sections decode into.
type scratch struct {
	skb     events.Skb
	packet  events.Packet
	data    [len(bpf.ProbeSkbPacketEvent{}.Packet)]byte
	vlan    events.SkbVlanAccel
	meta    events.SkbMeta
	dataRef events.SkbDataRef
	gso     events.SkbGSO
}

func skb(e *events.Event, sc *scratch) *events.Skb {
	if e.Skb == nil {
		e.Skb = &sc.skb
	}
	return e.Skb
}

// Decode implements collector.Collector.
func (c *Collector) Decode(kind uint8, data []byte, e *events.Event, s *collector.Scratch) error {
	sc := collector.Alloc[scratch](s, c.Owner())
	switch kind {
	case secPacket:
		// The section ends with the captured bytes rounded up (see
		// packet_section in bpf/skb.h), not the whole array.
		raw, err := collector.As[packetHeader](data)
		if err != nil {
			return err
		}
		bytes := data[unsafe.Offsetof(bpf.ProbeSkbPacketEvent{}.Packet):]
		n := min(int(raw.CaptureLen), len(bytes), len(sc.data))
		copy(sc.data[:], bytes[:n])
		sc.packet = events.Packet{Len: raw.Len, CaptureLen: uint32(n), Data: sc.data[:n:n]}
		e.Packet = &sc.packet
	case secVlan:
		raw, err := collector.As[bpf.ProbeSkbVlanEvent](data)
		if err != nil {
			return err
		}
		sc.vlan = events.SkbVlanAccel{
			Proto: raw.Proto,
			Pcp:   uint8(raw.Tci >> 13),
			Dei:   raw.Tci&0x1000 != 0,
			Vid:   raw.Tci & 0x0fff,
		}
		skb(e, sc).VlanAccel = &sc.vlan
	case secMeta:
		raw, err := collector.As[bpf.ProbeSkbMetaEvent](data)
		if err != nil {
			return err
		}
		sc.meta = events.SkbMeta{
			Len:       raw.Len,
			DataLen:   raw.DataLen,
			Hash:      raw.Hash,
			IPSummed:  raw.IpSummed,
			Csum:      raw.Csum,
			CsumLevel: raw.CsumLevel,
			Priority:  raw.Priority,
		}
		skb(e, sc).Meta = &sc.meta
	case secDataRef:
		raw, err := collector.As[bpf.ProbeSkbDataRefEvent](data)
		if err != nil {
			return err
		}
		sc.dataRef = events.SkbDataRef{
			Nohdr:   raw.Nohdr != 0,
			Cloned:  raw.Cloned != 0,
			Fclone:  raw.Fclone,
			Users:   raw.Users,
			Dataref: raw.Dataref,
		}
		skb(e, sc).DataRef = &sc.dataRef
	case secGSO:
		raw, err := collector.As[bpf.ProbeSkbGsoEvent](data)
		if err != nil {
			return err
		}
		sc.gso = events.SkbGSO{
			Flags: raw.Flags,
			Frags: raw.Frags,
			Size:  raw.Size,
			Segs:  raw.Segs,
			Type:  raw.Type,
		}
		skb(e, sc).GSO = &sc.gso
	default:
		return fmt.Errorf("skb: unknown section kind %d", kind)
	}
	return nil
}
