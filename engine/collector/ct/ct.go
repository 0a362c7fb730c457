// Package ct is the ct collector: the conntrack entry an skb carries, and
// its parent connection for related flows (bpf/ct.h).
package ct

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/cilium/ebpf/btf"

	"github.com/retis-go/retis/bpf"
	"github.com/retis-go/retis/engine/collector"
	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/probe"
)

// Name is the collector's name.
const Name = "ct"

const (
	secMeta   = uint8(bpf.ProbeCtSectionCT_SEC_META)
	secBase   = uint8(bpf.ProbeCtSectionCT_SEC_BASE)
	secParent = uint8(bpf.ProbeCtSectionCT_SEC_PARENT)
)

// IP protocol numbers of the tuples we decode.
const (
	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoICMPv6 = 58
)

// nf_conntrack_zones_common.h
const (
	zoneDirOrig  = 1 << 0
	zoneDirReply = 1 << 1
)

// ip_conntrack_info values, as Retis names them.
var states = map[uint8]string{
	0: "established",
	1: "related",
	2: "new",
	3: "reply",
	4: "related_reply",
	7: "untracked",
}

// Collector is the ct collector.
type Collector struct {
	tcpStates map[uint8]string
}

// New returns the collector.
func New() *Collector { return &Collector{} }

// Name implements collector.Collector.
func (*Collector) Name() string { return Name }

// Flag implements collector.Collector.
func (*Collector) Flag() uint32 { return uint32(bpf.ProbeCollectorBitCOLLECTOR_CT) }

// Owner implements collector.Collector.
func (*Collector) Owner() uint8 { return uint8(bpf.ProbeSectionOwnerOWNER_CT) }

// Probes implements collector.Collector.
func (*Collector) Probes() []string { return nil }

// Init implements collector.Collector: the kernel must have conntrack
// built in (its types in the kernel's BTF and skb->_nfct), and TCP state
// names come from its enum tcp_conntrack.
func (c *Collector) Init(k probe.Kernel) error {
	types, err := k.Types()
	if err != nil {
		return err
	}
	var conn *btf.Struct
	if err := types.TypeByName("nf_conn", &conn); err != nil {
		if errors.Is(err, btf.ErrNotFound) {
			return fmt.Errorf("this kernel has no conntrack types in its BTF (CONFIG_NF_CONNTRACK unset, or a module)")
		}
		return err
	}
	var skb *btf.Struct
	if err := types.TypeByName("sk_buff", &skb); err != nil {
		return err
	}
	if !hasMember(skb.Members, "_nfct") {
		return fmt.Errorf("this kernel's sk_buff has no _nfct (CONFIG_NF_CONNTRACK unset)")
	}
	c.tcpStates = map[uint8]string{}
	var enum *btf.Enum
	if err := types.TypeByName("tcp_conntrack", &enum); err == nil {
		for _, v := range enum.Values {
			c.tcpStates[uint8(v.Value)] = strings.TrimPrefix(v.Name, "TCP_CONNTRACK_")
		}
	}
	return nil
}

// hasMember looks for a member, through anonymous structs and unions.
func hasMember(members []btf.Member, name string) bool {
	for _, m := range members {
		if m.Name == name {
			return true
		}
		if m.Name != "" {
			continue
		}
		switch t := btf.UnderlyingType(m.Type).(type) {
		case *btf.Struct:
			if hasMember(t.Members, name) {
				return true
			}
		case *btf.Union:
			if hasMember(t.Members, name) {
				return true
			}
		}
	}
	return false
}

func (c *Collector) ct(e *events.Event) *events.Ct {
	if e.Ct == nil {
		e.Ct = &events.Ct{}
	}
	return e.Ct
}

