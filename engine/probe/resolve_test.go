package probe

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/cilium/ebpf/btf"

	"github.com/retis-go/retis/internal/testutils"
)

// snapshot is a made-up kernel: a few tracepoints and functions with the
// shapes that matter (skb first or later, drop reason, none at all).
type snapshot struct {
	events  []string
	syms    string
	types   *btf.Spec
	modules map[string]*btf.Spec
}

func (s snapshot) Tracepoints() ([]string, error) { return s.events, nil }
func (s snapshot) Symbols() (*Symbols, error)     { return ParseKallsyms(strings.NewReader(s.syms)) }
func (s snapshot) Types() (*btf.Spec, error)      { return s.types, nil }
func (s snapshot) ModuleTypes(m string) (*btf.Spec, error) {
	if spec, ok := s.modules[m]; ok {
		return spec, nil
	}
	return nil, fmt.Errorf("module %s: %w", m, os.ErrNotExist)
}

func newSnapshot(t *testing.T) snapshot {
	t.Helper()
	skb := &btf.Struct{Name: "sk_buff", Size: 232}
	sock := &btf.Struct{Name: "sock", Size: 8}
	dev := &btf.Struct{Name: "net_device", Size: 8}
	void := &btf.Void{}
	u32 := &btf.Int{Name: "unsigned int", Size: 4}
	reason := &btf.Enum{Name: "skb_drop_reason", Size: 4, Values: []btf.EnumValue{{Name: "SKB_DROP_REASON_NOT_SPECIFIED", Value: 2}}}
	ptr := func(t btf.Type) btf.Type { return &btf.Pointer{Target: t} }
	param := func(n string, t btf.Type) btf.FuncParam { return btf.FuncParam{Name: n, Type: t} }
	tp := func(name string, params ...btf.FuncParam) btf.Type {
		params = append([]btf.FuncParam{param("__data", ptr(void))}, params...)
		return &btf.Typedef{Name: "btf_trace_" + name, Type: ptr(&btf.FuncProto{Return: void, Params: params})}
	}
	fn := func(name string, params ...btf.FuncParam) btf.Type {
		return &btf.Func{Name: name, Type: &btf.FuncProto{Return: u32, Params: params}, Linkage: btf.GlobalFunc}
	}
	constSkb := ptr(&btf.Const{Type: skb})
	types := []btf.Type{
		tp("kfree_skb", param("skb", ptr(skb)), param("location", ptr(void)), param("reason", reason), param("rx_sk", ptr(sock))),
		tp("netif_receive_skb", param("skb", ptr(skb))),
		tp("net_dev_start_xmit", param("skb", constSkb), param("dev", ptr(dev))),
		tp("sched_switch", param("preempt", u32)),
		fn("ip_rcv", param("skb", ptr(skb)), param("dev", ptr(dev))),
		fn("tcp_v4_rcv", param("skb", ptr(skb))),
		fn("tcp_v4_connect", param("sk", ptr(sock))),
		fn("tcp_v4_inlined", param("skb", ptr(skb))),
		fn("__netif_receive_skb_core", param("pskb", ptr(ptr(skb)))),
		fn("late_skb", param("a", u32), param("b", u32), param("c", u32), param("d", u32), param("e", u32), param("f", u32), param("skb", ptr(skb))),
	}
	spec := testutils.BTFSpec(t, types...)
	return snapshot{
		events: []string{"net:net_dev_start_xmit", "net:netif_receive_skb", "sched:sched_switch", "skb:kfree_skb"},
		syms: `ffffffff81000000 T ip_rcv
ffffffff81000100 T tcp_v4_rcv
ffffffff81000200 T tcp_v4_connect
ffffffff81000300 t __netif_receive_skb_core.constprop.0
ffffffff81000400 T late_skb
ffffffff81000500 D some_data
ffffffffc0000000 t nft_do_chain	[nf_tables]
`,
		types: spec,
	}
}

func names(ts []*Target) string {
	var n []string
	for _, t := range ts {
		n = append(n, t.String())
	}
	return strings.Join(n, " ")
}

