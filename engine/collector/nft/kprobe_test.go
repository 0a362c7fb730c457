package nft

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"unsafe"

	"github.com/cilium/ebpf/btf"

	"github.com/retis-go/retis/bpf"
	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/output"
	"github.com/retis-go/retis/engine/probe"
	"github.com/retis-go/retis/internal/testutils"
)

// fakeKernel is a kernel with nf_tables as a module whose trace function
// has the shape of Linux 6.1 or of 6.12.
type fakeKernel struct {
	syms    string
	types   *btf.Spec
	modules map[string]*btf.Spec
}

func (k fakeKernel) Tracepoints() ([]string, error) { return nil, nil }
func (k fakeKernel) Symbols() (*probe.Symbols, error) {
	return probe.ParseKallsyms(strings.NewReader(k.syms))
}
func (k fakeKernel) Types() (*btf.Spec, error) { return k.types, nil }
func (k fakeKernel) ModuleTypes(m string) (*btf.Spec, error) {
	if s, ok := k.modules[m]; ok {
		return s, nil
	}
	return nil, fmt.Errorf("module %s: %w", m, os.ErrNotExist)
}

func newFakeKernel(t *testing.T, shape string, module bool) fakeKernel {
	t.Helper()
	ptr := func(t btf.Type) btf.Type { return &btf.Pointer{Target: t} }
	cptr := func(t btf.Type) btf.Type { return ptr(&btf.Const{Type: t}) }
	param := func(n string, t btf.Type) btf.FuncParam { return btf.FuncParam{Name: n, Type: t} }
	skb := &btf.Struct{Name: "sk_buff", Size: 8}
	pkt := &btf.Struct{Name: "nft_pktinfo", Size: 8, Members: []btf.Member{{Name: "skb", Type: ptr(skb)}}}
	info := &btf.Struct{Name: "nft_traceinfo", Size: 8, Members: []btf.Member{{Name: "basechain", Type: ptr(&btf.Void{})}}}
	chain := &btf.Struct{Name: "nft_chain", Size: 8}
	verdict := &btf.Struct{Name: "nft_verdict", Size: 8}
	rule := &btf.Struct{Name: "nft_rule_dp", Size: 8}
	typ := &btf.Enum{Name: "nft_trace_types", Size: 4}
	var params []btf.FuncParam
	switch shape {
	case "6.1":
		info.Members = append(info.Members, btf.Member{Name: "pkt", Type: cptr(pkt), Offset: 64})
		info.Size = 16
		params = []btf.FuncParam{param("info", ptr(info)), param("chain", cptr(chain)), param("type", typ)}
	case "6.12":
		params = []btf.FuncParam{param("pkt", cptr(pkt)), param("verdict", cptr(verdict)),
			param("rule", cptr(rule)), param("info", ptr(info)), param("type", typ)}
	case "stack":
		params = []btf.FuncParam{param("pkt", cptr(pkt)), param("a", typ), param("b", typ), param("c", typ),
			param("d", typ), param("e", typ), param("info", ptr(info))}
	}
	fn := &btf.Func{Name: traceFunc, Type: &btf.FuncProto{Return: &btf.Void{}, Params: params}, Linkage: btf.StaticFunc}
	k := fakeKernel{syms: "ffffffff81000000 T ip_rcv\n"}
	if module {
		k.types = testutils.BTFSpec(t, skb)
		k.modules = map[string]*btf.Spec{"nf_tables": testutils.BTFSpec(t, fn)}
		k.syms += "ffffffffc0000000 t " + traceFunc + "\t[nf_tables]\n"
	} else {
		k.types = testutils.BTFSpec(t, fn)
		k.syms += "ffffffff81000100 t " + traceFunc + "\n"
	}
	return k
}

// The arguments are found wherever the kernel puts them.
func TestFindTraceArgs(t *testing.T) {
	for _, tc := range []struct {
		shape  string
		module bool
		want   traceArgs
	}{
		{"6.1", true, traceArgs{info: 0, chain: 1, rule: -1, verdict: -1, typ: 2}},
		{"6.12", true, traceArgs{info: 3, chain: -1, rule: 2, verdict: 1, typ: 4}},
		{"6.12", false, traceArgs{info: 3, chain: -1, rule: 2, verdict: 1, typ: 4}},
	} {
		got, err := findTraceArgs(newFakeKernel(t, tc.shape, tc.module))
		if err != nil {
			t.Errorf("%s (module %v): %v", tc.shape, tc.module, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s (module %v): %+v, want %+v", tc.shape, tc.module, got, tc.want)
		}
	}
	if _, err := findTraceArgs(newFakeKernel(t, "stack", true)); err == nil || !strings.Contains(err.Error(), "on the stack") {
		t.Errorf("trace state on the stack: %v", err)
	}
	k := newFakeKernel(t, "6.12", true)
	k.syms = "ffffffff81000000 T ip_rcv\n"
	if _, err := findTraceArgs(k); err == nil || !strings.Contains(err.Error(), "nf_tables not built in nor loaded") {
		t.Errorf("nf_tables not loaded: %v", err)
	}
}

func TestKprobeConstants(t *testing.T) {
	c := NewKprobe(0)
	c.args = traceArgs{info: 3, chain: -1, rule: 2, verdict: 1, typ: 4}
	got := c.Constants()
	want := map[string]any{
		"nft_verdicts": uint32(DefaultVerdicts), "nft_arg_info": int32(3), "nft_arg_chain": int32(-1),
		"nft_arg_rule": int32(2), "nft_arg_verdict": int32(1), "nft_arg_type": int32(4),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("constants %v, want %v", got, want)
	}
	// Every constant exists in the programs, with the type set.
	spec, err := bpf.LoadProbe()
	if err != nil {
		t.Fatal(err)
	}
	for n, v := range got {
		vs, ok := spec.Variables[n]
		if !ok {
			t.Errorf("no variable %s in the BPF object", n)
			continue
		}
		if err := vs.Set(v); err != nil {
			t.Errorf("set %s: %v", n, err)
		}
	}
	// The BPF side tests bit (code + 5): the same as VerdictSet.
	if DefaultVerdicts != 1<<(0+5)|1<<(1+5) {
		t.Errorf("default verdicts %b", DefaultVerdicts)
	}
}

func rawNft(table, chain, jump string, verdict int32, rule int64, policy bool) []byte {
	raw := new(bpf.ProbeNftEvent)
	put := func(dst *[nameLen]int8, s string) {
		for i := range len(s) {
			dst[i] = int8(s[i])
		}
	}
	put(&raw.TableName, table)
	put(&raw.ChainName, chain)
	put(&raw.VerdictChainName, jump)
	raw.TableHandle, raw.ChainHandle, raw.RuleHandle = 7, 3, rule
	raw.Verdict = uint32(verdict)
	if policy {
		raw.Policy = 1
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(raw)), unsafe.Sizeof(*raw))
}

