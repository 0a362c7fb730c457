package output

import (
	"strings"
	"testing"

	"github.com/retis-go/retis/engine/events"
)

func ptr[T any](v T) *T { return &v }

var (
	multi  = &Format{Multiline: true}
	single = &Format{}
)

// render renders e in format f.
func render(e *events.Event, f *Format) string { return string(AppendEvent(nil, e, f)) }

func common(ts uint64) *events.Common {
	return &events.Common{Timestamp: ts, SmpID: ptr[uint32](6), Task: &events.Task{Pid: 11330, Tgid: 11330, Comm: "ping"}}
}

func tp(sym string) *events.Kernel {
	return &events.Kernel{Symbol: sym, ProbeType: events.ProbeRawTracepoint}
}

func check(t *testing.T, name, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s:\n got: %q\nwant: %q", name, got, want)
	}
}

func TestHeader(t *testing.T) {
	track := &events.SkbTracking{OrigHead: 0xffff8e95c3b67c00, Timestamp: 0x1baa83c42ba1, Skb: 0xffff8e95d3009100}
	cases := []struct {
		name string
		e    events.Event
		want string
	}{
		{"timestamp only", events.Event{Common: &events.Common{Timestamp: 42}}, "42"},
		{"task", events.Event{Common: common(7)}, "7 (6) [ping] 11330"},
		{"thread", events.Event{Common: &events.Common{Timestamp: 7, Task: &events.Task{Pid: 985, Tgid: 995, Comm: "handler8"}}},
			"7 [handler8] 985/995"},
		{"tracepoint", events.Event{Common: common(7), Kernel: tp("skb:kfree_skb")}, "7 (6) [ping] 11330 [tp] skb:kfree_skb"},
		{"kprobe", events.Event{Common: common(7), Kernel: &events.Kernel{Symbol: "ip_rcv", ProbeType: events.ProbeKprobe}},
			"7 (6) [ping] 11330 [k] ip_rcv"},
		{"kretprobe", events.Event{Common: common(7), Kernel: &events.Kernel{Symbol: "ovs_dp_upcall", ProbeType: events.ProbeKretprobe}},
			"7 (6) [ping] 11330 [kr] ovs_dp_upcall"},
		{"unknown probe type", events.Event{Common: common(7), Kernel: &events.Kernel{Symbol: "x", ProbeType: "uprobe"}},
			"7 (6) [ping] 11330 [invalid] x"},
		{"usdt", events.Event{Common: common(7), Userspace: &events.User{ProbeType: "usdt", Symbol: "dpif_recv:recv_upcall", Path: "/usr/sbin/ovs-vswitchd"}},
			"7 (6) [ping] 11330 [u] dpif_recv:recv_upcall (ovs-vswitchd)"},
		{"usdt bare path", events.Event{Common: common(7), Userspace: &events.User{Symbol: "probe", Path: "ovs-vswitchd"}},
			"7 (6) [ping] 11330 [u] probe"},
		{"kernel wins over userspace", events.Event{Common: common(7), Kernel: tp("a"), Userspace: &events.User{Symbol: "b"}},
			"7 (6) [ping] 11330 [tp] a"},
		{"tracking", events.Event{Common: common(7), Kernel: tp("a"), SkbTracking: track},
			"7 (6) [ping] 11330 [tp] a #1baa83c42ba1ffff8e95c3b67c00 (skb ffff8e95d3009100)"},
		{"tracking id zero-padded low word", events.Event{Common: common(7), SkbTracking: &events.SkbTracking{OrigHead: 0x10, Timestamp: 1, Skb: 2}},
			"7 (6) [ping] 11330 #10000000000000010 (skb 2)"},
		{"tracking without timestamp", events.Event{Common: common(7), SkbTracking: &events.SkbTracking{OrigHead: 0xabc, Skb: 0xdef}},
			"7 (6) [ping] 11330 #abc (skb def)"},
		{"sorted tracking", events.Event{Common: common(7), SkbTracking: &events.SkbTracking{OrigHead: 1, Timestamp: 1, Skb: 9},
			Tracking: &events.Tracking{Skb: *track, Idx: 3}},
			"7 (6) [ping] 11330 #1baa83c42ba1ffff8e95c3b67c00 (skb ffff8e95d3009100) n 3"},
		{"drop", events.Event{Common: common(7), Kernel: tp("skb:kfree_skb"), SkbTracking: track, SkbDrop: &events.SkbDrop{DropReason: "NO_SOCKET"}},
			"7 (6) [ping] 11330 [tp] skb:kfree_skb #1baa83c42ba1ffff8e95c3b67c00 (skb ffff8e95d3009100) drop (reason NO_SOCKET)"},
		{"drop subsystem", events.Event{Common: common(7), SkbDrop: &events.SkbDrop{Subsys: ptr("OPENVSWITCH"), DropReason: "OVS_DROP_LAST_ACTION"}},
			"7 (6) [ping] 11330 drop (reason OPENVSWITCH/OVS_DROP_LAST_ACTION)"},
		{"no common section", events.Event{Kernel: tp("a"), SkbDrop: &events.SkbDrop{DropReason: "X"}}, "[tp] a drop (reason X)"},
	}
	for _, c := range cases {
		check(t, c.name, render(&c.e, multi), c.want)
		check(t, c.name+" single-line", render(&c.e, single), c.want)
	}
}

