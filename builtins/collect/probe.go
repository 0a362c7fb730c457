package collect

import (
	"fmt"
	"strings"

	"go.starlark.net/starlark"
)

// Probe types, as the kernel section of an event names them.
const (
	Kprobe        = "kprobe"
	Kretprobe     = "kretprobe"
	RawTracepoint = "raw_tracepoint"
)

// ProbeSpec is a probe as written on the command line,
// [TYPE:]TARGET[/stack], with TYPE resolved.
type ProbeSpec struct {
	// Type is Kprobe, Kretprobe or RawTracepoint.
	Type string
	// Target is the function or "subsystem:event", possibly with '*'.
	Target string
	// Stack asks for stack traces on this probe.
	Stack bool
}

// ParseProbe parses [TYPE:]TARGET[/OPTION]... like Retis: TYPE is one of
// kprobe|k, kretprobe|kr, raw_tracepoint|tp; without TYPE a target holding
// one ':' is a tracepoint, anything else a kprobe. The only option is
// "stack".
func ParseProbe(s string) (ProbeSpec, error) {
	var p ProbeSpec
	spec, opts, hasOpts := strings.Cut(s, "/")
	if hasOpts {
		for o := range strings.SplitSeq(opts, "/") {
			switch o {
			case "stack":
				if p.Stack {
					return p, fmt.Errorf("probe %q: option stack given twice", s)
				}
				p.Stack = true
			case "":
				return p, fmt.Errorf("probe %q: empty option (remove the trailing '/')", s)
			default:
				return p, fmt.Errorf("probe %q: unknown option %q (the only option is stack)", s, o)
			}
		}
	}
	typ, target, hasType := strings.Cut(spec, ":")
	switch {
	case !hasType:
		p.Type, p.Target = Kprobe, spec
	case typ == "kprobe" || typ == "k":
		p.Type, p.Target = Kprobe, target
	case typ == "kretprobe" || typ == "kr":
		p.Type, p.Target = Kretprobe, target
	case typ == "raw_tracepoint" || typ == "tp":
		p.Type, p.Target = RawTracepoint, target
	case strings.Count(spec, ":") == 1:
		p.Type, p.Target = RawTracepoint, spec
	default:
		return p, fmt.Errorf("probe %q: unknown type %q (use kprobe, k, kretprobe, kr, raw_tracepoint or tp)", s, typ)
	}
	if p.Target == "" {
		return p, fmt.Errorf("probe %q: no target", s)
	}
	if p.Type == RawTracepoint && strings.Count(p.Target, ":") != 1 {
		return p, fmt.Errorf("probe %q: a tracepoint is SUBSYSTEM:EVENT, e.g. tp:skb:kfree_skb", s)
	}
	if p.Type != RawTracepoint && strings.Contains(p.Target, ":") {
		return p, fmt.Errorf("probe %q: a %s target is a function name, without ':'", s, p.Type)
	}
	return p, nil
}

// String returns the spec in the short form ParseProbe reads back, e.g.
// "tp:skb:kfree_skb/stack".
func (p ProbeSpec) String() string {
	var b strings.Builder
	switch p.Type {
	case Kprobe:
		b.WriteString("kprobe:")
	case Kretprobe:
		b.WriteString("kretprobe:")
	case RawTracepoint:
		b.WriteString("tp:")
	}
	b.WriteString(p.Target)
	if p.Stack {
		b.WriteString("/stack")
	}
	return b.String()
}

// Probe is the Starlark value probe() returns.
type Probe struct {
	Spec ProbeSpec
}

var (
	_ starlark.HasAttrs = (*Probe)(nil)
	_ starlark.Unpacker = (*probeArg)(nil)
)

func (p *Probe) String() string        { return fmt.Sprintf("probe(%q)", p.Spec.String()) }
func (p *Probe) Type() string          { return "probe" }
func (p *Probe) Freeze()               {}
func (p *Probe) Truth() starlark.Bool  { return starlark.True }
func (p *Probe) Hash() (uint32, error) { return starlark.String(p.Spec.String()).Hash() }

// AttrNames lists the probe's attributes.
func (p *Probe) AttrNames() []string { return []string{"spec", "stack", "target", "type"} }

// Attr returns type, target, stack or spec (the canonical string).
func (p *Probe) Attr(name string) (starlark.Value, error) {
	switch name {
	case "type":
		return starlark.String(p.Spec.Type), nil
	case "target":
		return starlark.String(p.Spec.Target), nil
	case "stack":
		return starlark.Bool(p.Spec.Stack), nil
	case "spec":
		return starlark.String(p.Spec.String()), nil
	}
	return nil, nil
}

// probeArg unpacks a probe spec string or a probe value.
type probeArg struct{ spec ProbeSpec }

func (a *probeArg) Unpack(v starlark.Value) error {
	switch v := v.(type) {
	case starlark.String:
		p, err := ParseProbe(string(v))
		if err != nil {
			return err
		}
		a.spec = p
		return nil
	case *Probe:
		a.spec = v.Spec
		return nil
	}
	return fmt.Errorf("want a probe spec string or probe(), got %s", v.Type())
}
