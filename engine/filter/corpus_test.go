package filter

// corpus is the expression set of the differential tests.
var corpus = []string{
	// Protocols.
	"tcp", "udp", "icmp", "arp", "ip", "ip6", "icmp6", "sctp", "ip proto 47", "not ip",
	// Ports.
	"tcp port 443", "udp port 53", "port 80 or port 8080", "tcp dst port 22", "src port 1024",
	"portrange 1000-2000", "tcp portrange 8000-9999", "udp dst port 6081 and udp[8:2] == 0x0000",
	// Hosts and nets.
	"host 10.0.0.1", "src host 10.0.0.2", "dst host 192.168.1.1", "net 10.0.0.0/8",
	"src net 192.168.0.0/16", "dst net 172.16.0.0/12", "ip multicast", "ip6 multicast",
	"ip6 host fe80::1", "ip6 net 2001:db8::/32", "ip6 and src host 2001:db8::2",
	"tcp port 443 and host 10.0.0.1", "udp and (host 10.0.0.1 or host 8.8.8.8)",
	// Link layer and VLAN.
	"ether host 00:11:22:33:44:55", "ether src 00:11:22:33:44:55", "ether broadcast", "ether multicast",
	"ether proto 0x88cc", "ether[0] & 1 != 0", "ether[12:2] == 0x0800", "vlan", "vlan 100",
	"vlan and tcp", "vlan 100 and ip host 10.0.0.1", "vlan and vlan and udp",
	"arp host 10.0.0.1", "arp[6:2] == 2",
	// ICMP types and TCP flags.
	"icmp[icmptype] == icmp-echo", "icmp[icmptype] == icmp-echoreply", "icmp[0] == 3 and icmp[1] == 1",
	"icmp6 and ip6[40] == 128", "tcp[tcpflags] & tcp-syn != 0",
	"tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn", "tcp[13] == 18", "tcp[tcpflags] & tcp-rst != 0",
	// IP header fields, byte offsets, lengths.
	"ip[0] & 0xf > 5", "ip[6:2] & 0x1fff != 0", "ip[8] < 64", "ip[2:2] > 100", "ip6[6] == 17",
	"len > 100", "greater 200", "less 64", "udp[8:4] == 0xdeadbeef",
	"tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420",
	// Past the 64 bytes copied to the stack.
	"ether[60] == 0", "ether[100:4] != 0", "ether[200] == 1", "tcp[40:4] == 0", "udp[100] == 0",
	// Arithmetic.
	"ip[2:2] / 4 > 10", "ip[2:2] % 7 == 3", "ip[1] * 3 > 100", "ip[0] << 2 > 20", "ip[8] - ip[9] > 10",
	"ip[8] >> (ip[9] & 0x3f) == 0", "ip[8] << ip[9] > 1000", "ip[2:2] / (ip[9] & 1) > 3",
	"ip[2:2] % ip[1] == 0", "ip[1] ^ 0xff == 0x0f", "(-ip[8]) & 0xff == 192", "ip[4:2] | ip[6:2] != 0",
	// Tunnels (scratch memory).
	"geneve", "geneve and tcp", "mpls", "pppoes",
	// Boolean structure.
	"not tcp", "not (udp or icmp)", "tcp and not port 22", "(tcp or udp) and not (port 53 or port 443)",
	"ip and not ip6", "arp or (ip and icmp) or (ip6 and icmp6)",
}