func TestStackTrace(t *testing.T) {
	k := tp("skb:kfree_skb")
	k.StackTrace = []string{"kfree_skb_reason+0x1", "tcp_v4_rcv+0x2", "ip_local_deliver+0x3"}
	e := &events.Event{Common: common(7), Kernel: k, Netns: &events.Netns{Inum: 4026531840}}
	check(t, "multi-line", render(e, multi),
		"7 (6) [ping] 11330 [tp] skb:kfree_skb\n    kfree_skb_reason+0x1\n    tcp_v4_rcv+0x2\n    ip_local_deliver+0x3\n  ns 4026531840")
	check(t, "single-line", render(e, single),
		"7 (6) [ping] 11330 [tp] skb:kfree_skb [kfree_skb_reason+0x1, tcp_v4_rcv+0x2, ip_local_deliver+0x3] ns 4026531840")
	k.StackTrace = []string{}
	// Retis's formatter writes the prefix of a line before knowing it
	// stays empty: the empty stack leaves a line of two spaces.
	check(t, "empty multi-line", render(e, multi), "7 (6) [ping] 11330 [tp] skb:kfree_skb\n  \n  ns 4026531840")
	check(t, "empty single-line", render(e, single), "7 (6) [ping] 11330 [tp] skb:kfree_skb [] ns 4026531840")
}

func TestNetnsDev(t *testing.T) {
	dev := &events.Dev{Name: "eth0", Ifindex: 3, RxIfindex: ptr[uint32](2)}
	cases := []struct {
		name      string
		e         events.Event
		multi, sl string
	}{
		{"cookie", events.Event{Common: common(1), Netns: &events.Netns{Cookie: ptr[uint64](0x3), Inum: 4026532741}},
			"1 (6) [ping] 11330\n  ns 0x3/4026532741", "1 (6) [ping] 11330 ns 0x3/4026532741"},
		{"netns and dev share a line", events.Event{Common: common(1), Netns: &events.Netns{Inum: 5}, Dev: dev},
			"1 (6) [ping] 11330\n  ns 5 if 3 (eth0) rxif 2", "1 (6) [ping] 11330 ns 5 if 3 (eth0) rxif 2"},
		{"dev alone", events.Event{Common: common(1), Dev: &events.Dev{Ifindex: 3}},
			"1 (6) [ping] 11330\n  if 3", "1 (6) [ping] 11330 if 3"},
	}
	for _, c := range cases {
		check(t, c.name, render(&c.e, multi), c.multi)
		check(t, c.name+" single-line", render(&c.e, single), c.sl)
	}
}

