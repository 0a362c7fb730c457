package output

import (
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

var (
	macA = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01}
	macB = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x02}
	macC = net.HardwareAddr{0x0a, 0xbc, 0xde, 0xf0, 0x12, 0x34}
	macD = net.HardwareAddr{0x0a, 0xbc, 0xde, 0xf0, 0x12, 0x35}
	ipA  = net.IP{10, 0, 0, 1}
	ipB  = net.IP{10, 0, 0, 2}
	ipC  = net.IP{192, 168, 0, 1}
	ipD  = net.IP{192, 168, 0, 2}
	ip6A = net.ParseIP("2001:db8::1")
	ip6B = net.ParseIP("2001:db8::2")
)

const (
	llA      = "02:00:00:00:00:01 > 02:00:00:00:00:02"
	notSupp  = " not supported, use 'retis pcap')"
	truncMsg = "... (truncated or incomplete packet)"
)

func ether(t layers.EthernetType) *layers.Ethernet {
	return &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: t}
}

func ip4(p layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, TTL: 64, Id: 1, Flags: layers.IPv4DontFragment, Protocol: p, SrcIP: ipA, DstIP: ipB}
}

func ip6(p layers.IPProtocol) *layers.IPv6 {
	return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: p, SrcIP: ip6A, DstIP: ip6B}
}

func icmpEcho(typ uint8) *layers.ICMPv4 {
	return &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, 0), Id: 7, Seq: 1}
}

// build serializes layers with lengths (IP, UDP, TCP data offset, Geneve
// options) filled in by gopacket.
func build(t *testing.T, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// line renders the packet line alone.
func line(data []byte, ll bool) string {
	r := new(renderer)
	r.w.reset(nil, 0, false)
	r.packet(data, &Format{PrintLL: ll})
	return string(r.w.finish())
}

type pktCase struct {
	name string
	data []byte
	ll   bool
	want string
}

func runPktCases(t *testing.T, cases []pktCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := line(c.data, c.ll); got != c.want {
				t.Errorf("\n got: %s\nwant: %s", got, c.want)
			}
		})
	}
}

func tcpOpt(kind layers.TCPOptionKind, data ...byte) layers.TCPOption {
	return layers.TCPOption{OptionType: kind, OptionData: data}
}

