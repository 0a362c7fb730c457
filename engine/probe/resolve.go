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
	Args   Args
	// Stack asks for kernel stacks.
	Stack bool
}

// String returns the target as a probe spec.
func (t *Target) String() string { return t.Kind.String() + ":" + t.Name }

// Resolve expands a spec into the targets it names on kernel k. An
// explicit target must exist and take an sk_buff; a pattern keeps the
// matching targets that take one and fails when none does.
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
		if targets[0].Args.Skb < 0 {
			return nil, fmt.Errorf("probe %s: %w: retis follows packets, pick a target that takes one (retis inspect lists them)", s, ErrNoSkb)
		}
		return targets, nil
	}
	kept := targets[:0]
	for _, t := range targets {
		if t.Args.Skb >= 0 {
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
	syms, err := k.Symbols()
	if err != nil {
		return nil, fmt.Errorf("probe %s: kernel symbols: %w", s, err)
	}
	if !s.Wildcard() {
		fn, err := funcByName(types, s.Target)
		if err != nil {
			return nil, fmt.Errorf("probe %s: %w", s, err)
		}
		sym, ok := syms.Symbol(fn.Name)
		if !ok {
			return nil, fmt.Errorf("probe %s: %s is not a traceable kernel function (inlined, or not in kallsyms)", s, fn.Name)
		}
		return []*Target{funcTarget(s, fn, sym)}, nil
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

func funcByName(types *btf.Spec, name string) (*btf.Func, error) {
	var fn *btf.Func
	if err := types.TypeByName(name, &fn); err != nil {
		if errors.Is(err, btf.ErrNotFound) {
			return nil, fmt.Errorf("no kernel function %s in BTF", name)
		}
		return nil, fmt.Errorf("kernel function %s: %w", name, err)
	}
	return fn, nil
}

func funcTarget(s Spec, fn *btf.Func, sym string) *Target {
	proto, _ := fn.Type.(*btf.FuncProto)
	var params []btf.FuncParam
	if proto != nil {
		params = proto.Params
	}
	return &Target{
		Kind:   s.Kind,
		Name:   fn.Name,
		Func:   fn.Name,
		Symbol: sym,
		Args:   findArgs(params),
		Stack:  s.Stack,
	}
}

// findArgs locates the first argument of each known type.
func findArgs(params []btf.FuncParam) Args {
	a := Args{Count: len(params), Skb: -1, DropReason: -1, Dev: -1, Net: -1}
	set := func(p *int, i int) {
		if *p < 0 {
			*p = i
		}
	}
	for i, p := range params {
		switch typeName(p.Type) {
		case "struct sk_buff *":
			set(&a.Skb, i)
		case "enum skb_drop_reason":
			set(&a.DropReason, i)
		case "struct net_device *":
			set(&a.Dev, i)
		case "struct net *":
			set(&a.Net, i)
		}
	}
	return a
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