// section renders an event made of a common section and the given one,
// and returns what follows the header.
func section(t *testing.T, e events.Event, f *Format) string {
	t.Helper()
	e.Common = &events.Common{Timestamp: 1}
	s := render(&e, f)
	switch {
	case strings.HasPrefix(s, "1\n  "):
		return s[4:]
	case strings.HasPrefix(s, "1 "):
		return s[2:]
	case s == "1":
		return ""
	}
	t.Fatalf("unexpected rendering %q", s)
	return ""
}

func TestSkb(t *testing.T) {
	meta := func(summed uint8, csum uint32) *events.SkbMeta {
		return &events.SkbMeta{Len: 1500, DataLen: 1400, Hash: 0x1234, IPSummed: summed, Csum: csum, CsumLevel: 1, Priority: 6}
	}
	ref := &events.SkbDataRef{Nohdr: true, Cloned: true, Fclone: 2, Users: 2, Dataref: 3}
	vlan := &events.SkbVlanAccel{Proto: 0x8100, Pcp: 2, Dei: true, Vid: 100}
	ll := &Format{PrintLL: true}
	cases := []struct {
		name string
		skb  events.Skb
		f    *Format
		want string
	}{
		{"none", events.Skb{Meta: &events.SkbMeta{Len: 98}, DataRef: &events.SkbDataRef{Users: 1, Dataref: 1}}, single,
			"skb [csum none len 98 priority 0 users 1 dataref 1]"},
		{"unnecessary", events.Skb{Meta: meta(1, 0)}, single, "skb [csum unnecessary (level 1) hash 0x1234 len 1500 data_len 1400 priority 6]"},
		{"complete", events.Skb{Meta: meta(2, 0xc0473fb8)}, single, "skb [csum complete (0xc0473fb8) hash 0x1234 len 1500 data_len 1400 priority 6]"},
		{"partial", events.Skb{Meta: meta(3, 16<<16|34)}, single, "skb [csum partial (start 34 off 16) hash 0x1234 len 1500 data_len 1400 priority 6]"},
		{"unknown", events.Skb{Meta: meta(7, 0)}, single, "skb [csum unknown (7) hash 0x1234 len 1500 data_len 1400 priority 6]"},
		{"data ref", events.Skb{DataRef: ref}, single, "skb [nohdr cloned fclone 2 users 2 dataref 3]"},
		{"gso", events.Skb{GSO: &events.SkbGSO{Flags: 2, Frags: 3, Size: 1448, Segs: 4, Type: 1}}, single,
			"gso [type 0x1 flags 0x2 frags 3 segs 4 size 1448]"},
		{"gso zero", events.Skb{GSO: &events.SkbGSO{}}, single, "gso [type 0x0 size 0]"},
		{"everything", events.Skb{VlanAccel: vlan, Meta: &events.SkbMeta{Len: 60}, DataRef: &events.SkbDataRef{Users: 1, Dataref: 1}, GSO: &events.SkbGSO{Size: 10}}, ll,
			"vlan_accel (ethertype 802.1Q (0x8100) vlan 100 p 2 DEI) skb [csum none len 60 priority 0 users 1 dataref 1] gso [type 0x0 size 10]"},
		{"vlan needs link layer", events.Skb{VlanAccel: vlan, GSO: &events.SkbGSO{Size: 10}}, single, "gso [type 0x0 size 10]"},
		{"vlan alone without link layer", events.Skb{VlanAccel: vlan}, multi, ""},
		{"vlan unnamed proto", events.Skb{VlanAccel: &events.SkbVlanAccel{Proto: 0x1234, Vid: 1}}, ll, "vlan_accel (ethertype (0x1234) vlan 1 p 0)"},
		{"empty", events.Skb{}, multi, ""},
	}
	for _, c := range cases {
		check(t, c.name, section(t, events.Event{Skb: &c.skb}, c.f), c.want)
	}
}

func TestNft(t *testing.T) {
	n := &events.Nft{TableName: "filter", ChainName: "input", Verdict: "jump", TableHandle: 1, ChainHandle: 2,
		RuleHandle: ptr[int64](5), VerdictChainName: ptr("my_chain")}
	check(t, "rule", section(t, events.Event{Nft: n}, multi), "table filter (1) chain input (2) handle 5 jump chain my_chain")
	p := &events.Nft{TableName: "filter", ChainName: "input", Verdict: "drop", TableHandle: 1, ChainHandle: 2, Policy: true}
	check(t, "policy", section(t, events.Event{Nft: p}, multi), "table filter (1) chain input (2) drop (policy)")
}