func TestPacketIPv4(t *testing.T) {
	echo := build(t, ether(layers.EthernetTypeIPv4), ip4(layers.IPProtocolICMPv4), icmpEcho(8), gopacket.Payload("abcd"))
	const echoLine = "10.0.0.1 > 10.0.0.2 tos 0x0 ttl 64 id 1 off 0 [DF] len 32 proto ICMP (1) type 8 code 0"

	fields := ip4(layers.IPProtocolUDP)
	fields.TOS = 46<<2 | 3 // DSCP EF, CE
	fields.Flags = layers.IPv4EvilBit | layers.IPv4MoreFragments
	fields.FragOffset = 100
	fields.Options = []layers.IPv4Option{
		{OptionType: 0x94, OptionLength: 4, OptionData: []byte{0, 0}}, // router alert, copied bit set
		{OptionType: 1}, // no-op
		{OptionType: 0}, // end of list
	}

	padOnly := ip4(layers.IPProtocolICMPv4)
	padOnly.TOS = 2 // ECT(0)
	padOnly.Options = []layers.IPv4Option{{OptionType: 0}}

	ect1 := ip4(layers.IPProtocolICMPv4)
	ect1.TOS = 1
	ect1.Flags = 0

	noLen := build(t, ether(layers.EthernetTypeIPv4), ip4(layers.IPProtocolTCP), &layers.TCP{SrcPort: 1, DstPort: 2})
	noLen[14+2], noLen[14+3] = 0, 0

	runPktCases(t, []pktCase{
		{"icmp echo", echo, false, echoLine},
		{"link layer", echo, true, llA + " ethertype IPv4 (0x0800) " + echoLine},
		{"dscp ecn flags offset options", build(t, ether(layers.EthernetTypeIPv4), fields,
			&layers.UDP{SrcPort: 53, DstPort: 5353}, gopacket.Payload("abcd")), false,
			"10.0.0.1.53 > 10.0.0.2.5353 tos 0x2e CE ttl 64 id 1 off 800 [+,rsvd] len 40" +
				" opts [Ipv4OptionNumber(20),Ipv4OptionNumber(1),Ipv4OptionNumber(0)] proto UDP (17) len 4"},
		{"end of options as padding only", build(t, ether(layers.EthernetTypeIPv4), padOnly, icmpEcho(0)), false,
			"10.0.0.1 > 10.0.0.2 tos 0x0 ECT(0) ttl 64 id 1 off 0 [DF] len 32 proto ICMP (1) type 0 code 0"},
		{"ect1 no flags", build(t, ether(layers.EthernetTypeIPv4), ect1, icmpEcho(0)), false,
			"10.0.0.1 > 10.0.0.2 tos 0x0 ECT(1) ttl 64 id 1 off 0 len 28 proto ICMP (1) type 0 code 0"},
		// A total length not filled in yet: no length, no payload.
		{"total length zero", noLen, false,
			"10.0.0.1 > 10.0.0.2 tos 0x0 ttl 64 id 1 off 0 [DF] proto TCP (6)" + truncMsg},
		{"gre unsupported", build(t, ether(layers.EthernetTypeIPv4), ip4(layers.IPProtocolGRE), gopacket.Payload("abcd")), false,
			"10.0.0.1 > 10.0.0.2 tos 0x0 ttl 64 id 1 off 0 [DF] len 24 proto GRE (47)... (protocol 0x2f" + notSupp},
		{"unnamed protocol", build(t, ether(layers.EthernetTypeIPv4), ip4(200), gopacket.Payload("abcd")), false,
			"10.0.0.1 > 10.0.0.2 tos 0x0 ttl 64 id 1 off 0 [DF] len 24 proto (200)... (protocol 0xc8" + notSupp},
		{"header cut", echo[:14+12], false, truncMsg},
		{"icmp cut", echo[:14+20+2], false,
			"10.0.0.1 > 10.0.0.2 tos 0x0 ttl 64 id 1 off 0 [DF] len 32 proto ICMP (1)" + truncMsg},
	})
}

