package collect

import (
	"fmt"
	"strings"

	"github.com/retis-go/retis/engine/probe"

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

// ParseProbe parses [TYPE:]TARGET[/stack] as the collection engine does
// (engine/probe.Parse: Retis's syntax, '*' wildcards).
func ParseProbe(s string) (ProbeSpec, error) {
	spec, err := probe.Parse(s)
	if err != nil {
		return ProbeSpec{}, err
	}
	return ProbeSpec{Type: spec.Kind.ProbeType(), Target: spec.Target, Stack: spec.Stack}, nil
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