func TestCt(t *testing.T) {
	tuple := func(src, dst string, p events.CtProto) events.CtTuple {
		return events.CtTuple{IP: events.CtIP{Src: src, Dst: dst, Version: "v4"}, Proto: p}
	}
	tcp := func(s, d uint16) events.CtProto { return events.CtProto{TCP: &events.CtPorts{Sport: s, Dport: d}} }
	udp := func(s, d uint16) events.CtProto { return events.CtProto{UDP: &events.CtPorts{Sport: s, Dport: d}} }
	tcpConn := events.CtConn{ZoneID: 5, ZoneDir: "Original", Orig: tuple("10.0.0.1", "10.0.0.2", tcp(1234, 80)),
		Reply: tuple("10.0.0.2", "10.0.0.1", tcp(80, 1234)), ProtoState: ptr("ESTABLISHED"), Mark: ptr[uint32](3),
		Labels: &events.U128{Hi: 1, Lo: 2}, CtStatus: 0x19a}
	udpConn := events.CtConn{ZoneID: 7, ZoneDir: "Reply", Orig: tuple("10.0.0.1", "10.0.0.2", udp(53, 5353)),
		Reply: tuple("10.0.0.2", "10.0.0.1", udp(5353, 53))}
	icmpConn := events.CtConn{ZoneDir: "Default", CtStatus: 8,
		Orig:  tuple("10.0.0.1", "10.0.0.2", events.CtProto{ICMP: &events.CtICMP{Type: 8, ID: 29004}}),
		Reply: tuple("10.0.0.2", "10.0.0.1", events.CtProto{ICMP: &events.CtICMP{Type: 0, ID: 29004}})}
	sctpConn := events.CtConn{ZoneDir: "Default", CtStatus: 8, ProtoState: ptr("COOKIE_WAIT"),
		Orig:  tuple("10.0.0.1", "10.0.0.2", events.CtProto{SCTP: &events.CtSCTP{Sport: 5000, Dport: 6000}}),
		Reply: tuple("10.0.0.2", "10.0.0.1", events.CtProto{SCTP: &events.CtSCTP{Sport: 6000, Dport: 5000, Vtag: 0xdeadbeef}})}
	noState := tcpConn
	noState.ProtoState, noState.Mark, noState.Labels, noState.ZoneDir = nil, nil, &events.U128{Lo: 0}, "Default"
	unzoned := udpConn
	unzoned.ZoneDir, unzoned.Mark = "None", ptr[uint32](1)
	mixed := events.CtConn{ZoneDir: "Default", Orig: tuple("a", "b", tcp(1, 2)), Reply: tuple("b", "a", udp(2, 1))}

	const (
		tcpText  = "status 0x19a tcp (ESTABLISHED) orig [10.0.0.1.1234 > 10.0.0.2.80] reply [10.0.0.2.80 > 10.0.0.1.1234] orig-zone 5 mark 3 labels 0x10000000000000002"
		icmpText = "status 0x8 icmp orig [10.0.0.1 > 10.0.0.2 type 8 code 0 id 29004] reply [10.0.0.2 > 10.0.0.1 type 0 code 0 id 29004] zone 0"
	)
	cases := []struct {
		name string
		ct   events.Ct
		f    *Format
		want string
	}{
		{"tcp", events.Ct{State: "established", CtConn: tcpConn}, multi, "ct_state ESTABLISHED " + tcpText},
		{"tcp without state", events.Ct{State: "new", CtConn: noState}, multi,
			"ct_state NEW status 0x19a tcp (UNKNOWN) orig [10.0.0.1.1234 > 10.0.0.2.80] reply [10.0.0.2.80 > 10.0.0.1.1234] zone 5 labels 0x0"},
		{"udp", events.Ct{State: "reply", CtConn: udpConn}, multi,
			"ct_state REPLY status 0x0 udp orig [10.0.0.1.53 > 10.0.0.2.5353] reply [10.0.0.2.5353 > 10.0.0.1.53] reply-zone 7"},
		{"no zone keeps the space", events.Ct{State: "untracked", CtConn: unzoned}, multi,
			"ct_state UNTRACKED status 0x0 udp orig [10.0.0.1.53 > 10.0.0.2.5353] reply [10.0.0.2.5353 > 10.0.0.1.53]  mark 1"},
		{"icmp", events.Ct{State: "related_reply", CtConn: icmpConn}, multi, "ct_state RELATED_REPLY " + icmpText},
		{"sctp", events.Ct{State: "new", CtConn: sctpConn}, multi,
			"ct_state NEW status 0x8 sctp (COOKIE_WAIT) orig [10.0.0.1.5000 > 10.0.0.2.6000 vtag 0x0] reply [10.0.0.2.6000 > 10.0.0.1.5000 vtag 0xdeadbeef] zone 0"},
		{"mismatched protocols", events.Ct{State: "new", CtConn: mixed}, multi, "ct_state NEW status 0x0 zone 0"},
		{"unknown state", events.Ct{State: "weird", CtConn: mixed}, multi, "ct_state WEIRD status 0x0 zone 0"},
		{"parent", events.Ct{State: "related", CtConn: icmpConn, Parent: &tcpConn}, multi,
			"ct_state RELATED " + icmpText + "\n  \\ parent [" + tcpText + "]"},
		{"parent single-line", events.Ct{State: "related", CtConn: icmpConn, Parent: &tcpConn}, single,
			"ct_state RELATED " + icmpText + " parent [" + tcpText + "]"},
	}
	for _, c := range cases {
		check(t, c.name, section(t, events.Event{Ct: &c.ct}, c.f), c.want)
	}
}