func TestPacketTCP(t *testing.T) {
	syn := &layers.TCP{SrcPort: 40000, DstPort: 80, Seq: 1000, SYN: true, Window: 64240, Options: []layers.TCPOption{
		tcpOpt(layers.TCPOptionKindMSS, 0x05, 0xb4),
		tcpOpt(layers.TCPOptionKindSACKPermitted),
		tcpOpt(layers.TCPOptionKindTimestamps, 0, 0, 0, 1, 0, 0, 0, 0),
		{OptionType: layers.TCPOptionKindNop},
		tcpOpt(layers.TCPOptionKindWindowScale, 7),
	}}

	all := &layers.TCP{SrcPort: 1234, DstPort: 5678, Seq: 0xffffffff, Ack: 9, Window: 502,
		FIN: true, SYN: true, RST: true, PSH: true, ACK: true, URG: true, ECE: true, CWR: true, NS: true}

	// 23 bytes of options: gopacket pads with a zero, which Retis prints
	// as an end-of-list.
	sack := &layers.TCP{SrcPort: 1, DstPort: 2, Seq: 1, Ack: 2, ACK: true, Window: 10, Options: []layers.TCPOption{
		{OptionType: layers.TCPOptionKindNop},
		{OptionType: layers.TCPOptionKindNop},
		tcpOpt(layers.TCPOptionKindSACK, 0, 0, 0, 100, 0, 0, 0, 200, 0, 0, 1, 44, 0, 0, 1, 144),
		tcpOpt(layers.TCPOptionKindWindowScale, 2),
	}}

	misc := &layers.TCP{SrcPort: 1, DstPort: 2, Window: 1, Options: []layers.TCPOption{
		tcpOpt(layers.TCPOptionKindSACK, 1, 2, 3, 4, 5), // not a multiple of 8
		tcpOpt(34, 0x0a, 0x0b, 0xff, 0x00),              // fast open cookie
		tcpOpt(34),                                      // fast open cookie request
		tcpOpt(99, 1, 2),                                // unknown
		tcpOpt(30, 0x10, 0x01),                          // multipath
		tcpOpt(layers.TCPOptionKindEcho, 0, 0, 0, 5),
	}}

	// A capture ending inside the timestamp option.
	cut := &layers.TCP{SrcPort: 1, DstPort: 2, Seq: 7, SYN: true, Window: 100, Options: []layers.TCPOption{
		tcpOpt(layers.TCPOptionKindMSS, 0x05, 0xb4),
		tcpOpt(layers.TCPOptionKindTimestamps, 0, 0, 0, 1, 0, 0, 0, 2),
		{OptionType: layers.TCPOptionKindNop},
		{OptionType: layers.TCPOptionKindNop},
	}}
	cutData := build(t, ether(layers.EthernetTypeIPv4), ip4(layers.IPProtocolTCP), cut)

	const hdr = "10.0.0.1.1 > 10.0.0.2.2 tos 0x0 ttl 64 id 1 off 0 [DF] "
	runPktCases(t, []pktCase{
		{"syn options", build(t, ether(layers.EthernetTypeIPv4), ip4(layers.IPProtocolTCP), syn), false,
			"10.0.0.1.40000 > 10.0.0.2.80 tos 0x0 ttl 64 id 1 off 0 [DF] len 60 proto TCP (6)" +
				" flags [S] seq 1000 win 64240 [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7]"},
		{"all flags data wraps", build(t, ether(layers.EthernetTypeIPv4), ip4(layers.IPProtocolTCP), all, gopacket.Payload("0123456789")), false,
			"10.0.0.1.1234 > 10.0.0.2.5678 tos 0x0 ttl 64 id 1 off 0 [DF] len 50 proto TCP (6)" +
				" flags [FSRP.UEWe] seq 4294967295:9 ack 9 win 502"},
		{"sack and padding", build(t, ether(layers.EthernetTypeIPv4), ip4(layers.IPProtocolTCP), sack), false,
			hdr + "len 64 proto TCP (6) flags [.] seq 1 ack 2 win 10 [nop,nop,sack 2 {100:200}{300:400},wscale 2,eol]"},
		{"misc options", build(t, ether(layers.EthernetTypeIPv4), ip4(layers.IPProtocolTCP), misc), false,
			hdr + "len 72 proto TCP (6) flags [] seq 0 win 1" +
				" [sack invalid,tfo cookie 0xa0xb0xff0x0,tfo cookiereq,?,mptcp,echo 5,eol,eol,eol]"},
		{"option cut by capture", cutData[:14+20+20+4+6], false,
			hdr + "len 56 proto TCP (6) flags [S] seq 7 win 100 [mss 1460,TS]"},
		{"header cut", cutData[:14+20+10], false,
			"10.0.0.1 > 10.0.0.2 tos 0x0 ttl 64 id 1 off 0 [DF] len 56 proto TCP (6)" + truncMsg},
		{"ipv6", build(t, ether(layers.EthernetTypeIPv6), &layers.IPv6{Version: 6, HopLimit: 64, TrafficClass: 1,
			FlowLabel: 0x12345, NextHeader: layers.IPProtocolTCP, SrcIP: ip6A, DstIP: ip6B},
			&layers.TCP{SrcPort: 443, DstPort: 50000, RST: true}), false,
			"2001:db8::1.443 > 2001:db8::2.50000 ECT(1) ttl 64 label 0x12345 len 20 proto TCP (6) flags [R] seq 0 win 0"},
	})
}

