package nft

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// packetKey identifies a packet across the trace headers and the packet
// section of skb events: addresses, protocol, the IPv4 id (the IPv6 flow
// label) and the ports (ICMP echo id and sequence). It ignores what the
// path rewrites between two probes: TTL, checksums, L2 header.
type packetKey struct {
	src, dst     [16]byte
	id           uint32
	sport, dport uint16
	version      uint8
	proto        uint8
}

// EtherTypes of the frames the packet section may hold.
const (
	ethPIPv4   = 0x0800
	ethPIPv6   = 0x86dd
	ethP8021Q  = 0x8100
	ethP8021AD = 0x88a8
	ethHdrLen  = 14
	vlanHdrLen = 4
	ipv4MinLen = 20
	ipv6HdrLen = 40
)

// keyFromFrame reads the key of a packet section: an Ethernet frame (Retis
// fakes the Ethernet header when the skb has no MAC header).
func keyFromFrame(data []byte) (packetKey, bool) {
	if len(data) < ethHdrLen {
		return packetKey{}, false
	}
	proto := binary.BigEndian.Uint16(data[12:14])
	data = data[ethHdrLen:]
	for proto == ethP8021Q || proto == ethP8021AD {
		if len(data) < vlanHdrLen {
			return packetKey{}, false
		}
		proto = binary.BigEndian.Uint16(data[2:4])
		data = data[vlanHdrLen:]
	}
	if proto != ethPIPv4 && proto != ethPIPv6 {
		return packetKey{}, false
	}
	hlen := networkHeaderLen(data)
	if hlen == 0 || hlen > len(data) {
		return keyFromHeaders(data, nil)
	}
	return keyFromHeaders(data[:hlen], data[hlen:])
}

// networkHeaderLen returns the length of the IPv4 or IPv6 header at the
// start of l3, 0 if it is not one.
func networkHeaderLen(l3 []byte) int {
	if len(l3) == 0 {
		return 0
	}
	switch l3[0] >> 4 {
	case 4:
		return int(l3[0]&0x0f) * 4
	case 6:
		return ipv6HdrLen
	}
	return 0
}

// keyFromHeaders reads the key from a network header and the transport
// header that follows it (nil when unknown).
func keyFromHeaders(l3, l4 []byte) (packetKey, bool) {
	var k packetKey
	if len(l3) == 0 {
		return k, false
	}
	k.version = l3[0] >> 4
	fragment := false
	switch k.version {
	case 4:
		if len(l3) < ipv4MinLen {
			return k, false
		}
		k.id = uint32(binary.BigEndian.Uint16(l3[4:6]))
		fragment = binary.BigEndian.Uint16(l3[6:8])&0x1fff != 0
		k.proto = l3[9]
		copy(k.src[:], l3[12:16])
		copy(k.dst[:], l3[16:20])
	case 6:
		if len(l3) < ipv6HdrLen {
			return k, false
		}
		k.id = binary.BigEndian.Uint32(l3[0:4]) & 0xfffff
		k.proto = l3[6]
		copy(k.src[:], l3[8:24])
		copy(k.dst[:], l3[24:40])
	default:
		return k, false
	}
	// Only the first fragment starts with the transport header; IPv6
	// extension headers leave the transport protocol unknown here.
	if !fragment {
		k.sport, k.dport = ports(k.proto, l4)
	}
	return k, true
}

// ports returns the transport ports, or the ICMP echo id and sequence.
func ports(proto uint8, l4 []byte) (uint16, uint16) {
	if len(l4) < 8 {
		return 0, 0
	}
	switch proto {
	case unix.IPPROTO_TCP, unix.IPPROTO_UDP, unix.IPPROTO_UDPLITE, unix.IPPROTO_SCTP, unix.IPPROTO_DCCP:
		return binary.BigEndian.Uint16(l4[0:2]), binary.BigEndian.Uint16(l4[2:4])
	case unix.IPPROTO_ICMP, unix.IPPROTO_ICMPV6:
		switch l4[0] {
		case 0, 8, 128, 129: // echo reply/request, v4 and v6
			return binary.BigEndian.Uint16(l4[4:6]), binary.BigEndian.Uint16(l4[6:8])
		}
		return uint16(l4[0])<<8 | uint16(l4[1]), 0
	}
	return 0, 0
}