func TestStartup(t *testing.T) {
	old := &events.Startup{RetisVersion: "v1.6.0", ClockMonotonicOffset: events.TimeSpec{Sec: 1742309146, Nsec: 691042000}}
	upgraded := *old
	upgraded.Cmdline = "unknown"
	upgraded.Machine = events.Machine{KernelRelease: "unknown", KernelVersion: "unknown", HardwareName: "unknown"}
	now := &events.Startup{RetisVersion: "v1.7.0", Cmdline: "retis collect -o x", ClockMonotonicOffset: old.ClockMonotonicOffset,
		Machine:   events.Machine{KernelRelease: "6.18.0", KernelVersion: "#1 SMP", HardwareName: "x86_64"},
		SplitFile: &events.SplitFile{ID: 2, Policy: events.RotationPolicy{Kind: "size", Limit: 10}}}
	noSplit := *now
	noSplit.SplitFile = nil

	check(t, "1.6", section(t, events.Event{Startup: old}, multi), "Retis version v1.6.0")
	check(t, "1.6 upgraded", section(t, events.Event{Startup: &upgraded}, multi), "Retis version v1.6.0")
	check(t, "current", section(t, events.Event{Startup: now}, multi),
		"collected with Retis v1.7.0\n  on machine 6.18.0 #1 SMP x86_64\n  file id 2\n  cmdline retis collect -o x")
	check(t, "current single-line", section(t, events.Event{Startup: now}, single),
		"collected with Retis v1.7.0 on machine 6.18.0 #1 SMP x86_64 file id 2 cmdline retis collect -o x")
	check(t, "no split", section(t, events.Event{Startup: &noSplit}, single),
		"collected with Retis v1.7.0 on machine 6.18.0 #1 SMP x86_64 cmdline retis collect -o x")

	// The compat file's startup event, as Retis 1.6 prints it.
	evs := readEvents(t, "test_events_packets.json")
	check(t, "compat file", render(evs[0], multi), "30415793489711\n  Retis version v1.6.0")
}

