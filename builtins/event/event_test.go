package event

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/retis-go/retis/engine/events"
)

const compatDir = "../../../shared/retis-compat"

func compat(t testing.TB, name string) string {
	p := filepath.Join(compatDir, name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("Retis reference file missing: %v (the tests expect ../shared beside the clone)", err)
	}
	return p
}

func readEvents(t testing.TB, name string) []*events.Event {
	t.Helper()
	r, err := events.Open(compat(t, name), events.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []*events.Event
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
}

func run(t *testing.T, src string, globals starlark.StringDict) {
	t.Helper()
	opts := &syntax.FileOptions{TopLevelControl: true, While: true, Set: true, GlobalReassign: true}
	if _, err := starlark.ExecFileOptions(opts, new(starlark.Thread), "t.star", src, globals); err != nil {
		if ee, ok := err.(*starlark.EvalError); ok {
			t.Fatal(ee.Backtrace())
		}
		t.Fatal(err)
	}
}

func eventList(evs []*events.Event, fm Formatter) *starlark.List {
	var vs []starlark.Value
	for _, e := range evs {
		vs = append(vs, New(e, fm))
	}
	return starlark.NewList(vs)
}

const checkFn = `
def check(got, want, what):
    if got != want:
        fail("%s: got %r, want %r" % (what, got, want))
`

func TestSectionsFromRetisFile(t *testing.T) {
	evs := readEvents(t, "test_events_packets.json")
	run(t, checkFn+`
st = evs[0]
check(st.startup.retis_version, "v1.6.0", "startup version")
check(st.kernel, None, "absent section")
e = evs[1]
check(e.common.timestamp, 30419169061793, "timestamp")
check(e.common.smp_id, 6, "smp_id")
check(e.common.task.comm, "ping", "comm")
check(e.kernel.symbol, "net:net_dev_start_xmit", "symbol")
check(e.kernel.probe_type, "raw_tracepoint", "probe_type")
check(e.kernel.stack_trace, None, "omitted list")
check(e.skb_tracking.orig_head, 18446619372617628672, "uint64 stays exact")
check(e.skb_drop, None, "no drop")
check(e.dev.name, "veth-ns01", "dev")
check(e.dev.rx_ifindex, None, "optional member")
check(e.netns.inum, 4026532741, "netns")
check(e.skb.meta.csum, 2770033380, "nested skb part")
check(e.skb.gso, None, "absent skb part")
check(e.ct.state, "new", "ct state")
check(e.ct.orig.ip.src, "192.168.125.10", "ct inlined connection")
check(e.ct.orig.proto.icmp.id, 29004, "ct proto")
check(e.ct.orig.proto.tcp, None, "ct other proto")
check(e.packet.len, 98, "packet len")
check(type(e.packet.data), "bytes", "packet data")
check(len(e.packet.data), 98, "packet data length")
check(e.ovs, None, "no ovs")
check(evs[3].ovs.event_type, "upcall", "ovs tagged union")
check(evs[3].ovs.port, evs[3].ovs.port + 0, "ovs member is an int")
check(evs[5].ovs.event_type, "action_execute", "ovs action")
drops = [x.skb_drop.drop_reason for x in evs if x.skb_drop]
check(drops, ["NO_SOCKET", "NO_SOCKET"], "drop reasons")
check("skb_drop" in dir(e), True, "dir lists sections")
check(hasattr(e, "no_such_section"), False, "unknown attribute")
check(sorted(dir(e.common)), ["smp_id", "task", "timestamp"], "section members")
check(str(e.skb_drop), "None", "str of absent")
check(str(evs[15].skb_drop), '{"drop_reason":"NO_SOCKET"}', "str of section is its JSON")
`, starlark.StringDict{"evs": eventList(evs, nil)})
}

func TestOldLayoutUpgraded(t *testing.T) {
	evs := readEvents(t, "test_events.json")
	run(t, checkFn+`
check(evs[4].skb_drop.drop_reason, "NO_SOCKET", "drop")
check(evs[1].kernel.probe_type, "kprobe", "kprobe")
check(evs[1].dev.name, "wlp0s20f3", "dev moved out of skb")
`, starlark.StringDict{"evs": eventList(evs, nil)})
}

func TestJSONRoundTrip(t *testing.T) {
	path := compat(t, "test_events_packets.json")
	evs := readEvents(t, "test_events_packets.json")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var lines []starlark.Value
	for sc.Scan() {
		lines = append(lines, starlark.String(sc.Text()))
	}
	// The startup event gains members when written in the latest layout;
	// every other line is Retis's own bytes.
	run(t, checkFn+`
for i in range(1, len(evs)):
    check(evs[i].json(), lines[i], "line %d" % (i + 1))
`, starlark.StringDict{"evs": eventList(evs, nil), "lines": starlark.NewList(lines)})
}

type probeFormatter struct{}

func (probeFormatter) AppendEvent(dst []byte, e *events.Event) []byte {
	return append(append(dst, e.ProbeName()...), '\n')
}

func (f probeFormatter) AppendSeries(dst []byte, s []*events.Event) []byte {
	for _, e := range s {
		dst = append(append(dst, "> "...), f.AppendEvent(nil, e)...)
	}
	return dst
}

func TestStrUsesFormatter(t *testing.T) {
	evs := readEvents(t, "test_events_packets.json")
	run(t, checkFn+`
check(str(evs[1]), "raw_tracepoint/net:net_dev_start_xmit", "str(event)")
check(str(s), "> raw_tracepoint/net:net_dev_start_xmit\n> raw_tracepoint/net:netif_receive_skb", "str(series)")
check(len(s), 2, "len(series)")
check(s[1].kernel.symbol, "net:netif_receive_skb", "series index")
check([e.dev.ifindex for e in s], [11, 10], "series iteration")
check(s.first.dev.ifindex, 11, "first")
check(s.last.dev.ifindex, 10, "last")
`, starlark.StringDict{
		"evs": eventList(evs, probeFormatter{}),
		"s":   NewSeries(evs[1:3], probeFormatter{}),
	})
	// Without a formatter, str() is the JSON line.
	line, _ := evs[1].AppendJSON(nil)
	if got := New(evs[1], nil).String(); got != string(line) {
		t.Fatalf("str without formatter: %s", got)
	}
}

func TestUnknownSectionFromJSON(t *testing.T) {
	var e events.Event
	if err := e.UnmarshalJSON([]byte(`{"common":{"timestamp":1},"future-thing":{"big":18446744073709551615,"ratio":0.5,"names":["a","b"],"inner":{"kebab-key":true}}}`)); err != nil {
		t.Fatal(err)
	}
	run(t, checkFn+`
x = e.future_thing
check(x.big, 18446744073709551615, "big int")
check(x.ratio, 0.5, "float")
check(x.names, ("a", "b"), "array")
check(x.inner.kebab_key, True, "nested object, snake names")
`, starlark.StringDict{"e": New(&e, nil)})
}

func serialize(t *testing.T, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestPacketDecodeFromRetisFile(t *testing.T) {
	evs := readEvents(t, "test_events_packets.json")
	run(t, checkFn+`
d = evs[1].packet.decode()
check(d.layers, ("eth", "ip", "icmp"), "layers")
check(d.eth.src, "a6:c2:11:71:59:45", "eth src")
check(d.eth.dst, "fa:5c:bd:8e:cc:01", "eth dst")
check(d.eth.type, 0x0800, "ethertype")
check((d.ip.src, d.ip.dst), ("192.168.125.10", "192.168.125.11"), "ip addrs")
check((d.ip.ttl, d.ip.id, d.ip.len, d.ip.proto, d.ip.flags), (64, 41977, 84, 1, "DF"), "ip fields")
check((d.icmp.type, d.icmp.code, d.icmp.id, d.icmp.seq), (8, 0, 29004, 1), "icmp")
check((d.tcp, d.udp, d.ip6, d.vlan, d.arp), (None, None, None, None, None), "absent layers")
check(d.truncated, False, "whole packet")
r = evs[8].packet.decode()
check((r.icmp.type, r.ip.src), (0, "192.168.125.11"), "echo reply")
`, starlark.StringDict{"evs": eventList(evs, nil)})
}

func TestPacketDecodeLayers(t *testing.T) {
	mac1, _ := net.ParseMAC("02:00:00:00:00:01")
	mac2, _ := net.ParseMAC("02:00:00:00:00:02")
	eth := func(typ layers.EthernetType) *layers.Ethernet {
		return &layers.Ethernet{SrcMAC: mac1, DstMAC: mac2, EthernetType: typ}
	}
	ip4 := &layers.IPv4{Version: 4, IHL: 5, TTL: 63, Id: 7, Protocol: layers.IPProtocolTCP, Flags: layers.IPv4DontFragment,
		SrcIP: net.IP{10, 0, 0, 1}, DstIP: net.IP{10, 0, 0, 2}}
	tcp := &layers.TCP{SrcPort: 40000, DstPort: 443, Seq: 1000, Ack: 2000, SYN: true, ACK: true, Window: 512}
	_ = tcp.SetNetworkLayerForChecksum(ip4)
	ip6 := &layers.IPv6{Version: 6, HopLimit: 9, NextHeader: layers.IPProtocolUDP, FlowLabel: 5,
		SrcIP: net.ParseIP("fd00::1"), DstIP: net.ParseIP("fd00::2")}
	udp := &layers.UDP{SrcPort: 5353, DstPort: 53}
	_ = udp.SetNetworkLayerForChecksum(ip6)
	ip6icmp := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolICMPv6,
		SrcIP: net.ParseIP("fd00::1"), DstIP: net.ParseIP("fd00::2")}
	icmp6 := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeEchoRequest, 0)}
	_ = icmp6.SetNetworkLayerForChecksum(ip6icmp)
	arp := &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: layers.ARPRequest, SourceHwAddress: mac1, SourceProtAddress: []byte{10, 0, 0, 1},
		DstHwAddress: make([]byte, 6), DstProtAddress: []byte{10, 0, 0, 2}}
	vlan := &layers.Dot1Q{VLANIdentifier: 100, Priority: 3, Type: layers.EthernetTypeIPv4}
	ip4udp := &layers.IPv4{Version: 4, IHL: 5, TTL: 1, Protocol: layers.IPProtocolUDP, SrcIP: net.IP{1, 2, 3, 4}, DstIP: net.IP{5, 6, 7, 8}}
	udp2 := &layers.UDP{SrcPort: 1, DstPort: 2}
	_ = udp2.SetNetworkLayerForChecksum(ip4udp)

	tcpPkt := serialize(t, eth(layers.EthernetTypeIPv4), ip4, tcp, gopacket.Payload("hello"))
	globals := starlark.StringDict{
		"tcp":   Decode(tcpPkt),
		"cut":   Decode(tcpPkt[:14+20+10]),
		"udp6":  Decode(serialize(t, eth(layers.EthernetTypeIPv6), ip6, udp, gopacket.Payload("q"))),
		"icmp6": Decode(serialize(t, eth(layers.EthernetTypeIPv6), ip6icmp, icmp6, &layers.ICMPv6Echo{Identifier: 9, SeqNumber: 4})),
		"arp":   Decode(serialize(t, eth(layers.EthernetTypeARP), arp)),
		"vlan":  Decode(serialize(t, eth(layers.EthernetTypeDot1Q), vlan, ip4udp, udp2)),
		"qinq": Decode(serialize(t, eth(layers.EthernetTypeQinQ),
			&layers.Dot1Q{VLANIdentifier: 10, Type: layers.EthernetTypeDot1Q}, &layers.Dot1Q{VLANIdentifier: 20, Type: layers.EthernetTypeIPv4},
			ip4udp, udp2)),
	}
	run(t, checkFn+`
check(tcp.layers, ("eth", "ip", "tcp"), "tcp layers")
check((tcp.tcp.sport, tcp.tcp.dport, tcp.tcp.seq, tcp.tcp.ack, tcp.tcp.window), (40000, 443, 1000, 2000, 512), "tcp fields")
check((tcp.tcp.flags, tcp.tcp.syn, tcp.tcp.fin, tcp.tcp.len), ("S.", True, False, 5), "tcp flags")
check((tcp.ip.ttl, tcp.ip.id, tcp.ip.flags, tcp.ip.len), (63, 7, "DF", 45), "ip")
check(cut.tcp, None, "cut-off tcp header")
check(cut.ip.src, "10.0.0.1", "ip still there")
check(cut.truncated, True, "truncated")
check(udp6.layers, ("eth", "ip6", "udp"), "udp6 layers")
check((udp6.ip6.src, udp6.ip6.dst, udp6.ip6.hop_limit, udp6.ip6.next_header, udp6.ip6.flow_label), ("fd00::1", "fd00::2", 9, 17, 5), "ip6")
check((udp6.udp.sport, udp6.udp.dport, udp6.udp.len), (5353, 53, 9), "udp")
check((icmp6.icmp6.type, icmp6.icmp6.code, icmp6.icmp6.id, icmp6.icmp6.seq), (128, 0, 9, 4), "icmp6 echo")
check((arp.arp.op, arp.arp.sha, arp.arp.spa, arp.arp.tpa), (1, "02:00:00:00:00:01", "10.0.0.1", "10.0.0.2"), "arp")
check((vlan.vlan.id, vlan.vlan.pcp, vlan.vlan.type, len(vlan.vlans)), (100, 3, 0x0800, 1), "vlan")
check(vlan.layers, ("eth", "vlan", "ip", "udp"), "vlan layers")
check(vlan.udp.dport, 2, "udp behind vlan")
check([v.id for v in qinq.vlans], [10, 20], "QinQ keeps both tags")
check(qinq.vlan.id, 10, "vlan is the outer tag")
`, globals)
}
