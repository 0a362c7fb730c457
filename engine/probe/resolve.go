package probe

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/cilium/ebpf/btf"
)

// ErrNoSkb is returned for an explicit target without an sk_buff argument.
var ErrNoSkb = errors.New("no struct sk_buff argument")

// Args says where the arguments the collectors know sit in a target's
// argument list (0-based); -1 means absent.
type Args struct {
	// Count is the number of arguments.
	Count      int
	Skb        int
	DropReason int
	Dev        int
	Net        int
	// NftPktinfo and NftTraceinfo are nf_tables' per-packet state, through
	// which its functions without an sk_buff argument reach the packet:
	// nft_pktinfo->skb, or nft_traceinfo->pkt->skb before Linux 6.3.
	NftPktinfo   int
	NftTraceinfo int
	// TraceinfoPkt tells that this kernel's struct nft_traceinfo has the
	// pkt member.
	TraceinfoPkt bool
}

// HasSkb reports whether the programs can find the target's sk_buff: an
// argument, or one reached through nf_tables' packet state.
func (a Args) HasSkb() bool {
	return a.Skb >= 0 || a.NftPktinfo >= 0 || a.NftTraceinfo >= 0 && a.TraceinfoPkt
}

// positions lists every argument position the programs read.
func (a Args) positions() []int {
	return []int{a.Skb, a.DropReason, a.Dev, a.Net, a.NftPktinfo, a.NftTraceinfo}
}

// Target is one kernel attach point.
type Target struct {
	Kind Kind
	// Name as events report it: "net:netif_receive_skb" or "ip_rcv".
	Name string
	// Func is the tracepoint name without category or the function's
	// BTF name: what tp_btf, raw_tp, fentry and fexit attach to.
	Func string
	// Symbol is the function's kallsyms name, which kprobes attach to
	// (it may carry a compiler suffix such as .constprop.0).
	Symbol string
	// Module is the kernel module holding the function, "" when it is in
	// the kernel image.
	Module string
	Args   Args
	// Stack asks for kernel stacks.
	Stack bool
}

// String returns the target as a probe spec.
func (t *Target) String() string { return t.Kind.String() + ":" + t.Name }

// Resolve expands a spec into the targets it names on kernel k. An
// explicit target must exist and take an sk_buff (or reach one, see
// Args.HasSkb); a pattern keeps the matching targets that take one and
// fails when none does. Patterns match the kernel image's functions; an
// explicit function may also be in a loaded module.
func Resolve(k Kernel, s Spec) ([]*Target, error) {
	types, err := k.Types()
	if err != nil {
		return nil, fmt.Errorf("probe %s: kernel BTF: %w", s, err)
	}
	var targets []*Target
	if s.Kind == Tracepoint {
		targets, err = resolveTracepoints(k, types, s)
	} else {
		targets, err = resolveFunctions(k, types, s)
	}
	if err != nil {
		return nil, err
	}
	if !s.Wildcard() {
		if !targets[0].Args.HasSkb() {
			return nil, fmt.Errorf("probe %s: %w: retis follows packets, pick a target that takes one (retis inspect lists them)", s, ErrNoSkb)
		}
		return targets, nil
	}
	kept := targets[:0]
	for _, t := range targets {
		if t.Args.HasSkb() {
			kept = append(kept, t)
		}
	}
	if len(kept) == 0 {
		return nil, fmt.Errorf("probe %s: none of the %d matching targets takes a struct sk_buff", s, len(targets))
	}
	return kept, nil
}

func resolveTracepoints(k Kernel, types *btf.Spec, s Spec) ([]*Target, error) {
	events, err := k.Tracepoints()
	if err != nil {
		if s.Wildcard() {
			return nil, fmt.Errorf("probe %s: %w", s, err)
		}
		// The category cannot be checked, but BTF still tells whether
		// the tracepoint exists.
		events = []string{s.Target}
	}
	var targets []*Target
	for _, ev := range events {
		if !match(s.Target, ev) {
			continue
		}
		_, name, _ := strings.Cut(ev, ":")
		proto, err := tracepointProto(types, name)
		if err != nil {
			if s.Wildcard() {
				continue
			}
			return nil, fmt.Errorf("probe %s: %w", s, err)
		}
		targets = append(targets, &Target{
			Kind:  Tracepoint,
			Name:  ev,
			Func:  name,
			Args:  findArgs(proto.Params[1:]),
			Stack: s.Stack,
		})
	}
	if len(targets) == 0 {
		if s.Wildcard() {
			return nil, fmt.Errorf("probe %s: no tracepoint matches (categories are part of the name: try tp:*%s)", s, strings.TrimLeft(s.Target, "*"))
		}
		return nil, fmt.Errorf("probe %s: no such tracepoint", s)
	}
	return targets, nil
}

