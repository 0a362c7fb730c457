package nft

import (
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// testPacket describes a packet the tests build with gopacket.
type testPacket struct {
	v6           bool
	id           uint16 // IPv4 id
	flow         uint32 // IPv6 flow label
	sport, dport uint16
	vlan         bool
	fragOffset   uint16
	payload      string
}

var (
	testSrc4 = net.IPv4(10, 77, 0, 1).To4()
	testDst4 = net.IPv4(10, 77, 0, 2).To4()
	testSrc6 = net.ParseIP("fd00::1")
	testDst6 = net.ParseIP("fd00::2")
)

// frame returns the packet as an Ethernet frame and its network and
// transport headers.
func (p testPacket) frame(t testing.TB) (frame, l3, l4 []byte) {
	t.Helper()
	eth := &layers.Ethernet{
		SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2},
	}
	udp := &layers.UDP{SrcPort: layers.UDPPort(p.sport), DstPort: layers.UDPPort(p.dport)}
	var ls []gopacket.SerializableLayer
	var netLayer gopacket.NetworkLayer
	etype := layers.EthernetTypeIPv4
	if p.v6 {
		etype = layers.EthernetTypeIPv6
		ip := &layers.IPv6{Version: 6, FlowLabel: p.flow, NextHeader: layers.IPProtocolUDP, HopLimit: 64, SrcIP: testSrc6, DstIP: testDst6}
		netLayer = ip
	} else {
		ip := &layers.IPv4{Version: 4, IHL: 5, Id: p.id, TTL: 64, Protocol: layers.IPProtocolUDP,
			SrcIP: testSrc4, DstIP: testDst4, FragOffset: p.fragOffset}
		netLayer = ip
	}
	if p.vlan {
		eth.EthernetType = layers.EthernetTypeDot1Q
		ls = append(ls, eth, &layers.Dot1Q{VLANIdentifier: 10, Type: etype})
	} else {
		eth.EthernetType = etype
		ls = append(ls, eth)
	}
	if err := udp.SetNetworkLayerForChecksum(netLayer); err != nil {
		t.Fatal(err)
	}
	ls = append(ls, netLayer.(gopacket.SerializableLayer), udp, gopacket.Payload(p.payload))
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	frame = buf.Bytes()
	off := ethHdrLen
	if p.vlan {
		off += vlanHdrLen
	}
	hl := networkHeaderLen(frame[off:])
	l3 = frame[off : off+hl]
	l4 = frame[off+hl:]
	if len(l4) > 20 {
		l4 = l4[:20] // what the trace carries at most
	}
	return frame, l3, l4
}

func TestPacketKeyBothSides(t *testing.T) {
	for _, p := range []testPacket{
		{id: 0x1234, sport: 40000, dport: 9999, payload: "hello"},
		{id: 0x1234, sport: 40000, dport: 9999, payload: "hello", vlan: true},
		{v6: true, flow: 0xabcde, sport: 40000, dport: 9999, payload: "hello six"},
		{id: 7, fragOffset: 100, payload: "not a udp header"},
	} {
		frame, l3, l4 := p.frame(t)
		kf, ok := keyFromFrame(frame)
		if !ok {
			t.Fatalf("%+v: no key from frame", p)
		}
		kh, ok := keyFromHeaders(l3, l4)
		if !ok {
			t.Fatalf("%+v: no key from headers", p)
		}
		if kf != kh {
			t.Errorf("%+v: frame key %+v, headers key %+v", p, kf, kh)
		}
		if p.fragOffset == 0 && (kf.sport != p.sport || kf.dport != p.dport) {
			t.Errorf("%+v: ports %d>%d", p, kf.sport, kf.dport)
		}
		if p.fragOffset != 0 && (kf.sport != 0 || kf.dport != 0) {
			t.Errorf("%+v: a non-first fragment has no ports, got %d>%d", p, kf.sport, kf.dport)
		}
	}
}

func TestPacketKeyDiffers(t *testing.T) {
	base := testPacket{id: 0x1234, sport: 40000, dport: 9999, payload: "x"}
	fb, _, _ := base.frame(t)
	kb, _ := keyFromFrame(fb)
	for _, p := range []testPacket{
		{id: 0x1235, sport: 40000, dport: 9999, payload: "x"},
		{id: 0x1234, sport: 40001, dport: 9999, payload: "x"},
		{id: 0x1234, sport: 40000, dport: 9998, payload: "x"},
	} {
		f, _, _ := p.frame(t)
		k, _ := keyFromFrame(f)
		if k == kb {
			t.Errorf("%+v and %+v give the same key", p, base)
		}
	}
	// What the path rewrites must not change the key: TTL and checksum.
	f2 := append([]byte(nil), fb...)
	f2[ethHdrLen+8]--                         // TTL
	f2[ethHdrLen+10], f2[ethHdrLen+11] = 0, 0 // checksum
	f2[0] = 0xff                              // destination MAC
	if k, _ := keyFromFrame(f2); k != kb {
		t.Error("TTL, checksum or MAC changes changed the key")
	}
}

func TestPacketKeyRejects(t *testing.T) {
	frame, _, _ := testPacket{id: 1, sport: 1, dport: 2}.frame(t)
	arp := append([]byte(nil), frame...)
	arp[12], arp[13] = 0x08, 0x06
	for name, b := range map[string][]byte{
		"short":       frame[:10],
		"arp":         arp,
		"truncated":   frame[:ethHdrLen+10],
		"no l3":       frame[:ethHdrLen],
		"bad version": append(append([]byte(nil), frame[:ethHdrLen]...), 0x25, 0, 0, 0),
	} {
		if k, ok := keyFromFrame(b); ok {
			t.Errorf("%s: got key %+v", name, k)
		}
	}
}
