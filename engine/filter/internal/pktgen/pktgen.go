// Package pktgen makes packets for filter tests: frames built with gopacket
// layers around small pools of addresses, ports and types, so that filters
// match a fair share of them, then sometimes truncated, corrupted or
// replaced by noise. It is only imported by tests.
package pktgen

import (
	"math/rand/v2"
	"net"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Generator draws packets from a seeded source: the same seed gives the
// same packets.
type Generator struct {
	r *rand.Rand
}

// New returns a Generator seeded with seed.
func New(seed uint64) *Generator {
	return &Generator{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

var (
	macs = []string{"ff:ff:ff:ff:ff:ff", "00:11:22:33:44:55", "01:00:5e:00:00:01", "33:33:00:00:00:01", "02:00:00:00:00:02"}
	ip4s = []string{"10.0.0.1", "10.0.0.2", "10.1.2.3", "192.168.1.1", "192.168.1.255", "172.16.5.4", "224.0.0.1", "255.255.255.255", "8.8.8.8"}
	ip6s = []string{"fe80::1", "2001:db8::1", "2001:db8::2", "ff02::1", "::1", "2001:db8:1::53"}
	// Includes the UDP ports of VXLAN (4789) and Geneve (6081).
	ports = []uint16{22, 53, 80, 443, 1024, 1500, 8080, 9999, 4789, 6081}
)

func (g *Generator) chance(p float64) bool { return g.r.Float64() < p }

func (g *Generator) bytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.r.Uint32())
	}
	return b
}

func (g *Generator) mac() net.HardwareAddr {
	if g.chance(0.3) {
		return net.HardwareAddr(g.bytes(6))
	}
	m, _ := net.ParseMAC(macs[g.r.IntN(len(macs))])
	return m
}

func (g *Generator) ip4() net.IP {
	if g.chance(0.2) {
		return net.IP(g.bytes(4))
	}
	return net.ParseIP(ip4s[g.r.IntN(len(ip4s))]).To4()
}

func (g *Generator) ip6() net.IP {
	if g.chance(0.2) {
		return net.IP(g.bytes(16))
	}
	return net.ParseIP(ip6s[g.r.IntN(len(ip6s))])
}

func (g *Generator) port() layers.TCPPort {
	if g.chance(0.25) {
		return layers.TCPPort(g.r.Uint32())
	}
	return layers.TCPPort(ports[g.r.IntN(len(ports))])
}

func (g *Generator) payload() gopacket.Payload {
	switch {
	case g.chance(0.1):
		return gopacket.Payload("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	case g.chance(0.1):
		return append(gopacket.Payload{0xde, 0xad, 0xbe, 0xef}, g.bytes(g.r.IntN(40))...)
	case g.chance(0.1):
		return make(gopacket.Payload, g.r.IntN(120))
	case g.chance(0.3):
		return nil
	}
	return gopacket.Payload(g.bytes(g.r.IntN(200)))
}

// transport returns the layers above IP and the IP protocol number.
func (g *Generator) transport(v6 bool) ([]gopacket.SerializableLayer, layers.IPProtocol) {
	switch g.r.IntN(5) {
	case 0, 1:
		tcp := &layers.TCP{
			SrcPort: g.port(), DstPort: g.port(),
			Seq: g.r.Uint32(), Ack: g.r.Uint32(), Window: uint16(g.r.Uint32()),
			FIN: g.chance(0.2), SYN: g.chance(0.3), RST: g.chance(0.1), PSH: g.chance(0.3),
			ACK: g.chance(0.6), URG: g.chance(0.05), ECE: g.chance(0.05), CWR: g.chance(0.05),
		}
		if g.chance(0.3) {
			tcp.Options = []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{5, 0xb4}}}
		}
		return []gopacket.SerializableLayer{tcp, g.payload()}, layers.IPProtocolTCP
	case 2:
		udp := &layers.UDP{SrcPort: layers.UDPPort(g.port()), DstPort: layers.UDPPort(g.port())}
		if g.chance(0.3) {
			udp.DstPort = 6081
			// A Geneve header (no options) carrying an Ethernet frame.
			inner := append([]byte{0, 0, 0x65, 0x58, 0, 0, 0x2a, 0}, g.innerFrame()...)
			return []gopacket.SerializableLayer{udp, gopacket.Payload(inner)}, layers.IPProtocolUDP
		}
		return []gopacket.SerializableLayer{udp, g.payload()}, layers.IPProtocolUDP
	case 3:
		if v6 {
			types := []uint8{128, 129, 135, 136, 1}
			icmp := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(types[g.r.IntN(len(types))], uint8(g.r.IntN(3)))}
			return []gopacket.SerializableLayer{icmp, g.payload()}, layers.IPProtocolICMPv6
		}
		types := []uint8{0, 3, 8, 11, 5}
		icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(types[g.r.IntN(len(types))], uint8(g.r.IntN(4))), Id: uint16(g.r.Uint32()), Seq: uint16(g.r.Uint32())}
		return []gopacket.SerializableLayer{icmp, g.payload()}, layers.IPProtocolICMPv4
	}
	protos := []layers.IPProtocol{47, 132, 2, 17, 6}
	return []gopacket.SerializableLayer{gopacket.Payload(g.bytes(g.r.IntN(64)))}, protos[g.r.IntN(len(protos))]
}