// Decode writes the section as Retis does: the rule handle only for rules,
// the target chain only for jump and goto.
func TestKprobeDecode(t *testing.T) {
	h := func(v int64) *int64 { return &v }
	s := func(v string) *string { return &v }
	for _, tc := range []struct {
		name string
		raw  []byte
		want events.Nft
		text string
	}{
		{"drop", rawNft("filter", "input", "", 0, 12, false),
			events.Nft{TableName: "filter", ChainName: "input", Verdict: "drop", TableHandle: 7, ChainHandle: 3, RuleHandle: h(12)},
			"table filter (7) chain input (3) handle 12 drop"},
		{"policy accept", rawNft("filter", "input", "stale", 1, -1, true),
			events.Nft{TableName: "filter", ChainName: "input", Verdict: "accept", TableHandle: 7, ChainHandle: 3, Policy: true},
			"table filter (7) chain input (3) accept (policy)"},
		{"jump", rawNft("filter", "input", "udp_chain", -3, 4, false),
			events.Nft{TableName: "filter", ChainName: "input", Verdict: "jump", TableHandle: 7, ChainHandle: 3, RuleHandle: h(4), VerdictChainName: s("udp_chain")},
			"table filter (7) chain input (3) handle 4 jump chain udp_chain"},
		{"goto", rawNft("t", "c", "d", -4, 5, false),
			events.Nft{TableName: "t", ChainName: "c", Verdict: "goto", TableHandle: 7, ChainHandle: 3, RuleHandle: h(5), VerdictChainName: s("d")},
			""},
		{"drop with an errno (NF_DROP_ERR(-EPERM))", rawNft("t", "c", "", 1<<16, 5, false),
			events.Nft{TableName: "t", ChainName: "c", Verdict: "drop", TableHandle: 7, ChainHandle: 3, RuleHandle: h(5)},
			""},
		{"end of rules", rawNft("t", "c", "", -1, -1, false),
			events.Nft{TableName: "t", ChainName: "c", Verdict: "continue", TableHandle: 7, ChainHandle: 3},
			""},
		{"unknown", rawNft("t", "c", "", 77, -1, false),
			events.Nft{TableName: "t", ChainName: "c", Verdict: "unknown", TableHandle: 7, ChainHandle: 3},
			""},
		{"longest name", rawNft(strings.Repeat("t", nameLen-1), "c", "", 0, -1, false),
			events.Nft{TableName: strings.Repeat("t", nameLen-1), ChainName: "c", Verdict: "drop", TableHandle: 7, ChainHandle: 3},
			""},
	} {
		c := NewKprobe(0)
		e := &events.Event{}
		if err := c.Decode(1, tc.raw, e, nil); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got := *e.Nft
		if deref(got) != deref(tc.want) {
			t.Errorf("%s: %s, want %s", tc.name, deref(got), deref(tc.want))
		}
		// The text is Retis's.
		if text := string(output.AppendEvent(nil, &events.Event{Nft: e.Nft}, nil)); tc.text != "" && !strings.Contains(text, tc.text) {
			t.Errorf("%s: text %q, want %q", tc.name, text, tc.text)
		}
	}
	if err := NewKprobe(0).Decode(1, make([]byte, 16), &events.Event{}, nil); err == nil {
		t.Error("short section decoded")
	}
}

// deref makes the section printable with its optional members' values.
func deref(n events.Nft) string {
	s := fmt.Sprintf("%s/%s %s t%d c%d policy %v", n.TableName, n.ChainName, n.Verdict, n.TableHandle, n.ChainHandle, n.Policy)
	if n.RuleHandle != nil {
		s += fmt.Sprintf(" rule %d", *n.RuleHandle)
	}
	if n.VerdictChainName != nil {
		s += " to " + *n.VerdictChainName
	}
	return s
}

// Names are interned: decoding the same names again allocates only the
// event.
func TestKprobeDecodeInterns(t *testing.T) {
	c := NewKprobe(0)
	raw := rawNft("filter", "input", "", 0, 12, false)
	e := &events.Event{}
	if err := c.Decode(1, raw, e, nil); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() { c.Decode(1, raw, e, nil) })
	if allocs > 1 {
		t.Errorf("%.0f allocations per decode, want 1", allocs)
	}
}