func TestPacketIPv6(t *testing.T) {
	echo := build(t, ether(layers.EthernetTypeIPv6), &layers.IPv6{Version: 6, HopLimit: 255, TrafficClass: 3,
		NextHeader: layers.IPProtocolICMPv6, SrcIP: ip6A, DstIP: ip6B},
		&layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(128, 0)}, &layers.ICMPv6Echo{Identifier: 1, SeqNumber: 2})

	// Hop-by-hop (PadN) then fragment, then UDP. Ports are only shown
	// when UDP directly follows the fixed header.
	hbh := gopacket.Payload{byte(layers.IPProtocolIPv6Fragment), 0, 1, 4, 0, 0, 0, 0}
	frag := gopacket.Payload{byte(layers.IPProtocolUDP), 0, 0, 0, 0, 0, 0, 1}
	exts := build(t, ether(layers.EthernetTypeIPv6), ip6(layers.IPProtocolIPv6HopByHop), hbh, frag,
		&layers.UDP{SrcPort: 1, DstPort: 2}, gopacket.Payload("abcd"))

	// ESP is walked as an extension (its SPI read as a header) and its
	// payload is not decoded.
	esp := build(t, ether(layers.EthernetTypeIPv6), ip6(layers.IPProtocolESP),
		gopacket.Payload{17, 0, 0, 1, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8})

	// An extension header longer than the packet (Retis itself stops
	// with an out-of-range panic there).
	long := build(t, ether(layers.EthernetTypeIPv6), ip6(layers.IPProtocolIPv6Destination),
		gopacket.Payload{byte(layers.IPProtocolUDP), 4, 1, 2})

	udp := build(t, ether(layers.EthernetTypeIPv6), ip6(layers.IPProtocolUDP), &layers.UDP{SrcPort: 546, DstPort: 547}, gopacket.Payload("x"))
	const hdr = "2001:db8::1 > 2001:db8::2 ttl 64 label 0x0"

	runPktCases(t, []pktCase{
		{"icmpv6 echo ce", echo, false, "2001:db8::1 > 2001:db8::2 CE ttl 255 label 0x0 len 8 proto ICMPv6 (58) type 128 code 0"},
		{"udp", udp, false, "2001:db8::1.546 > 2001:db8::2.547 ttl 64 label 0x0 len 9 proto UDP (17) len 1"},
		{"extensions", exts, false, hdr + " len 28 exts [Hopopt,Ipv6Frag] proto UDP (17) len 4"},
		{"no next header", build(t, ether(layers.EthernetTypeIPv6), ip6(layers.IPProtocolNoNextHeader)), false, hdr},
		{"esp", esp, false, hdr + " len 16 exts [Esp] proto UDP (17) len 8... (ESP packet" + notSupp},
		{"extension past the end", long, false, hdr + " len 4 exts [Ipv6Opts] proto UDP (17)" + truncMsg},
		{"link layer", udp, true, llA + " ethertype IPv6 (0x86dd) 2001:db8::1.546 > 2001:db8::2.547 ttl 64 label 0x0 len 9 proto UDP (17) len 1"},
		{"header cut", udp[:14+39], false, truncMsg},
	})
}

func TestPacketARP(t *testing.T) {
	arp := func(op uint16, tha net.HardwareAddr) []byte {
		return build(t, ether(layers.EthernetTypeARP), &layers.ARP{
			AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4,
			HwAddressSize: 6, ProtAddressSize: 4, Operation: op,
			SourceHwAddress: macA, SourceProtAddress: ipA, DstHwAddress: tha, DstProtAddress: ipB,
		})
	}
	zero := net.HardwareAddr{0, 0, 0, 0, 0, 0}
	runPktCases(t, []pktCase{
		{"request", arp(1, zero), false, "request who-has 10.0.0.2 tell 10.0.0.1"},
		{"request known target", arp(1, macB), false, "request who-has 10.0.0.2 (02:00:00:00:00:02) tell 10.0.0.1"},
		{"reply", arp(2, macB), false, "reply 10.0.0.1 is-at 02:00:00:00:00:01"},
		{"reverse request", arp(3, macB), false, "reverse request who-is 02:00:00:00:00:02 tell 02:00:00:00:00:01"},
		{"reverse reply", arp(4, macB), false, "reverse reply 02:00:00:00:00:02 at 10.0.0.2"},
		{"unknown operation", arp(9, macB), false, "... (ARP operation 9" + notSupp},
		{"link layer", arp(2, macB), true, llA + " ethertype ARP (0x0806) reply 10.0.0.1 is-at 02:00:00:00:00:01"},
		{"cut", arp(2, macB)[:14+27], false, truncMsg},
	})
}

