package kernel

import (
	"fmt"
	"strings"

	"github.com/cilium/ebpf"
)

// Snapshot is a fixed set of facts: what a kernel offered when it was
// recorded. BTF types are keyed "kind name" ("struct sk_buff").
type Snapshot struct {
	KernelRelease string
	Symbols       []string
	Tracepoints   []string
	BTFTypes      []string
	// Kprobes tells whether kprobes can be attached.
	Kprobes bool
}

var _ Facts = (*Snapshot)(nil)

// Release implements Facts.
func (s *Snapshot) Release() (string, error) { return s.KernelRelease, nil }

// HasSymbol implements Facts.
func (s *Snapshot) HasSymbol(name string) (bool, error) {
	for _, sym := range s.Symbols {
		if symbolMatches(sym, name) {
			return true, nil
		}
	}
	return false, nil
}

// HasTracepoint implements Facts.
func (s *Snapshot) HasTracepoint(name string) (bool, error) {
	name, err := tracepointName(name)
	if err != nil {
		return false, err
	}
	for _, tp := range s.Tracepoints {
		if tp == name {
			return true, nil
		}
	}
	return false, nil
}

// HasBTFType implements Facts.
func (s *Snapshot) HasBTFType(name string) (bool, error) {
	kind, base, err := splitKind(name)
	if err != nil {
		return false, err
	}
	for _, t := range s.BTFTypes {
		k, b, _ := strings.Cut(t, " ")
		if b == base && (kind == "" || kind == k) {
			return true, nil
		}
	}
	return false, nil
}

// CanKprobe implements Facts.
func (s *Snapshot) CanKprobe() error {
	if !s.Kprobes {
		return fmt.Errorf("kprobes in snapshot of %s: %w", s.KernelRelease, ebpf.ErrNotSupported)
	}
	return nil
}

// symbolMatches tells whether a kallsyms name is name or a compiler clone
// of it (name.constprop.0, name.isra.0, name.cold).
func symbolMatches(sym, name string) bool {
	return sym == name || (len(sym) > len(name) && sym[len(name)] == '.' && sym[:len(name)] == name)
}
