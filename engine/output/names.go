package output

import "github.com/gopacket/gopacket/layers"

// Ethertypes gopacket has no name for.
const (
	ethertypeTEB      layers.EthernetType = 0x6558
	ethertypeQinQ9100 layers.EthernetType = 0x9100
)

// etypeName is Retis's name of an ethertype; "" for the ones it does not
// decode, which it reports as unsupported.
func etypeName(etype uint16) string {
	switch etype {
	case 0x0800:
		return "IPv4"
	case 0x0806:
		return "ARP"
	case 0x6558:
		return "TEB"
	case 0x8035:
		return "Reverse ARP"
	case 0x809b:
		return "Appletalk"
	case 0x80f3:
		return "Appletalk ARP"
	case 0x8100:
		return "802.1Q"
	case 0x86dd:
		return "IPv6"
	case 0x880b:
		return "PPP"
	case 0x8847:
		return "MPLS unicast"
	case 0x8848:
		return "MPLS multicast"
	case 0x8863:
		return "PPPoE D"
	case 0x8864:
		return "PPPoE S"
	case 0x888e:
		return "EAPOL"
	case 0x88a8:
		return "802.1Q-QinQ"
	case 0x88e5:
		return "802.1AE MACsec"
	case 0x88f7:
		return "PTP"
	case 0x9100:
		return "802.1Q-9100"
	}
	return ""
}

// protoName is Retis's name of an IP protocol, "" when it has none.
func protoName(p layers.IPProtocol) string {
	switch p {
	case 1:
		return "ICMP"
	case 2:
		return "IGMP"
	case 4:
		return "IPIP"
	case 6:
		return "TCP"
	case 17:
		return "UDP"
	case 27:
		return "RDP"
	case 33:
		return "DCCP"
	case 41:
		return "IPv6"
	case 47:
		return "GRE"
	case 50:
		return "ESP"
	case 51:
		return "AH"
	case 58:
		return "ICMPv6"
	case 89:
		return "OSPF"
	case 112:
		return "VRRP"
	case 115:
		return "L2TP"
	case 132:
		return "SCTP"
	case 143:
		return "Ethernet"
	}
	return ""
}

// IPv6 extension headers, as Retis (through libpnet) recognises them.
const (
	ip6Mobility layers.IPProtocol = 135
	ip6HIP      layers.IPProtocol = 139
	ip6Shim6    layers.IPProtocol = 140
	ip6Test1    layers.IPProtocol = 253
	ip6Test2    layers.IPProtocol = 254
)

func isIPv6Ext(p layers.IPProtocol) bool {
	return ip6ExtName(p) != ""
}

// ip6ExtName names an extension header as Retis prints it in "exts [...]"
// (libpnet's names); "" when p is not an extension header.
func ip6ExtName(p layers.IPProtocol) string {
	switch p {
	case layers.IPProtocolIPv6HopByHop:
		return "Hopopt"
	case layers.IPProtocolIPv6Routing:
		return "Ipv6Route"
	case layers.IPProtocolIPv6Fragment:
		return "Ipv6Frag"
	case layers.IPProtocolAH:
		return "Ah"
	case layers.IPProtocolESP:
		return "Esp"
	case layers.IPProtocolIPv6Destination:
		return "Ipv6Opts"
	case ip6Mobility:
		return "MobilityHeader"
	case ip6HIP:
		return "Hip"
	case ip6Shim6:
		return "Shim6"
	case ip6Test1:
		return "Test1"
	case ip6Test2:
		return "Test2"
	}
	return ""
}