func TestPacketLinkLayer(t *testing.T) {
	qinq := build(t, ether(layers.EthernetTypeQinQ),
		&layers.Dot1Q{Priority: 3, DropEligible: true, VLANIdentifier: 100, Type: layers.EthernetTypeDot1Q},
		&layers.Dot1Q{VLANIdentifier: 20, Type: layers.EthernetTypeIPv4},
		ip4(layers.IPProtocolICMPv4), icmpEcho(8))
	const echoLine = "10.0.0.1 > 10.0.0.2 tos 0x0 ttl 64 id 1 off 0 [DF] len 28 proto ICMP (1) type 8 code 0"

	odd := build(t, ether(layers.EthernetTypeDot1Q), &layers.Dot1Q{VLANIdentifier: 5, Type: 0x1234}, gopacket.Payload("abcd"))

	// An 802.3 frame: the type field holds a length.
	llc := build(t, ether(layers.EthernetTypeIPv4), gopacket.Payload("abcdef"))
	llc[12], llc[13] = 0x00, 0x36

	runPktCases(t, []pktCase{
		{"qinq", qinq, false, echoLine},
		{"qinq link layer", qinq, true, llA + " ethertype 802.1Q-QinQ (0x88a8) vlan 100 p 3 DEI ethertype 802.1Q (0x8100)" +
			" vlan 20 p 0 ethertype IPv4 (0x0800) " + echoLine},
		{"vlan unknown inner type", odd, false, "... (ethertype 0x1234" + notSupp},
		{"vlan unknown inner type link layer", odd, true, llA + " ethertype 802.1Q (0x8100) vlan 5 p 0 ethertype (0x1234) ... (ethertype 0x1234" + notSupp},
		{"vlan cut", odd[:14+2], false, truncMsg},
		{"lldp", build(t, ether(layers.EthernetTypeLinkLayerDiscovery), gopacket.Payload("abcd")), true, "... (ethertype 0x88cc" + notSupp},
		{"802.3 length", llc, false, "... (ethertype 0x0036" + notSupp},
		{"ethernet cut", qinq[:13], false, truncMsg},
		{"empty", nil, false, truncMsg},
	})
}

func TestPacketTunnels(t *testing.T) {
	innerEth := &layers.Ethernet{SrcMAC: macC, DstMAC: macD, EthernetType: layers.EthernetTypeIPv4}
	innerIP := &layers.IPv4{Version: 4, TTL: 63, Id: 9, Protocol: layers.IPProtocolICMPv4, SrcIP: ipC, DstIP: ipD}
	// gopacket pads the inner Ethernet frames to 60 bytes.
	const inner = "192.168.0.1 > 192.168.0.2 tos 0x0 ttl 63 id 9 off 0 len 28 proto ICMP (1) type 0 code 0"

	vxlan := build(t, ether(layers.EthernetTypeIPv4), ip4(layers.IPProtocolUDP), &layers.UDP{SrcPort: 50000, DstPort: 4789},
		&layers.VXLAN{ValidIDFlag: true, VNI: 0x1234}, innerEth, innerIP, icmpEcho(0))
	vxlanLinux := build(t, ether(layers.EthernetTypeIPv4), ip4(layers.IPProtocolUDP), &layers.UDP{SrcPort: 50000, DstPort: 8472},
		&layers.VXLAN{VNI: 1}, innerEth, innerIP, icmpEcho(0))

	geneve := build(t, ether(layers.EthernetTypeIPv4), ip4(layers.IPProtocolUDP), &layers.UDP{SrcPort: 50000, DstPort: 6081},
		&layers.Geneve{Protocol: layers.EthernetTypeIPv4, VNI: 0x10, OAMPacket: true, CriticalOption: true,
			Options: []*layers.GeneveOption{{Class: 0x0102, Type: 0x80, Data: []byte{1, 2, 3, 4}}}},
		innerIP, icmpEcho(0))
	geneveTEB := build(t, ether(layers.EthernetTypeIPv4), ip4(layers.IPProtocolUDP), &layers.UDP{SrcPort: 50000, DstPort: 6081},
		&layers.Geneve{Protocol: layers.EthernetTypeTransparentEthernetBridging, VNI: 1}, innerEth, innerIP, icmpEcho(0))

	runPktCases(t, []pktCase{
		{"vxlan", vxlan, false, "10.0.0.1.50000 > 10.0.0.2.4789 tos 0x0 ttl 64 id 1 off 0 [DF] len 96 proto UDP (17) len 68" +
			" vxlan [I] vni 0x1234 " + inner},
		{"vxlan link layer", vxlan, true, llA + " ethertype IPv4 (0x0800) 10.0.0.1.50000 > 10.0.0.2.4789 tos 0x0 ttl 64 id 1 off 0 [DF] len 96" +
			" proto UDP (17) len 68 vxlan [I] vni 0x1234 0a:bc:de:f0:12:34 > 0a:bc:de:f0:12:35 ethertype IPv4 (0x0800) " + inner},
		{"vxlan linux port", vxlanLinux, false, "10.0.0.1.50000 > 10.0.0.2.8472 tos 0x0 ttl 64 id 1 off 0 [DF] len 96 proto UDP (17) len 68" +
			" vxlan [] vni 0x1 " + inner},
		{"vxlan cut inner", vxlan[:14+20+8+8+10], false, "10.0.0.1.50000 > 10.0.0.2.4789 tos 0x0 ttl 64 id 1 off 0 [DF] len 96 proto UDP (17) len 68" +
			" vxlan [I] vni 0x1234 " + truncMsg},
		{"geneve", geneve, false, "10.0.0.1.50000 > 10.0.0.2.6081 tos 0x0 ttl 64 id 1 off 0 [DF] len 72 proto UDP (17) len 44" +
			" geneve [OC] vni 0x10 opts_len 2 " + inner},
		{"geneve link layer", geneve, true, llA + " ethertype IPv4 (0x0800) 10.0.0.1.50000 > 10.0.0.2.6081 tos 0x0 ttl 64 id 1 off 0 [DF] len 72" +
			" proto UDP (17) len 44 geneve [OC] vni 0x10 proto IPv4 (0x0800) opts_len 2 " + inner},
		{"geneve ethernet", geneveTEB, true, llA + " ethertype IPv4 (0x0800) 10.0.0.1.50000 > 10.0.0.2.6081 tos 0x0 ttl 64 id 1 off 0 [DF] len 96" +
			" proto UDP (17) len 68 geneve [] vni 0x1 proto TEB (0x6558) 0a:bc:de:f0:12:34 > 0a:bc:de:f0:12:35 ethertype IPv4 (0x0800) " + inner},
	})
}