// network returns an IP (or ARP) packet's layers and its ethertype.
func (g *Generator) network() ([]gopacket.SerializableLayer, layers.EthernetType) {
	switch g.r.IntN(7) {
	case 0, 1, 2:
		up, proto := g.transport(false)
		ip := &layers.IPv4{Version: 4, TTL: uint8(g.r.Uint32()), Protocol: proto, SrcIP: g.ip4(), DstIP: g.ip4(), Id: uint16(g.r.Uint32()), TOS: uint8(g.r.Uint32())}
		if g.chance(0.2) {
			ip.Options = []layers.IPv4Option{{OptionType: 7, OptionLength: 7, OptionData: g.bytes(5)}}
		}
		if g.chance(0.15) {
			ip.Flags = layers.IPv4MoreFragments
			ip.FragOffset = uint16(g.r.IntN(100))
		} else if g.chance(0.3) {
			ip.Flags = layers.IPv4DontFragment
		}
		return append([]gopacket.SerializableLayer{ip}, up...), layers.EthernetTypeIPv4
	case 3, 4:
		up, proto := g.transport(true)
		ip := &layers.IPv6{Version: 6, HopLimit: uint8(g.r.Uint32()), NextHeader: proto, SrcIP: g.ip6(), DstIP: g.ip6(), FlowLabel: g.r.Uint32() & 0xfffff}
		return append([]gopacket.SerializableLayer{ip}, up...), layers.EthernetTypeIPv6
	case 5:
		arp := &layers.ARP{
			AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4,
			HwAddressSize: 6, ProtAddressSize: 4, Operation: uint16(1 + g.r.IntN(2)),
			SourceHwAddress: g.mac(), SourceProtAddress: g.ip4(),
			DstHwAddress: g.mac(), DstProtAddress: g.ip4(),
		}
		return []gopacket.SerializableLayer{arp}, layers.EthernetTypeARP
	}
	types := []layers.EthernetType{0x88cc, 0x8847, 0x8864, 0x88b5, layers.EthernetType(g.r.Uint32())}
	return []gopacket.SerializableLayer{gopacket.Payload(g.bytes(g.r.IntN(100)))}, types[g.r.IntN(len(types))]
}

func serialize(ls ...gopacket.SerializableLayer) []byte {
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	// Checksums need the network layer of TCP/UDP/ICMPv6.
	var nl gopacket.NetworkLayer
	for _, l := range ls {
		switch l := l.(type) {
		case *layers.IPv4:
			nl = l
		case *layers.IPv6:
			nl = l
		case *layers.TCP:
			if nl != nil {
				_ = l.SetNetworkLayerForChecksum(nl)
			}
		case *layers.UDP:
			if nl != nil {
				_ = l.SetNetworkLayerForChecksum(nl)
			}
		case *layers.ICMPv6:
			if nl != nil {
				_ = l.SetNetworkLayerForChecksum(nl)
			}
		}
	}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		// Only made-up combinations fail; fall back to raw bytes.
		return nil
	}
	return append([]byte(nil), buf.Bytes()...)
}

func (g *Generator) innerFrame() []byte {
	net, etype := g.network()
	eth := &layers.Ethernet{SrcMAC: g.mac(), DstMAC: g.mac(), EthernetType: etype}
	return serialize(append([]gopacket.SerializableLayer{eth}, net...)...)
}

// Frame returns an Ethernet frame, possibly VLAN-tagged, truncated or noisy.
func (g *Generator) Frame() []byte {
	if g.chance(0.04) {
		return g.bytes(14 + g.r.IntN(300))
	}
	net, etype := g.network()
	eth := &layers.Ethernet{SrcMAC: g.mac(), DstMAC: g.mac(), EthernetType: etype}
	ls := []gopacket.SerializableLayer{eth}
	if g.chance(0.15) {
		vids := []uint16{100, 200, uint16(g.r.IntN(4096))}
		eth.EthernetType = layers.EthernetTypeDot1Q
		tag := &layers.Dot1Q{VLANIdentifier: vids[g.r.IntN(len(vids))], Priority: uint8(g.r.IntN(8)), Type: etype}
		ls = append(ls, tag)
		if g.chance(0.2) {
			tag.Type = layers.EthernetTypeDot1Q
			ls = append(ls, &layers.Dot1Q{VLANIdentifier: vids[g.r.IntN(len(vids))], Type: etype})
		}
	}
	return g.damage(serialize(append(ls, net...)...), 14)
}

// L3 returns an IPv4, IPv6 or other network packet without a link header.
func (g *Generator) L3() []byte {
	if g.chance(0.04) {
		return g.bytes(1 + g.r.IntN(300))
	}
	for {
		net, etype := g.network()
		if etype == layers.EthernetTypeIPv4 || etype == layers.EthernetTypeIPv6 || g.chance(0.1) {
			return g.damage(serialize(net...), 1)
		}
	}
}

// damage truncates (never below min bytes) or corrupts some packets.
func (g *Generator) damage(p []byte, min int) []byte {
	if len(p) < min {
		p = append(p, g.bytes(min-len(p))...)
	}
	if g.chance(0.1) {
		p = p[:min+g.r.IntN(len(p)-min+1)]
	}
	if g.chance(0.1) {
		for range 1 + g.r.IntN(4) {
			p[g.r.IntN(len(p))] ^= byte(1 + g.r.IntN(255))
		}
	}
	return p
}