func TestResolve(t *testing.T) {
	k := newSnapshot(t)
	for _, tc := range []struct {
		spec string
		want string
		args []Args
	}{
		{"tp:skb:kfree_skb", "tp:skb:kfree_skb", []Args{{Count: 4, Skb: 0, DropReason: 2, Dev: -1, Net: -1, NftPktinfo: -1, NftTraceinfo: -1}}},
		{"net:net_dev_start_xmit", "tp:net:net_dev_start_xmit", []Args{{Count: 2, Skb: 0, DropReason: -1, Dev: 1, Net: -1, NftPktinfo: -1, NftTraceinfo: -1}}},
		{"tp:net:*", "tp:net:net_dev_start_xmit tp:net:netif_receive_skb", nil},
		{"tp:*skb*", "tp:net:netif_receive_skb tp:skb:kfree_skb", nil},
		{"ip_rcv", "kprobe:ip_rcv", []Args{{Count: 2, Skb: 0, DropReason: -1, Dev: 1, Net: -1, NftPktinfo: -1, NftTraceinfo: -1}}},
		{"kr:tcp_v4_rcv", "kretprobe:tcp_v4_rcv", nil},
		// tcp_v4_connect has no skb, tcp_v4_inlined is not in kallsyms.
		{"kprobe:tcp_v4_*", "kprobe:tcp_v4_rcv", nil},
		{"late_skb", "kprobe:late_skb", []Args{{Count: 7, Skb: 6, DropReason: -1, Dev: -1, Net: -1, NftPktinfo: -1, NftTraceinfo: -1}}},
	} {
		s, err := Parse(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Resolve(k, s)
		if err != nil {
			t.Errorf("%s: %v", tc.spec, err)
			continue
		}
		if names(got) != tc.want {
			t.Errorf("%s: got %s, want %s", tc.spec, names(got), tc.want)
		}
		for i, a := range tc.args {
			if got[i].Args != a {
				t.Errorf("%s: args %+v, want %+v", tc.spec, got[i].Args, a)
			}
		}
	}
}

func TestResolveErrors(t *testing.T) {
	k := newSnapshot(t)
	for _, tc := range []struct{ spec, want string }{
		{"tp:sched:sched_switch", "no struct sk_buff argument"},
		{"tcp_v4_connect", "no struct sk_buff argument"},
		{"tp:sched:*", "none of the 1 matching targets takes a struct sk_buff"},
		{"tp:skb:nope", "no such tracepoint"},
		{"tp:kfree_*", "no tracepoint matches"},
		{"nope", "no kernel function nope"},
		{"tcp_v4_inlined", "not a traceable kernel function"},
		{"kprobe:zzz_*", "no kernel function matches"},
	} {
		s, err := Parse(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Resolve(k, s)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.spec, err, tc.want)
		}
	}
	s, _ := Parse("tcp_v4_connect")
	if _, err := Resolve(k, s); !errors.Is(err, ErrNoSkb) {
		t.Errorf("tcp_v4_connect: %v is not ErrNoSkb", err)
	}
}

// A function known to kallsyms only by a compiler-suffixed name attaches
// by that name.
func TestResolveSuffixedSymbol(t *testing.T) {
	k := newSnapshot(t)
	syms, _ := k.Symbols()
	if sym, ok := syms.Symbol("__netif_receive_skb_core"); !ok || sym != "__netif_receive_skb_core.constprop.0" {
		t.Errorf("Symbol = %q, %v", sym, ok)
	}
	if syms.Has("some_data") {
		t.Error("data symbols must not count as functions")
	}
	if name, off, ok := syms.Lookup(0xffffffff81000123); !ok || name != "tcp_v4_rcv" || off != 0x23 {
		t.Errorf("Lookup = %s+%#x %v", name, off, ok)
	}
	if got := syms.Format(0xffffffff81000123); got != "tcp_v4_rcv+0x23" {
		t.Errorf("Format = %s", got)
	}
	if got := syms.Format(0x10); got != "0x10" {
		t.Errorf("Format below every symbol = %s", got)
	}
	if got := syms.Format(0xffffffffc0000042); got != "nft_do_chain+0x42" {
		t.Errorf("module symbol: %s", got)
	}
	if syms.Dynamic(0xffffffff81000410) || !syms.Dynamic(0xffffffffc0000042) {
		t.Error("kernel image and module addresses told apart wrongly")
	}
}

