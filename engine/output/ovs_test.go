package output

import (
	"testing"

	"github.com/retis-go/retis/engine/events"
)

func ovsAction(name string, a events.OVSAction) *events.OVS {
	a.Name = name
	return &events.OVS{EventType: events.OVSActionExecute, Action: &events.OVSActionEvent{Action: &a}}
}

func TestOVSEvents(t *testing.T) {
	cases := []struct {
		name string
		ovs  *events.OVS
		want string
	}{
		{"upcall", &events.OVS{EventType: events.OVSUpcall, Upcall: &events.OVSUpcallEvent{Cmd: 1, Port: 3319069055, CPU: 6}},
			"upcall (miss) port 3319069055 cpu 6"},
		{"upcall unspec", &events.OVS{Upcall: &events.OVSUpcallEvent{Cmd: 0}}, "upcall (unspec) port 0 cpu 0"},
		{"upcall action", &events.OVS{Upcall: &events.OVSUpcallEvent{Cmd: 2}}, "upcall (action) port 0 cpu 0"},
		{"upcall exec", &events.OVS{Upcall: &events.OVSUpcallEvent{Cmd: 3}}, "upcall (exec) port 0 cpu 0"},
		{"upcall unknown cmd", &events.OVS{Upcall: &events.OVSUpcallEvent{Cmd: 9, Port: 1}}, "upcall port 1 cpu 0"},
		{"enqueue", &events.OVS{EventType: events.OVSUpcallEnqueue, UpcallEnqueue: &events.OVSUpcallEnqueueEvent{
			Ret: -11, Cmd: 1, Port: 4195744766, UpcallTs: 61096236973661, UpcallCPU: 0, QueueID: 3316322986}},
			"upcall_enqueue (miss) (0/61096236973661) q 3316322986 ret -11"},
		{"return", &events.OVS{EventType: events.OVSUpcallReturn, UpcallReturn: &events.OVSUpcallReturnEvent{
			UpcallTs: 30419169098548, UpcallCPU: 6}}, "upcall_ret (6/30419169098548) ret 0"},
		{"receive", &events.OVS{EventType: events.OVSRecvUpcall, RecvUpcall: &events.OVSRecvUpcallEvent{
			Type: 1, PktSize: 98, KeySize: 200, QueueID: 3316322986, BatchTs: 5, BatchIdx: 1}},
			"upcall_recv q 3316322986 pkt_size 98"},
		{"flow exec", &events.OVS{EventType: events.OVSFlowOperation, FlowOperation: &events.OVSOperationEvent{
			OpType: "exec", QueueID: 3316322986, BatchTs: 61096237019698}}, "flow_exec q 3316322986 ts 61096237019698 (0)"},
		{"flow put", &events.OVS{EventType: events.OVSFlowOperation, FlowOperation: &events.OVSOperationEvent{
			OpType: "put", QueueID: 1, BatchTs: 2, BatchIdx: 3}}, "flow_put q 1 ts 2 (3)"},
		{"flow unknown op", &events.OVS{FlowOperation: &events.OVSOperationEvent{OpType: "del"}}, "flow_? q 0 ts 0 (0)"},
		{"lookup miss", &events.OVS{EventType: events.OVSFlowLookup, FlowLookup: &events.OVSLookupEvent{NMaskHit: 2, NCacheHit: 1}},
			"flow miss mask 2 cache 1"},
		{"no variant", &events.OVS{EventType: events.OVSUpcall}, ""},
	}
	for _, c := range cases {
		check(t, c.name, section(t, events.Event{OVS: c.ovs}, multi), c.want)
	}
}

func TestOVSActions(t *testing.T) {
	u32 := func(v uint32) *uint32 { return &v }
	queued := ovsAction("output", events.OVSAction{Port: u32(2)})
	queued.Action.QueueID = u32(1361394472)
	recirc := ovsAction("recirc", events.OVSAction{ID: u32(5)})
	recirc.Action.RecircID = 0x22
	cases := []struct {
		name string
		ovs  *events.OVS
		want string
	}{
		{"output", ovsAction("output", events.OVSAction{Port: u32(4)}), "exec oport 4"},
		{"output queued", queued, "exec oport 2 q 1361394472"},
		{"recirc", recirc, "[recirc_id 0x22] exec recirc 0x5"},
		{"drop", ovsAction("drop", events.OVSAction{Reason: u32(0)}), "exec drop 0"},
		{"unspec", &events.OVS{EventType: events.OVSActionExecute, Action: &events.OVSActionEvent{RecircID: 1}}, "[recirc_id 0x1] exec unspec"},
		{"set is a tunnel set", ovsAction("set", events.OVSAction{}), "exec tunnel_set"},
		{"unknown", ovsAction("frobnicate", events.OVSAction{}), "exec frobnicate"},
	}
	for _, name := range []string{"userspace", "push_vlan", "pop_vlan", "sample", "hash", "push_mpls", "pop_mpls",
		"set_masked", "trunc", "push_eth", "pop_eth", "ct_clear", "push_nsh", "pop_nsh", "meter", "clone",
		"check_pkt_len", "add_mpls", "dec_ttl"} {
		cases = append(cases, struct {
			name string
			ovs  *events.OVS
			want string
		}{name, ovsAction(name, events.OVSAction{}), "exec " + name})
	}
	for _, c := range cases {
		check(t, c.name, section(t, events.Event{OVS: c.ovs}, single), c.want)
	}
}

