package kernel

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/retis-go/retis/builtins"
)

var facts = builtins.NewLocal[Facts]("retis.kernel.facts")

// SetFacts stores the facts kernel.* answers from.
func SetFacts(thread *starlark.Thread, f Facts) { facts.Set(thread, f) }

// FactsOf returns the facts stored with SetFacts, or nil.
func FactsOf(thread *starlark.Thread) Facts {
	f, _ := facts.Get(thread)
	return f
}

// Module is the `kernel` module.
var Module = &starlarkstruct.Module{
	Name: "kernel",
	Members: starlark.StringDict{
		"release":        starlark.NewBuiltin("kernel.release", release),
		"version":        starlark.NewBuiltin("kernel.version", version),
		"has_symbol":     starlark.NewBuiltin("kernel.has_symbol", nameQuery(Facts.HasSymbol)),
		"has_tracepoint": starlark.NewBuiltin("kernel.has_tracepoint", nameQuery(Facts.HasTracepoint)),
		"has_btf_type":   starlark.NewBuiltin("kernel.has_btf_type", nameQuery(Facts.HasBTFType)),
		"can_kprobe":     starlark.NewBuiltin("kernel.can_kprobe", canKprobe),
	},
}

func from(thread *starlark.Thread, b *starlark.Builtin) (Facts, error) {
	f := FactsOf(thread)
	if f == nil {
		return nil, fmt.Errorf("%s: no kernel facts in this context", b.Name())
	}
	return f, nil
}

func release(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	f, err := from(thread, b)
	if err != nil {
		return nil, err
	}
	r, err := f.Release()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	return starlark.String(r), nil
}

func version(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	f, err := from(thread, b)
	if err != nil {
		return nil, err
	}
	r, err := f.Release()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	v, err := ParseRelease(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	return starlark.Tuple{starlark.MakeInt(v.Major), starlark.MakeInt(v.Minor), starlark.MakeInt(v.Patch)}, nil
}

func nameQuery(q func(Facts, string) (bool, error)) func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
	return func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var name string
		if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name); err != nil {
			return nil, err
		}
		f, err := from(thread, b)
		if err != nil {
			return nil, err
		}
		ok, err := q(f, name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", b.Name(), err)
		}
		return starlark.Bool(ok), nil
	}
}

func canKprobe(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	f, err := from(thread, b)
	if err != nil {
		return nil, err
	}
	switch err := f.CanKprobe(); {
	case err == nil:
		return starlark.True, nil
	case errors.Is(err, ebpf.ErrNotSupported):
		return starlark.False, nil
	default:
		return nil, fmt.Errorf("%s: cannot tell: %w", b.Name(), err)
	}
}