// tracepointProto returns a tracepoint's prototype, whose first parameter
// is the tracepoint's private data, not an argument.
func tracepointProto(types *btf.Spec, name string) (*btf.FuncProto, error) {
	var td *btf.Typedef
	if err := types.TypeByName("btf_trace_"+name, &td); err != nil {
		return nil, fmt.Errorf("no BTF prototype btf_trace_%s for tracepoint %s: %w", name, name, err)
	}
	ptr, ok := td.Type.(*btf.Pointer)
	if !ok {
		return nil, fmt.Errorf("btf_trace_%s is not a function pointer", name)
	}
	proto, ok := ptr.Target.(*btf.FuncProto)
	if !ok || len(proto.Params) == 0 {
		return nil, fmt.Errorf("btf_trace_%s is not a tracepoint prototype", name)
	}
	return proto, nil
}

func resolveFunctions(k Kernel, types *btf.Spec, s Spec) ([]*Target, error) {
	if !s.Wildcard() {
		fn, _, mod, err := FindFunc(k, s.Target)
		if err != nil {
			return nil, fmt.Errorf("probe %s: %w", s, err)
		}
		// After FindFunc, which may have read them again.
		syms, err := k.Symbols()
		if err != nil {
			return nil, fmt.Errorf("probe %s: kernel symbols: %w", s, err)
		}
		sym, ok := syms.Symbol(fn.Name)
		if !ok {
			return nil, fmt.Errorf("probe %s: %s is not a traceable kernel function (inlined, or not in kallsyms)", s, fn.Name)
		}
		t := funcTarget(s, fn, sym)
		t.Module = mod
		return []*Target{t}, nil
	}
	syms, err := k.Symbols()
	if err != nil {
		return nil, fmt.Errorf("probe %s: kernel symbols: %w", s, err)
	}
	var targets []*Target
	for typ, err := range types.All() {
		if err != nil {
			return nil, fmt.Errorf("probe %s: read kernel BTF: %w", s, err)
		}
		fn, ok := typ.(*btf.Func)
		if !ok || !match(s.Target, fn.Name) {
			continue
		}
		sym, ok := syms.Symbol(fn.Name)
		if !ok {
			continue
		}
		targets = append(targets, funcTarget(s, fn, sym))
	}
	if len(targets) == 0 {
		return nil, fmt.Errorf("probe %s: no kernel function matches", s)
	}
	sort.Slice(targets, func(i, j int) bool { return targets[i].Name < targets[j].Name })
	// A function can appear in BTF more than once.
	uniq := targets[:1]
	for _, t := range targets[1:] {
		if t.Name != uniq[len(uniq)-1].Name {
			uniq = append(uniq, t)
		}
	}
	return uniq, nil
}

// symbolsRefresher is a Kernel whose symbols can be read again: modules
// loaded since the first read (nf_tables, autoloaded by the first rule)
// are missing from it.
type symbolsRefresher interface {
	refreshSymbols() (*Symbols, error)
}