func TestOVSCtAction(t *testing.T) {
	s := func(v string) *string { return &v }
	p := func(v uint16) *uint16 { return &v }
	ct := func(flags uint32, nat *events.OVSActionCtNat) *events.OVS {
		o := ovsAction("ct", events.OVSAction{Ct: &events.OVSActionCt{Flags: flags, ZoneID: 20, Nat: nat}})
		o.Action.RecircID = 34
		return o
	}
	rangeNat := &events.OVSActionCtNat{Dir: s("dst"), MinAddr: s("10.244.1.3"), MaxAddr: s("10.244.1.30"), MinPort: p(36895), MaxPort: p(36900)}
	oneNat := &events.OVSActionCtNat{Dir: s("src"), MinAddr: s("1.2.3.4"), MaxAddr: s("1.2.3.4"), MinPort: p(80), MaxPort: p(80)}
	const (
		mapIPs    = events.OVSCtNatRangeMapIPs
		protoSpec = events.OVSCtNatRangeProtoSpecified
	)
	cases := []struct {
		name string
		ovs  *events.OVS
		want string
	}{
		// Flags 485: commit, ip4, nat src+dst, ip range, port range.
		{"nat ranges", ct(485, rangeNat), "[recirc_id 0x22] exec ct zone 20 nat(dst=10.244.1.3-10.244.1.30:36895-36900) commit"},
		{"nat single address and port", ct(mapIPs|protoSpec, oneNat), "[recirc_id 0x22] exec ct zone 20 nat(src=1.2.3.4:80)"},
		{"nat ranges not flagged", ct(0, rangeNat), "[recirc_id 0x22] exec ct zone 20 nat(dst)"},
		{"nat without direction", ct(events.OVSCtNat, &events.OVSActionCtNat{}), "[recirc_id 0x22] exec ct zone 20 nat"},
		{"all flags", ct(events.OVSCtCommit|events.OVSCtForce|events.OVSCtNatRangePersistent|
			events.OVSCtNatRangeProtoRandom|events.OVSCtNatRangeProtoRandomFully|events.OVSCtIP6, nil),
			"[recirc_id 0x22] exec ct zone 20 commit,force,persistent,hash,random"},
		{"plain", ct(events.OVSCtIP4, nil), "[recirc_id 0x22] exec ct zone 20"},
	}
	for _, c := range cases {
		check(t, c.name, section(t, events.Event{OVS: c.ovs}, single), c.want)
	}
}

func TestOVSFlows(t *testing.T) {
	ufid := [4]uint32{0x177746cc, 0x5e954c23, 0x8d4096d5, 0xbee7c6eb}
	const ufidText = "177746cc-5e95-4c23-8d40-96d5bee7c6eb"
	hit := &events.OVS{EventType: events.OVSFlowLookup, FlowLookup: &events.OVSLookupEvent{
		Flow: 0xffff8e95, SfActs: 0xffff1234, Ufid: ufid, NMaskHit: 1,
		Dpflow: "in_port(2),eth(),ipv4()", Ofpflows: []string{"table=0 priority=0 actions=NORMAL", "table=1 actions=drop"}}}
	bare := &events.OVS{EventType: events.OVSFlowLookup, FlowLookup: &events.OVSLookupEvent{Flow: 1, SfActs: 2, Ufid: ufid}}
	nft := &events.Nft{TableName: "t", ChainName: "c", Verdict: "accept"}
	detrace := &events.OVSFlowInfo{Ufid: ufid, Flow: 1, SfActs: 2, Dpflow: "recirc_id(0)", Ofpflows: []string{"f1", "f2"}}

	// The flow list is indented further, and the next section comes back
	// to the section level.
	check(t, "lookup hit", render(&events.Event{Common: &events.Common{Timestamp: 1}, OVS: hit, Nft: nft}, multi),
		"1\n  flow hit ufid "+ufidText+" mask 1 cache 0 flow ffff8e95 sf_acts ffff1234\n  odpflow in_port(2),eth(),ipv4()"+
			"\n  openflow\n      table=0 priority=0 actions=NORMAL\n      table=1 actions=drop\n  table t (0) chain c (0) accept")
	check(t, "lookup hit single-line", section(t, events.Event{OVS: hit}, single),
		"flow hit ufid "+ufidText+" mask 1 cache 0 flow ffff8e95 sf_acts ffff1234 odpflow in_port(2),eth(),ipv4()"+
			" openflow table=0 priority=0 actions=NORMAL table=1 actions=drop")
	check(t, "lookup hit without flows", section(t, events.Event{OVS: bare}, multi), "flow hit ufid "+ufidText+" mask 0 cache 0 flow 1 sf_acts 2")

	// Retis starts the flow list right after "openflow:".
	check(t, "detrace", render(&events.Event{Common: &events.Common{Timestamp: 1}, OVSDetrace: detrace, Nft: nft}, multi),
		"1\n  ufid:"+ufidText+" recirc_id(0)\n  openflow:f1\n      f2\n  table t (0) chain c (0) accept")
	check(t, "detrace single-line", section(t, events.Event{OVSDetrace: detrace}, single), "ufid:"+ufidText+" recirc_id(0) openflow: f1 f2")
	check(t, "detrace without flows", section(t, events.Event{OVSDetrace: &events.OVSFlowInfo{Ufid: ufid, Dpflow: "dp"}}, multi),
		"ufid:"+ufidText+" dp\n  openflow:")
}