// Decode implements collector.Collector.
func (c *Collector) Decode(kind uint8, data []byte, e *events.Event, _ *collector.Scratch) error {
	switch kind {
	case secMeta:
		raw, err := collector.As[bpf.ProbeCtMetaEvent](data)
		if err != nil {
			return err
		}
		state, ok := states[raw.State]
		if !ok {
			return fmt.Errorf("ct: unknown conntrack state %d", raw.State)
		}
		c.ct(e).State = state
	case secBase, secParent:
		raw, err := collector.As[bpf.ProbeCtConnEvent](data)
		if err != nil {
			return err
		}
		conn, err := c.conn(raw)
		if err != nil {
			return err
		}
		if kind == secBase {
			c.ct(e).CtConn = *conn
		} else {
			c.ct(e).Parent = conn
		}
	default:
		return fmt.Errorf("ct: unknown section kind %d", kind)
	}
	return nil
}

func (c *Collector) conn(raw *bpf.ProbeCtConnEvent) (*events.CtConn, error) {
	conn := &events.CtConn{ZoneID: raw.ZoneId, CtStatus: raw.Status}
	switch {
	case raw.ZoneDir&(zoneDirOrig|zoneDirReply) == zoneDirOrig|zoneDirReply:
		conn.ZoneDir = "Default"
	case raw.ZoneDir&zoneDirOrig != 0:
		conn.ZoneDir = "Original"
	case raw.ZoneDir&zoneDirReply != 0:
		conn.ZoneDir = "Reply"
	default:
		conn.ZoneDir = "None"
	}
	var err error
	if conn.Orig, err = tuple(&raw.Orig, raw.L3, raw.L4); err != nil {
		return nil, err
	}
	if conn.Reply, err = tuple(&raw.Reply, raw.L3, raw.L4); err != nil {
		return nil, err
	}
	if raw.L4 == protoTCP {
		s, ok := c.tcpStates[raw.TcpState]
		if !ok {
			s = strconv.Itoa(int(raw.TcpState))
		}
		conn.ProtoState = &s
	}
	if raw.HasMark != 0 {
		m := raw.Mark
		conn.Mark = &m
	}
	if raw.HasLabels != 0 {
		// The 128 label bits as one native-endian u128, as Retis reads
		// them.
		lo := binary.NativeEndian.Uint64(raw.Labels[:8])
		hi := binary.NativeEndian.Uint64(raw.Labels[8:])
		if lo != 0 || hi != 0 {
			conn.Labels = &events.U128{Hi: hi, Lo: lo}
		}
	}
	return conn, nil
}

func tuple(t *bpf.ProbeCtTuple, l3, l4 uint8) (events.CtTuple, error) {
	var out events.CtTuple
	switch l3 {
	case 4:
		out.IP = events.CtIP{
			Src:     netip.AddrFrom4([4]byte(t.Src[:4])).String(),
			Dst:     netip.AddrFrom4([4]byte(t.Dst[:4])).String(),
			Version: "v4",
		}
	case 6:
		out.IP = events.CtIP{
			Src:     netip.AddrFrom16(t.Src).String(),
			Dst:     netip.AddrFrom16(t.Dst).String(),
			Version: "v6",
		}
	default:
		return out, fmt.Errorf("ct: unknown L3 version %d", l3)
	}
	switch l4 {
	case protoTCP:
		out.Proto.TCP = &events.CtPorts{Sport: ntohs(t.Sport), Dport: ntohs(t.Dport)}
	case protoUDP:
		out.Proto.UDP = &events.CtPorts{Sport: ntohs(t.Sport), Dport: ntohs(t.Dport)}
	case protoICMP, protoICMPv6:
		out.Proto.ICMP = &events.CtICMP{Code: t.IcmpCode, Type: t.IcmpType, ID: ntohs(t.IcmpId)}
	default:
		return out, fmt.Errorf("ct: unknown L4 protocol %d", l4)
	}
	return out, nil
}

// ntohs returns the value of a network-order u16 read as a native one.
func ntohs(v uint16) uint16 {
	var b [2]byte
	binary.NativeEndian.PutUint16(b[:], v)
	return binary.BigEndian.Uint16(b[:])
}
