package ct

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"unsafe"

	"github.com/retis-go/retis/bpf"
	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/probe"
)

func bytesOf[T any](v *T) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(v)), unsafe.Sizeof(*v))
}

// be16 stores v as the kernel does: network order in memory.
func be16(v uint16) uint16 {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], v)
	return binary.NativeEndian.Uint16(b[:])
}

func addr(s string) [16]uint8 {
	a := netip.MustParseAddr(s)
	var out [16]uint8
	if a.Is4() {
		b := a.As4()
		copy(out[:], b[:])
	} else {
		out = a.As16()
	}
	return out
}

func TestDecodeTCPv4(t *testing.T) {
	c := &Collector{tcpStates: map[uint8]string{3: "ESTABLISHED"}}
	raw := bpf.ProbeCtConnEvent{
		Orig:      bpf.ProbeCtTuple{Src: addr("10.0.0.1"), Dst: addr("10.0.0.2"), Sport: be16(40000), Dport: be16(80)},
		Reply:     bpf.ProbeCtTuple{Src: addr("10.1.0.2"), Dst: addr("10.0.0.1"), Sport: be16(8080), Dport: be16(40000)},
		Status:    0x18a,
		Mark:      42,
		ZoneId:    7,
		ZoneDir:   1,
		L3:        4,
		L4:        6,
		TcpState:  3,
		HasMark:   1,
		HasLabels: 1,
	}
	raw.Labels[0], raw.Labels[8] = 1, 2
	var e events.Event
	if err := c.Decode(secBase, bytesOf(&raw), &e, nil); err != nil {
		t.Fatal(err)
	}
	meta := bpf.ProbeCtMetaEvent{State: 2}
	if err := c.Decode(secMeta, bytesOf(&meta), &e, nil); err != nil {
		t.Fatal(err)
	}
	ct := e.Ct
	if ct.State != "new" || ct.ZoneID != 7 || ct.ZoneDir != "Original" || ct.CtStatus != 0x18a {
		t.Errorf("ct %+v", ct)
	}
	if ct.Orig.IP != (events.CtIP{Src: "10.0.0.1", Dst: "10.0.0.2", Version: "v4"}) ||
		ct.Reply.IP != (events.CtIP{Src: "10.1.0.2", Dst: "10.0.0.1", Version: "v4"}) {
		t.Errorf("ips %+v %+v", ct.Orig.IP, ct.Reply.IP)
	}
	if *ct.Orig.Proto.TCP != (events.CtPorts{Sport: 40000, Dport: 80}) || *ct.Reply.Proto.TCP != (events.CtPorts{Sport: 8080, Dport: 40000}) {
		t.Errorf("ports %+v %+v", ct.Orig.Proto.TCP, ct.Reply.Proto.TCP)
	}
	if ct.ProtoState == nil || *ct.ProtoState != "ESTABLISHED" || ct.Mark == nil || *ct.Mark != 42 {
		t.Errorf("state %v mark %v", ct.ProtoState, ct.Mark)
	}
	if ct.Labels == nil || *ct.Labels != (events.U128{Hi: 2, Lo: 1}) {
		t.Errorf("labels %+v", ct.Labels)
	}
	if ct.Parent != nil {
		t.Error("parent without a parent section")
	}
}

func TestDecodeICMPv6Parent(t *testing.T) {
	c := &Collector{tcpStates: map[uint8]string{}}
	conn := bpf.ProbeCtConnEvent{
		Orig:    bpf.ProbeCtTuple{Src: addr("fd00::1"), Dst: addr("fd00::2"), IcmpId: be16(0x1234), IcmpType: 128},
		Reply:   bpf.ProbeCtTuple{Src: addr("fd00::2"), Dst: addr("fd00::1"), IcmpId: be16(0x1234), IcmpType: 129},
		ZoneDir: 3,
		L3:      6,
		L4:      58,
	}
	parent := conn
	parent.L4, parent.ZoneDir = 17, 0
	parent.Orig.Sport, parent.Orig.Dport = be16(5060), be16(5060)
	var e events.Event
	for kind, data := range map[uint8][]byte{secBase: bytesOf(&conn), secParent: bytesOf(&parent)} {
		if err := c.Decode(kind, data, &e, nil); err != nil {
			t.Fatal(err)
		}
	}
	ct := e.Ct
	if ct.Orig.IP.Version != "v6" || ct.Orig.IP.Src != "fd00::1" || ct.ZoneDir != "Default" {
		t.Errorf("ct %+v", ct.CtConn)
	}
	if ct.Orig.Proto.ICMP == nil || *ct.Orig.Proto.ICMP != (events.CtICMP{Type: 128, Code: 0, ID: 0x1234}) {
		t.Errorf("icmpv6 %+v", ct.Orig.Proto.ICMP)
	}
	if ct.ProtoState != nil || ct.Mark != nil || ct.Labels != nil {
		t.Errorf("optional members set: %v %v %v", ct.ProtoState, ct.Mark, ct.Labels)
	}
	if ct.Parent == nil || ct.Parent.Orig.Proto.UDP == nil || ct.Parent.Orig.Proto.UDP.Sport != 5060 || ct.Parent.ZoneDir != "None" {
		t.Errorf("parent %+v", ct.Parent)
	}
}

func TestDecodeErrors(t *testing.T) {
	c := &Collector{}
	var e events.Event
	bad := bpf.ProbeCtMetaEvent{State: 5}
	if err := c.Decode(secMeta, bytesOf(&bad), &e, nil); err == nil {
		t.Error("state 5 decoded")
	}
	conn := bpf.ProbeCtConnEvent{L3: 4, L4: 132}
	if err := c.Decode(secBase, bytesOf(&conn), &e, nil); err == nil {
		t.Error("an unsupported protocol decoded")
	}
	if err := c.Decode(secBase, make([]byte, 10), &e, nil); err == nil {
		t.Error("a short section decoded")
	}
	if err := c.Decode(9, nil, &e, nil); err == nil {
		t.Error("an unknown section kind decoded")
	}
}

// This kernel has conntrack built in: Init finds its types and TCP state
// names.
func TestInitHost(t *testing.T) {
	c := New()
	if err := c.Init(probe.HostKernel()); err != nil {
		t.Skipf("kernel without built-in conntrack: %v", err)
	}
	if c.tcpStates[3] != "ESTABLISHED" {
		t.Errorf("tcp state 3 is %q", c.tcpStates[3])
	}
}
