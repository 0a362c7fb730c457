package output

import (
	"encoding/binary"
	"net/netip"
	"strconv"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// packetDecoder holds one preallocated gopacket layer per protocol, reused
// from packet to packet. Encapsulated packets (VXLAN, Geneve) reuse the
// same layers for the inner headers: every outer header is printed before
// its payload is decoded, so nothing is read back once overwritten.
type packetDecoder struct {
	eth    layers.Ethernet
	vlan   layers.Dot1Q
	arp    layers.ARP
	ip4    layers.IPv4
	ip6    layers.IPv6
	tcp    layers.TCP
	udp    layers.UDP
	icmp4  layers.ICMPv4
	icmp6  layers.ICMPv6
	vxlan  layers.VXLAN
	geneve layers.Geneve
}

// failure is why a packet line stopped early; Retis then appends a note to
// what was printed so far.
type failure struct {
	kind failKind
	val  uint64
}

type failKind uint8

const (
	pktOK failKind = iota
	pktTruncated
	pktEthertype // unsupported ethertype val
	pktARPOp     // unsupported ARP operation val
	pktProtocol  // unsupported IP protocol val
	pktESP       // ESP payload
)

var (
	success   = failure{}
	truncated = failure{kind: pktTruncated}
)

// Well-known header sizes; below them Retis reports a truncated packet.
const (
	ethLen    = 14
	vlanLen   = 4
	arpLen    = 28 // Ethernet/IPv4 ARP
	ipv4Len   = 20
	ipv6Len   = 40
	tcpLen    = 20
	udpLen    = 8
	icmpLen   = 4
	vxlanLen  = 8
	geneveLen = 8
	ip6ExtMin = 2
)

// UDP ports Retis decodes tunnels on.
const (
	portVXLAN      = 4789
	portVXLANLinux = 8472
	portGeneve     = 6081
)

// packet prints the packet line. Parsing is best effort, as in Retis: a
// header that cannot be read ends the line with a note.
func (r *renderer) packet(data []byte, f *Format) {
	res := r.ethernet(data, f)
	w := &r.w
	switch res.kind {
	case pktTruncated:
		w.str("... (truncated or incomplete packet)")
	case pktEthertype:
		w.str("... (ethertype ")
		r.hex04(res.val)
		w.str(" not supported, use 'retis pcap')")
	case pktARPOp:
		w.str("... (ARP operation ")
		w.dec(res.val)
		w.str(" not supported, use 'retis pcap')")
	case pktProtocol:
		w.str("... (protocol ")
		w.hex0x(res.val)
		w.str(" not supported, use 'retis pcap')")
	case pktESP:
		w.str("... (ESP packet not supported, use 'retis pcap')")
	}
}

func (r *renderer) ethernet(data []byte, f *Format) failure {
	d := &r.pkt
	if len(data) < ethLen || d.eth.DecodeFromBytes(data, gopacket.NilDecodeFeedback) != nil {
		return truncated
	}
	// gopacket turns 802.3 length values into LLC; Retis reports the raw
	// value as an unsupported ethertype.
	etype := binary.BigEndian.Uint16(data[12:14])
	name := etypeName(etype)
	if name == "" {
		return failure{pktEthertype, uint64(etype)}
	}
	w := &r.w
	if f.PrintLL {
		w.buf = appendMAC(w.b(), d.eth.SrcMAC)
		w.str(" > ")
		w.buf = appendMAC(w.b(), d.eth.DstMAC)
		w.str(" ethertype ")
		w.str(name)
		w.str(" (")
		r.hex04(uint64(etype))
		w.byte1(')')
	}

	payload := data[ethLen:]
	for isVLAN(etype) {
		if len(payload) < vlanLen || d.vlan.DecodeFromBytes(payload, gopacket.NilDecodeFeedback) != nil {
			return truncated
		}
		etype = uint16(d.vlan.Type)
		if f.PrintLL {
			w.str(" vlan ")
			w.dec(uint64(d.vlan.VLANIdentifier))
			w.str(" p ")
			w.dec(uint64(d.vlan.Priority))
			if d.vlan.DropEligible {
				w.str(" DEI")
			}
			w.str(" ethertype ")
			r.ethertype(etype)
		}
		payload = payload[vlanLen:]
	}
	if f.PrintLL {
		w.byte1(' ')
	}
	return r.l3(etype, payload, f)
}

func isVLAN(etype uint16) bool {
	switch layers.EthernetType(etype) {
	case layers.EthernetTypeDot1Q, layers.EthernetTypeQinQ, ethertypeQinQ9100:
		return true
	}
	return false
}

func (r *renderer) l3(etype uint16, payload []byte, f *Format) failure {
	switch layers.EthernetType(etype) {
	case layers.EthernetTypeARP:
		return r.arp(payload)
	case layers.EthernetTypeIPv4:
		return r.ipv4(payload, f)
	case layers.EthernetTypeIPv6:
		return r.ipv6(payload, f)
	}
	return failure{pktEthertype, uint64(etype)}
}

// ARP operations Retis names.
const (
	arpRequest        = 1
	arpReply          = 2
	arpReverseRequest = 3
	arpReverseReply   = 4
)

func (r *renderer) arp(data []byte) failure {
	a := &r.pkt.arp
	// Retis reads ARP as Ethernet/IPv4 only; other address sizes would be
	// printed from the wrong offsets there.
	if len(data) < arpLen || a.DecodeFromBytes(data, gopacket.NilDecodeFeedback) != nil ||
		a.HwAddressSize != 6 || a.ProtAddressSize != 4 {
		return truncated
	}
	w := &r.w
	switch a.Operation {
	case arpRequest:
		w.str("request who-has ")
		w.buf = appendIP(w.b(), a.DstProtAddress)
		if !allZero(a.DstHwAddress) {
			w.str(" (")
			w.buf = appendMAC(w.b(), a.DstHwAddress)
			w.byte1(')')
		}
		w.str(" tell ")
		w.buf = appendIP(w.b(), a.SourceProtAddress)
	case arpReply:
		w.str("reply ")
		w.buf = appendIP(w.b(), a.SourceProtAddress)
		w.str(" is-at ")
		w.buf = appendMAC(w.b(), a.SourceHwAddress)
	case arpReverseRequest:
		w.str("reverse request who-is ")
		w.buf = appendMAC(w.b(), a.DstHwAddress)
		w.str(" tell ")
		w.buf = appendMAC(w.b(), a.SourceHwAddress)
	case arpReverseReply:
		w.str("reverse reply ")
		w.buf = appendMAC(w.b(), a.DstHwAddress)
		w.str(" at ")
		w.buf = appendIP(w.b(), a.DstProtAddress)
	default:
		return failure{pktARPOp, uint64(a.Operation)}
	}
	return success
}

func (r *renderer) ipv4(data []byte, f *Format) failure {
	ip := &r.pkt.ip4
	// gopacket rejects malformed headers (IHL < 5, IHL beyond the total
	// length, bad options) that Retis would print from garbage fields.
	if len(data) < ipv4Len || ip.DecodeFromBytes(data, gopacket.NilDecodeFeedback) != nil {
		return truncated
	}
	// The total length may not be filled in yet (early in the stack).
	// gopacket then assumes the captured length; Retis prints no length
	// and sees no payload.
	total := binary.BigEndian.Uint16(data[2:4])
	payload := ip.Payload
	if total == 0 {
		payload = nil
	}

	w := &r.w
	r.addrPorts(ip.SrcIP, ip.DstIP, ip.Protocol, payload)
	w.str(" tos ")
	w.hex0x(uint64(ip.TOS >> 2))
	w.str(ecnName(ip.TOS & 3))
	w.str(" ttl ")
	w.dec(uint64(ip.TTL))
	w.str(" id ")
	w.dec(uint64(ip.Id))
	w.str(" off ")
	w.dec(uint64(ip.FragOffset) * 8)

	// Retis names the flag bits in this order and with these names.
	nflags := 0
	for _, fl := range [...]struct {
		bit  layers.IPv4Flag
		name string
	}{{layers.IPv4EvilBit, "+"}, {layers.IPv4DontFragment, "DF"}, {layers.IPv4MoreFragments, "rsvd"}} {
		if ip.Flags&fl.bit == 0 {
			continue
		}
		if nflags == 0 {
			w.str(" [")
		} else {
			w.byte1(',')
		}
		w.str(fl.name)
		nflags++
	}
	if nflags > 0 {
		w.byte1(']')
	}
	if total > 0 {
		w.str(" len ")
		w.dec(uint64(total))
	}
	r.ipv4Options(ip.Options)
	r.protocol(ip.Protocol)

	plen := uint32(0)
	if hl := uint32(ip.IHL) * 4; uint32(total) > hl {
		plen = uint32(total) - hl
	}
	return r.l4(ip.Protocol, payload, plen, f)
}

// ipv4Options lists the options by number, as Retis prints them (the Debug
// form of its option type); an end-of-list is only shown after a genuine
// option, padding otherwise.
func (r *renderer) ipv4Options(opts []layers.IPv4Option) {
	w := &r.w
	n := 0
	for _, o := range opts {
		num := o.OptionType & 0x1f
		if num == 0 && n == 0 {
			break
		}
		if n == 0 {
			w.str(" opts [")
		} else {
			w.byte1(',')
		}
		w.str("Ipv4OptionNumber(")
		w.dec(uint64(num))
		w.byte1(')')
		n++
		if num == 0 {
			break
		}
	}
	if n > 0 {
		w.byte1(']')
	}
}

func (r *renderer) ipv6(data []byte, f *Format) failure {
	ip := &r.pkt.ip6
	if len(data) < ipv6Len {
		return truncated
	}
	// gopacket fills the fixed header before looking at extension headers
	// and at the payload length; its complaints about those (a zero length
	// not yet filled in, a hop-by-hop header) do not concern the fixed
	// header, and the payload below follows Retis's bounds.
	_ = ip.DecodeFromBytes(data, gopacket.NilDecodeFeedback)
	payload := data[ipv6Len:]
	if int(ip.Length) < len(payload) {
		payload = payload[:ip.Length]
	}

	w := &r.w
	r.addrPorts(ip.SrcIP, ip.DstIP, ip.NextHeader, payload)
	w.str(ecnName(ip.TrafficClass & 3))
	w.str(" ttl ")
	w.dec(uint64(ip.HopLimit))
	w.str(" label ")
	w.hex0x(uint64(ip.FlowLabel))
	if ip.Length > 0 {
		w.str(" len ")
		w.dec(uint64(ip.Length))
	}

	// Extension headers are walked the way Retis does, each sized as
	// (hdr_ext_len + 1) * 8 bytes, including AH and ESP, so that the
	// payload length and the next protocol match what it prints.
	proto := ip.NextHeader
	prev := proto
	plen := uint32(ip.Length)
	n := 0
	for isIPv6Ext(proto) && len(payload) >= ip6ExtMin {
		size := (int(payload[1]) + 1) * 8
		if n == 0 {
			w.str(" exts [")
		} else {
			w.byte1(',')
		}
		w.str(ip6ExtName(proto))
		n++
		prev, proto = proto, layers.IPProtocol(payload[0])
		plen = satSub(plen, uint32(size))
		payload = payload[min(size, len(payload)):]
	}
	if n > 0 {
		w.byte1(']')
	}
	// No next header: whatever follows is garbage.
	if prev == layers.IPProtocolNoNextHeader {
		return success
	}
	r.protocol(proto)
	if prev == layers.IPProtocolESP {
		w.str(" len ")
		w.dec(uint64(plen))
		return failure{kind: pktESP}
	}
	return r.l4(proto, payload, plen, f)
}

// addrPorts prints "src > dst", with ports for TCP and UDP when their
// header is there.
func (r *renderer) addrPorts(src, dst []byte, proto layers.IPProtocol, payload []byte) {
	w := &r.w
	d := &r.pkt
	var sport, dport uint16
	ports := false
	switch proto {
	case layers.IPProtocolTCP:
		if len(payload) >= tcpLen {
			_ = d.tcp.DecodeFromBytes(payload, gopacket.NilDecodeFeedback)
			sport, dport, ports = uint16(d.tcp.SrcPort), uint16(d.tcp.DstPort), true
		}
	case layers.IPProtocolUDP:
		if len(payload) >= udpLen {
			_ = d.udp.DecodeFromBytes(payload, gopacket.NilDecodeFeedback)
			sport, dport, ports = uint16(d.udp.SrcPort), uint16(d.udp.DstPort), true
		}
	}
	w.buf = appendIP(w.b(), src)
	if ports {
		w.byte1('.')
		w.dec(uint64(sport))
	}
	w.str(" > ")
	w.buf = appendIP(w.b(), dst)
	if ports {
		w.byte1('.')
		w.dec(uint64(dport))
	}
}

func (r *renderer) protocol(p layers.IPProtocol) {
	w := &r.w
	w.str(" proto ")
	if name := protoName(p); name != "" {
		w.str(name)
		w.byte1(' ')
	}
	w.byte1('(')
	w.dec(uint64(p))
	w.byte1(')')
}

// l4 prints the transport header; plen is the transport length the IP
// header announces.
func (r *renderer) l4(proto layers.IPProtocol, payload []byte, plen uint32, f *Format) failure {
	d := &r.pkt
	w := &r.w
	switch proto {
	case layers.IPProtocolUDP:
		if len(payload) < udpLen {
			return truncated
		}
		// Fields are set before gopacket checks the length field.
		_ = d.udp.DecodeFromBytes(payload, gopacket.NilDecodeFeedback)
		w.str(" len ")
		w.dec(uint64(satSub(uint32(d.udp.Length), udpLen)))
		switch d.udp.DstPort {
		case portVXLAN, portVXLANLinux:
			return r.vxlan(payload[udpLen:], f)
		case portGeneve:
			return r.geneve(payload[udpLen:], f)
		}
		return success
	case layers.IPProtocolTCP:
		if len(payload) < tcpLen {
			return truncated
		}
		// Fields are set before gopacket checks the data offset and
		// the options, which are read below as Retis reads them.
		_ = d.tcp.DecodeFromBytes(payload, gopacket.NilDecodeFeedback)
		r.tcp(payload, plen)
		return success
	case layers.IPProtocolICMPv4:
		// gopacket wants the 8 bytes every ICMP message has; Retis
		// only reads type and code.
		if len(payload) < icmpLen || d.icmp4.DecodeFromBytes(payload, gopacket.NilDecodeFeedback) != nil {
			return truncated
		}
		w.str(" type ")
		w.dec(uint64(d.icmp4.TypeCode.Type()))
		w.str(" code ")
		w.dec(uint64(d.icmp4.TypeCode.Code()))
		return success
	case layers.IPProtocolICMPv6:
		if len(payload) < icmpLen || d.icmp6.DecodeFromBytes(payload, gopacket.NilDecodeFeedback) != nil {
			return truncated
		}
		w.str(" type ")
		w.dec(uint64(d.icmp6.TypeCode.Type()))
		w.str(" code ")
		w.dec(uint64(d.icmp6.TypeCode.Code()))
		return success
	}
	return failure{pktProtocol, uint64(proto)}
}

func (r *renderer) vxlan(data []byte, f *Format) failure {
	v := &r.pkt.vxlan
	if len(data) < vxlanLen || v.DecodeFromBytes(data, gopacket.NilDecodeFeedback) != nil {
		return truncated
	}
	w := &r.w
	w.str(" vxlan [")
	if v.ValidIDFlag {
		w.byte1('I')
	}
	w.str("] vni ")
	w.hex0x(uint64(v.VNI))
	w.byte1(' ')
	return r.ethernet(data[vxlanLen:], f)
}

func (r *renderer) geneve(data []byte, f *Format) failure {
	g := &r.pkt.geneve
	if len(data) < geneveLen {
		return truncated
	}
	// The fixed header is read before the options, whose errors do not
	// matter: Retis skips them by their announced length.
	_ = g.DecodeFromBytes(data, gopacket.NilDecodeFeedback)
	w := &r.w
	w.str(" geneve [")
	if g.OAMPacket {
		w.byte1('O')
	}
	if g.CriticalOption {
		w.byte1('C')
	}
	w.str("] vni ")
	w.hex0x(uint64(g.VNI))
	proto := uint16(g.Protocol)
	if f.PrintLL {
		w.str(" proto ")
		r.ethertype(proto)
	}
	optWords := int(data[0] & 0x3f)
	if optWords > 0 {
		w.str(" opts_len ")
		w.dec(uint64(optWords))
	}
	w.byte1(' ')
	inner := data[min(geneveLen+optWords*4, len(data)):]
	if layers.EthernetType(proto) == ethertypeTEB {
		return r.ethernet(inner, f)
	}
	return r.l3(proto, inner, f)
}

// ethertype prints "NAME (0xhhhh)", or "(0xhhhh)" for unnamed values.
func (r *renderer) ethertype(etype uint16) {
	w := &r.w
	if name := etypeName(etype); name != "" {
		w.str(name)
		w.byte1(' ')
	}
	w.byte1('(')
	r.hex04(uint64(etype))
	w.byte1(')')
}

// hex04 prints Rust's {:#06x}: 0x and at least four digits.
func (r *renderer) hex04(v uint64) {
	w := &r.w
	b := append(w.b(), '0', 'x')
	if v <= 0xffff {
		b = appendHexPadded(b, v, 4)
	} else {
		b = strconv.AppendUint(b, v, 16)
	}
	w.buf = b
}

func ecnName(ecn uint8) string {
	switch ecn {
	case 1:
		return " ECT(1)"
	case 2:
		return " ECT(0)"
	case 3:
		return " CE"
	}
	return ""
}

func appendIP(b []byte, ip []byte) []byte {
	switch len(ip) {
	case 4:
		return netip.AddrFrom4([4]byte(ip)).AppendTo(b)
	case 16:
		return netip.AddrFrom16([16]byte(ip)).AppendTo(b)
	}
	return b
}

func appendMAC(b []byte, mac []byte) []byte {
	for i, x := range mac {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, hexDigits[x>>4], hexDigits[x&0xf])
	}
	return b
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

func satSub(a, b uint32) uint32 {
	if a < b {
		return 0
	}
	return a - b
}