// FindFunc finds a kernel function's BTF: in the kernel image's, else in
// that of the loaded module kallsyms places it in. It returns the BTF the
// function was found in (a module's has the kernel's as its base) and the
// module's name, "" for the kernel image.
func FindFunc(k Kernel, name string) (fn *btf.Func, types *btf.Spec, module string, err error) {
	if types, err = k.Types(); err != nil {
		return nil, nil, "", fmt.Errorf("kernel BTF: %w", err)
	}
	fn, err = funcByName(types, name)
	if err == nil || !errors.Is(err, btf.ErrNotFound) {
		return fn, types, "", err
	}
	syms, serr := k.Symbols()
	if serr != nil {
		return nil, nil, "", err
	}
	sym, ok := syms.Symbol(name)
	if r, canRefresh := k.(symbolsRefresher); !ok && canRefresh {
		if syms, serr = r.refreshSymbols(); serr != nil {
			return nil, nil, "", err
		}
		sym, ok = syms.Symbol(name)
	}
	if module = syms.Module(sym); !ok || module == "" {
		return nil, nil, "", err
	}
	if types, serr = k.ModuleTypes(module); serr != nil {
		return nil, nil, "", fmt.Errorf("%s is in module %s, whose BTF cannot be read: %w", name, module, serr)
	}
	if fn, serr = funcByName(types, name); serr != nil {
		return nil, nil, "", fmt.Errorf("module %s: %w", module, serr)
	}
	return fn, types, module, nil
}

func funcByName(types *btf.Spec, name string) (*btf.Func, error) {
	var fn *btf.Func
	if err := types.TypeByName(name, &fn); err != nil {
		if errors.Is(err, btf.ErrNotFound) {
			return nil, fmt.Errorf("no kernel function %s in BTF: %w", name, err)
		}
		return nil, fmt.Errorf("kernel function %s: %w", name, err)
	}
	return fn, nil
}

func funcTarget(s Spec, fn *btf.Func, sym string) *Target {
	return &Target{
		Kind:   s.Kind,
		Name:   fn.Name,
		Func:   fn.Name,
		Symbol: sym,
		Args:   findArgs(Params(fn)),
		Stack:  s.Stack,
	}
}

// Params returns a function's parameters.
func Params(fn *btf.Func) []btf.FuncParam {
	if proto, ok := fn.Type.(*btf.FuncProto); ok {
		return proto.Params
	}
	return nil
}

// findArgs locates the first argument of each known type.
func findArgs(params []btf.FuncParam) Args {
	a := Args{Count: len(params), Skb: -1, DropReason: -1, Dev: -1, Net: -1, NftPktinfo: -1, NftTraceinfo: -1}
	for _, known := range []struct {
		typ string
		pos *int
	}{
		{"struct sk_buff *", &a.Skb},
		{"enum skb_drop_reason", &a.DropReason},
		{"struct net_device *", &a.Dev},
		{"struct net *", &a.Net},
		{"struct nft_pktinfo *", &a.NftPktinfo},
		{"struct nft_traceinfo *", &a.NftTraceinfo},
	} {
		*known.pos = ParamIndex(params, known.typ)
	}
	if a.NftTraceinfo >= 0 {
		a.TraceinfoPkt = hasMember(params[a.NftTraceinfo].Type, "pkt")
	}
	return a
}

// ParamIndex returns the position of the first parameter of a type, named
// as C names it ignoring qualifiers and typedefs ("struct sk_buff *",
// "enum skb_drop_reason"), or -1.
func ParamIndex(params []btf.FuncParam, typ string) int {
	for i, p := range params {
		if typeName(p.Type) == typ {
			return i
		}
	}
	return -1
}

// hasMember tells whether t, a pointer to a struct, points to one with
// that member.
func hasMember(t btf.Type, name string) bool {
	p, ok := btf.UnderlyingType(t).(*btf.Pointer)
	if !ok {
		return false
	}
	s, ok := btf.UnderlyingType(p.Target).(*btf.Struct)
	if !ok {
		return false
	}
	for _, m := range s.Members {
		if m.Name == name {
			return true
		}
	}
	return false
}

// typeName names a parameter type the way C would, ignoring qualifiers
// and typedefs: "struct sk_buff *", "enum skb_drop_reason".
func typeName(t btf.Type) string {
	t = btf.UnderlyingType(t)
	ptr := ""
	if p, ok := t.(*btf.Pointer); ok {
		ptr = " *"
		t = btf.UnderlyingType(p.Target)
	}
	switch v := t.(type) {
	case *btf.Struct:
		return "struct " + v.Name + ptr
	case *btf.Enum:
		return "enum " + v.Name + ptr
	}
	return ""
}