// TestPacketMalformed documents where we differ from Retis: headers that
// gopacket rejects as malformed end the line with the truncation note,
// where Retis prints fields read from the garbage.
func TestPacketMalformed(t *testing.T) {
	ihl := build(t, ether(layers.EthernetTypeIPv4), ip4(layers.IPProtocolICMPv4), icmpEcho(8))
	ihl[14] = 0x44 // IHL 4
	runPktCases(t, []pktCase{{"ipv4 ihl below 5", ihl, false, truncMsg}})
}

// FuzzPacket checks that no input makes the packet line panic or come out
// empty.
func FuzzPacket(f *testing.F) {
	for _, l := range [][]gopacket.SerializableLayer{
		{ether(layers.EthernetTypeIPv4), ip4(layers.IPProtocolICMPv4), icmpEcho(8)},
		{ether(layers.EthernetTypeIPv6), ip6(layers.IPProtocolTCP), &layers.TCP{SrcPort: 1, DstPort: 2, Options: []layers.TCPOption{
			tcpOpt(layers.TCPOptionKindMSS, 5, 180), tcpOpt(layers.TCPOptionKindSACK, 0, 0, 0, 1, 0, 0, 0, 2)}}},
		{ether(layers.EthernetTypeDot1Q), &layers.Dot1Q{Type: layers.EthernetTypeARP}, &layers.ARP{HwAddressSize: 6, ProtAddressSize: 4,
			Operation: 1, SourceHwAddress: macA, SourceProtAddress: ipA, DstHwAddress: macB, DstProtAddress: ipB}},
		{ether(layers.EthernetTypeIPv4), ip4(layers.IPProtocolUDP), &layers.UDP{DstPort: 6081}, &layers.Geneve{Protocol: layers.EthernetTypeIPv6}},
		{ether(layers.EthernetTypeIPv4), ip4(layers.IPProtocolUDP), &layers.UDP{DstPort: 4789}, &layers.VXLAN{}, ether(layers.EthernetTypeIPv6)},
	} {
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true}, l...); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, ll := range []bool{false, true} {
			if line(data, ll) == "" {
				t.Errorf("empty line for %x", data)
			}
		}
	})
}
