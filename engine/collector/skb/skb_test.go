package skb

import (
	"bytes"
	"testing"
	"unsafe"

	"github.com/retis-go/retis/bpf"
	"github.com/retis-go/retis/engine/events"
)

func bytesOf[T any](v *T) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(v)), unsafe.Sizeof(*v))
}

func TestSections(t *testing.T) {
	base := uint32(1<<secPacket | 1<<secVlan)
	for _, tc := range []struct {
		in   []string
		want uint32
	}{
		{nil, base},
		{[]string{"meta"}, base | 1<<secMeta},
		{[]string{"meta", "dataref"}, base | 1<<secMeta | 1<<secDataRef},
		{[]string{"gso", "eth", "ip"}, base | 1<<secGSO},
		{[]string{"all"}, base | 1<<secMeta | 1<<secDataRef | 1<<secGSO},
	} {
		c, err := New(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Constants()["skb_sections"]; got != tc.want {
			t.Errorf("%v: sections %#x, want %#x", tc.in, got, tc.want)
		}
	}
	if _, err := New([]string{"bogus"}); err == nil {
		t.Error("unknown section accepted")
	}
}

func TestDecode(t *testing.T) {
	c, _ := New([]string{"all"})
	var e events.Event
	pkt := bpf.ProbeSkbPacketEvent{Len: 1500, CaptureLen: 4}
	copy(pkt.Packet[:], []byte{1, 2, 3, 4, 5, 6})
	vlan := bpf.ProbeSkbVlanEvent{Proto: 0x8100, Tci: 5<<13 | 1<<12 | 100}
	meta := bpf.ProbeSkbMetaEvent{Len: 84, DataLen: 0, Hash: 7, Csum: 9, Priority: 3, IpSummed: 1, CsumLevel: 2}
	ref := bpf.ProbeSkbDataRefEvent{Nohdr: 0, Cloned: 1, Fclone: 2, Users: 1, Dataref: 2}
	gso := bpf.ProbeSkbGsoEvent{Size: 1448, Segs: 3, Type: 1, Flags: 0, Frags: 2}
	for _, s := range []struct {
		kind uint8
		data []byte
	}{{secPacket, bytesOf(&pkt)}, {secVlan, bytesOf(&vlan)}, {secMeta, bytesOf(&meta)}, {secDataRef, bytesOf(&ref)}, {secGSO, bytesOf(&gso)}} {
		if err := c.Decode(s.kind, s.data, &e, nil); err != nil {
			t.Fatal(err)
		}
	}
	if e.Packet.Len != 1500 || e.Packet.CaptureLen != 4 || !bytes.Equal(e.Packet.Data, []byte{1, 2, 3, 4}) {
		t.Errorf("packet %+v", e.Packet)
	}
	if *e.Skb.VlanAccel != (events.SkbVlanAccel{Proto: 0x8100, Pcp: 5, Dei: true, Vid: 100}) {
		t.Errorf("vlan %+v", e.Skb.VlanAccel)
	}
	if *e.Skb.Meta != (events.SkbMeta{Len: 84, Hash: 7, IPSummed: 1, Csum: 9, CsumLevel: 2, Priority: 3}) {
		t.Errorf("meta %+v", e.Skb.Meta)
	}
	if *e.Skb.DataRef != (events.SkbDataRef{Cloned: true, Fclone: 2, Users: 1, Dataref: 2}) {
		t.Errorf("dataref %+v", e.Skb.DataRef)
	}
	if *e.Skb.GSO != (events.SkbGSO{Frags: 2, Size: 1448, Segs: 3, Type: 1}) {
		t.Errorf("gso %+v", e.Skb.GSO)
	}
	// The decoded packet must not alias the record, which is reused.
	pkt.Packet[0] = 0xff
	if e.Packet.Data[0] != 1 {
		t.Error("packet data aliases the record")
	}
	if err := c.Decode(9, nil, &e, nil); err == nil {
		t.Error("unknown kind decoded")
	}
}

// Packet sections are as long as the capture rounded up (64, 128 or 255
// bytes of packet): all the captured bytes are read from a short one, and
// a capture length past the section's end is cut to it.
func TestDecodeShortPacketSection(t *testing.T) {
	c, _ := New(nil)
	head := int(unsafe.Offsetof(bpf.ProbeSkbPacketEvent{}.Packet))
	pkt := bpf.ProbeSkbPacketEvent{Len: 60, CaptureLen: 60}
	for i := range 60 {
		pkt.Packet[i] = byte(i + 1)
	}
	full := bytesOf(&pkt)
	for _, tc := range []struct {
		name    string
		data    []byte
		wantLen int
	}{
		{"64-byte class", full[:head+64], 60},
		{"cut short", full[:head+40], 40},
		{"whole array", full, 60},
	} {
		var e events.Event
		if err := c.Decode(secPacket, tc.data, &e, nil); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if int(e.Packet.CaptureLen) != tc.wantLen || !bytes.Equal(e.Packet.Data, pkt.Packet[:tc.wantLen]) {
			t.Errorf("%s: capture %d, %d bytes, want %d", tc.name, e.Packet.CaptureLen, len(e.Packet.Data), tc.wantLen)
		}
	}
	var e events.Event
	if err := c.Decode(secPacket, full[:5], &e, nil); err == nil {
		t.Error("a section shorter than its header decoded")
	}
}