func TestUTC(t *testing.T) {
	off := events.TimeSpec{Sec: 1742309146, Nsec: 691042000}
	e := &events.Event{Common: &events.Common{Timestamp: 30419169061793}}
	check(t, "utc", render(e, &Format{Time: UTCTime, MonotonicOffset: &off}), "2025-03-18 23:12:45.860103")
	check(t, "no offset", render(e, &Format{Time: UTCTime}), "30419169061793")
	check(t, "monotonic", render(e, &Format{MonotonicOffset: &off}), "30419169061793")

	carry := events.TimeSpec{Sec: 1742309146, Nsec: 999_999_999}
	e2 := &events.Event{Common: &events.Common{Timestamp: 1_000_000_002}}
	check(t, "nanosecond carry", render(e2, &Format{Time: UTCTime, MonotonicOffset: &carry}), "2025-03-18 14:45:48.000000")

	// A startup event uses its own offset.
	s := &events.Event{Common: &events.Common{Timestamp: 1}, Startup: &events.Startup{RetisVersion: "v1.6.0", ClockMonotonicOffset: events.TimeSpec{Sec: 1742309146}}}
	check(t, "startup offset", render(s, &Format{Time: UTCTime}), "2025-03-18 14:45:46.000000 Retis version v1.6.0")
}

func TestColor(t *testing.T) {
	e := &events.Event{Common: &events.Common{Timestamp: 1}, Kernel: tp("skb:kfree_skb"), SkbDrop: &events.SkbDrop{DropReason: "NO_SOCKET"},
		Dev: &events.Dev{Ifindex: 1}}
	plain := render(e, multi)
	colored := render(e, &Format{Multiline: true, Color: true})
	check(t, "colored", colored, "1 \x1b[36m[tp] skb:kfree_skb\x1b[0m \x1b[1;31mdrop (reason NO_SOCKET)\x1b[0m\n  if 1")
	stripped := strings.NewReplacer(colorProbe, "", colorDrop, "", colorReset, "").Replace(colored)
	check(t, "colour only adds escapes", stripped, plain)
	if strings.Contains(plain, "\x1b") {
		t.Errorf("escape without colour: %q", plain)
	}
}

// TestSectionOrder checks the order of the sections and the separators
// between them.
func TestSectionOrder(t *testing.T) {
	k := tp("a")
	k.StackTrace = []string{"f+0x1"}
	e := &events.Event{
		Common: &events.Common{Timestamp: 1}, Kernel: k,
		Startup:    &events.Startup{RetisVersion: "v1.6.0"},
		Ct:         &events.Ct{State: "new", CtConn: events.CtConn{ZoneDir: "None"}},
		Nft:        &events.Nft{TableName: "t", ChainName: "c", Verdict: "accept"},
		OVSDetrace: &events.OVSFlowInfo{Dpflow: "dp", Ofpflows: []string{"of"}},
		OVS:        &events.OVS{EventType: events.OVSRecvUpcall, RecvUpcall: &events.OVSRecvUpcallEvent{QueueID: 1, PktSize: 2}},
		Skb:        &events.Skb{GSO: &events.SkbGSO{}},
		Dev:        &events.Dev{Ifindex: 2},
		Netns:      &events.Netns{Inum: 3},
		Packet:     &events.Packet{Data: []byte{1, 2}},
	}
	check(t, "multi-line", render(e, multi), "1 [tp] a\n    f+0x1\n  ... (truncated or incomplete packet)\n  ns 3 if 2\n  gso [type 0x0 size 0]"+
		"\n  upcall_recv q 1 pkt_size 2\n  ufid:00000000-0000-0000-0000-000000000000 dp\n  openflow:of\n  table t (0) chain c (0) accept"+
		"\n  ct_state NEW status 0x0 \n  Retis version v1.6.0")
	check(t, "single-line", render(e, single), "1 [tp] a [f+0x1] ... (truncated or incomplete packet) ns 3 if 2 gso [type 0x0 size 0]"+
		" upcall_recv q 1 pkt_size 2 ufid:00000000-0000-0000-0000-000000000000 dp openflow: of table t (0) chain c (0) accept"+
		" ct_state NEW status 0x0  Retis version v1.6.0")
}