// The running kernel's default probes resolve with the skb where the
// tracepoints put it.
func TestResolveHost(t *testing.T) {
	requireRoot(t)
	k := HostKernel()
	// skb:kfree_skb gained rx_sk in 6.10: only its first three
	// arguments are fixed.
	for spec, want := range map[string]Args{
		"tp:net:netif_receive_skb":  {Count: 1, Skb: 0, DropReason: -1, Dev: -1, Net: -1, NftPktinfo: -1, NftTraceinfo: -1},
		"tp:net:net_dev_start_xmit": {Count: 2, Skb: 0, DropReason: -1, Dev: 1, Net: -1, NftPktinfo: -1, NftTraceinfo: -1},
		"tp:skb:kfree_skb":          {Count: 3, Skb: 0, DropReason: 2, Dev: -1, Net: -1, NftPktinfo: -1, NftTraceinfo: -1},
	} {
		s, _ := Parse(spec)
		ts, err := Resolve(k, s)
		if err != nil {
			t.Fatal(err)
		}
		got := ts[0].Args
		if spec == "tp:skb:kfree_skb" && got.Count == 4 {
			got.Count = 3
		}
		if got != want {
			t.Errorf("%s: %+v, want %+v", spec, ts[0].Args, want)
		}
	}
	s, _ := Parse("tp:net:*")
	ts, err := Resolve(k, s)
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range ts {
		if !strings.HasPrefix(tg.Name, "net:") || tg.Args.Skb < 0 {
			t.Errorf("tp:net:* gave %s with args %+v", tg.Name, tg.Args)
		}
	}
	if len(ts) < 5 {
		t.Errorf("tp:net:* gave only %s", names(ts))
	}
}

// Every kernel function taking an skb is a kprobe target, with the skb
// found; the same functions come back for a narrower pattern.
func TestResolveHostFunctions(t *testing.T) {
	requireRoot(t)
	all, err := Resolve(HostKernel(), Spec{Kind: Kprobe, Target: "*"})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 100 {
		t.Fatalf("only %d functions take an skb", len(all))
	}
	var tcp []string
	for _, tg := range all {
		if !tg.Args.HasSkb() || tg.Symbol == "" {
			t.Errorf("%s: args %+v symbol %q", tg, tg.Args, tg.Symbol)
		}
		if strings.HasPrefix(tg.Name, "tcp_v4_") {
			tcp = append(tcp, tg.Name)
		}
	}
	some, err := Resolve(HostKernel(), Spec{Kind: Kprobe, Target: "tcp_v4_*"})
	if err != nil {
		t.Fatal(err)
	}
	if names(some) == "" || len(some) != len(tcp) {
		t.Errorf("tcp_v4_* gave %s, the full list has %v", names(some), tcp)
	}
	ip, err := Resolve(HostKernel(), Spec{Kind: Kprobe, Target: "ip_rcv"})
	if err != nil {
		t.Fatal(err)
	}
	if ip[0].Args.Skb != 0 || ip[0].Args.Dev != 1 {
		t.Errorf("ip_rcv args %+v", ip[0].Args)
	}
}

