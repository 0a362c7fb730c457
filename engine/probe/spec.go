package probe

import (
	"fmt"
	"strings"
)

// Kind is the kind of kernel probe a spec asks for.
type Kind int

// Probe kinds.
const (
	Kprobe Kind = iota
	Kretprobe
	Tracepoint
)

// String returns the kind as written in specs.
func (k Kind) String() string {
	switch k {
	case Kprobe:
		return "kprobe"
	case Kretprobe:
		return "kretprobe"
	case Tracepoint:
		return "tp"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// ProbeType returns the kind as Retis writes it in the kernel section of
// events.
func (k Kind) ProbeType() string {
	if k == Tracepoint {
		return "raw_tracepoint"
	}
	return k.String()
}

// Spec is a parsed probe spec.
type Spec struct {
	Kind Kind
	// Target is a function name, or "category:name" for tracepoints; it
	// may hold '*' wildcards.
	Target string
	// Stack asks for the kernel stack in every event of the probe.
	Stack bool
}

// String returns the canonical form of the spec, e.g.
// "tp:net:netif_rx/stack".
func (s Spec) String() string {
	str := s.Kind.String() + ":" + s.Target
	if s.Stack {
		str += "/stack"
	}
	return str
}

// Wildcard reports whether the target is a pattern.
func (s Spec) Wildcard() bool { return strings.Contains(s.Target, "*") }

// Parse parses `[TYPE:]TARGET[/OPTION...]`. TYPE is kprobe (k), kretprobe
// (kr), raw_tracepoint (tp); without it, a target with one ':' is a
// tracepoint and any other a kprobe. The only option is "stack".
func Parse(s string) (Spec, error) {
	var spec Spec
	input, opts, hasOpts := strings.Cut(s, "/")
	if hasOpts {
		seen := map[string]bool{}
		for _, o := range strings.Split(opts, "/") {
			switch {
			case o == "":
				return Spec{}, fmt.Errorf("probe %q: empty option (remove the trailing or doubled '/')", s)
			case seen[o]:
				return Spec{}, fmt.Errorf("probe %q: option %q given twice", s, o)
			case o == "stack":
				spec.Stack = true
			default:
				return Spec{}, fmt.Errorf("probe %q: unknown option %q (the only option is \"stack\")", s, o)
			}
			seen[o] = true
		}
	}

	typ, target, hasType := strings.Cut(input, ":")
	switch {
	case !hasType:
		spec.Kind, spec.Target = Kprobe, input
	case typ == "kprobe" || typ == "k":
		spec.Kind, spec.Target = Kprobe, target
	case typ == "kretprobe" || typ == "kr":
		spec.Kind, spec.Target = Kretprobe, target
	case typ == "raw_tracepoint" || typ == "tp":
		spec.Kind, spec.Target = Tracepoint, target
	case strings.Count(input, ":") == 1:
		spec.Kind, spec.Target = Tracepoint, input
	default:
		return Spec{}, fmt.Errorf("probe %q: unknown type %q (use kprobe, k, kretprobe, kr, raw_tracepoint or tp)", s, typ)
	}

	if spec.Target == "" {
		return Spec{}, fmt.Errorf("probe %q: empty target", s)
	}
	if spec.Kind == Tracepoint {
		cat, name, ok := strings.Cut(spec.Target, ":")
		if ok && (cat == "" || name == "" || strings.Contains(name, ":")) {
			return Spec{}, fmt.Errorf("probe %q: a tracepoint is SUBSYSTEM:EVENT (tracefs CATEGORY:NAME), e.g. tp:skb:kfree_skb", s)
		}
		if !ok && !spec.Wildcard() {
			return Spec{}, fmt.Errorf("probe %q: a tracepoint is SUBSYSTEM:EVENT (tracefs CATEGORY:NAME), e.g. tp:skb:kfree_skb", s)
		}
	} else if strings.Contains(spec.Target, ":") {
		return Spec{}, fmt.Errorf("probe %q: a %s target is a function name, not %q", s, spec.Kind, spec.Target)
	}
	return spec, nil
}

// match reports whether name matches pattern, where '*' matches any run
// of characters (including ':') and nothing else is special.
func match(pattern, name string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == name
	}
	if !strings.HasPrefix(name, parts[0]) {
		return false
	}
	name = name[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(name, p)
		if i < 0 {
			return false
		}
		name = name[i+len(p):]
	}
	return strings.HasSuffix(name, last)
}