// nfTablesSnapshot is a kernel whose nf_tables is a module, with
// __nft_trace_packet shaped as on Linux 6.1 (the trace state carries the
// packet) or 6.3 and later (the packet is an argument).
func nfTablesSnapshot(t *testing.T, pktInInfo bool) snapshot {
	t.Helper()
	k := newSnapshot(t)
	ptr := func(t btf.Type) btf.Type { return &btf.Pointer{Target: t} }
	param := func(n string, t btf.Type) btf.FuncParam { return btf.FuncParam{Name: n, Type: t} }
	skb := &btf.Struct{Name: "sk_buff", Size: 232}
	pkt := &btf.Struct{Name: "nft_pktinfo", Size: 8, Members: []btf.Member{{Name: "skb", Type: ptr(skb)}}}
	info := &btf.Struct{Name: "nft_traceinfo", Size: 8, Members: []btf.Member{{Name: "basechain", Type: ptr(&btf.Void{})}}}
	chain := &btf.Struct{Name: "nft_chain", Size: 8}
	verdict := &btf.Struct{Name: "nft_verdict", Size: 8}
	rule := &btf.Struct{Name: "nft_rule_dp", Size: 8}
	typ := &btf.Enum{Name: "nft_trace_types", Size: 4}
	void := &btf.Void{}
	var params []btf.FuncParam
	if pktInInfo {
		info.Members = append(info.Members, btf.Member{Name: "pkt", Type: ptr(&btf.Const{Type: pkt}), Offset: 64})
		info.Size = 16
		params = []btf.FuncParam{param("info", ptr(info)), param("chain", ptr(&btf.Const{Type: chain})), param("type", typ)}
	} else {
		params = []btf.FuncParam{
			param("pkt", ptr(&btf.Const{Type: pkt})), param("verdict", ptr(&btf.Const{Type: verdict})),
			param("rule", ptr(&btf.Const{Type: rule})), param("info", ptr(info)), param("type", typ),
		}
	}
	types := []btf.Type{
		&btf.Func{Name: "__nft_trace_packet", Type: &btf.FuncProto{Return: void, Params: params}, Linkage: btf.StaticFunc},
		// Only the trace state, without the packet on 6.3 and later.
		&btf.Func{Name: "nft_trace_state", Type: &btf.FuncProto{Return: void, Params: []btf.FuncParam{param("info", ptr(info))}}, Linkage: btf.StaticFunc},
	}
	spec := testutils.BTFSpec(t, types...)
	k.syms += "ffffffffc0000100 t __nft_trace_packet\t[nf_tables]\n" +
		"ffffffffc0000200 t nft_trace_state\t[nf_tables]\n" +
		"ffffffffc1000000 t ovs_dp_upcall\t[openvswitch]\n"
	k.modules = map[string]*btf.Spec{"nf_tables": spec}
	return k
}

// A function of a module resolves through the module's BTF; nf_tables'
// functions without an skb argument reach it through their packet state.
func TestResolveModuleFunction(t *testing.T) {
	for _, tc := range []struct {
		name      string
		pktInInfo bool
		want      Args
	}{
		{"6.1", true, Args{Count: 3, Skb: -1, DropReason: -1, Dev: -1, Net: -1, NftPktinfo: -1, NftTraceinfo: 0, TraceinfoPkt: true}},
		{"6.12", false, Args{Count: 5, Skb: -1, DropReason: -1, Dev: -1, Net: -1, NftPktinfo: 0, NftTraceinfo: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := nfTablesSnapshot(t, tc.pktInInfo)
			s, _ := Parse("kprobe:__nft_trace_packet")
			ts, err := Resolve(k, s)
			if err != nil {
				t.Fatal(err)
			}
			tg := ts[0]
			if tg.Module != "nf_tables" || tg.Symbol != "__nft_trace_packet" || tg.Func != "__nft_trace_packet" {
				t.Errorf("target %+v", tg)
			}
			if tg.Args != tc.want || !tg.Args.HasSkb() {
				t.Errorf("args %+v, want %+v", tg.Args, tc.want)
			}
			s, _ = Parse("kprobe:nft_trace_state")
			_, err = Resolve(k, s)
			if tc.pktInInfo && err != nil {
				t.Errorf("nft_trace_state, whose trace state has the packet: %v", err)
			}
			if !tc.pktInInfo && !errors.Is(err, ErrNoSkb) {
				t.Errorf("nft_trace_state without a packet: %v, want ErrNoSkb", err)
			}
		})
	}
	k := nfTablesSnapshot(t, false)
	syms, _ := k.Symbols()
	if m := syms.Module("__nft_trace_packet"); m != "nf_tables" {
		t.Errorf("module of __nft_trace_packet: %q", m)
	}
	if m := syms.Module("ip_rcv"); m != "" {
		t.Errorf("module of ip_rcv: %q", m)
	}
	s, _ := Parse("kprobe:ovs_dp_upcall")
	if _, err := Resolve(k, s); err == nil || !strings.Contains(err.Error(), "module openvswitch") {
		t.Errorf("function of a module without BTF: %v", err)
	}
}
