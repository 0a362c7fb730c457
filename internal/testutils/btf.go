package testutils

import (
	"testing"

	"github.com/cilium/ebpf/btf"
)

// BTFSpec builds a BTF spec holding types, for tests standing in for a
// kernel's (or a module's) BTF.
func BTFSpec(tb testing.TB, types ...btf.Type) *btf.Spec {
	tb.Helper()
	b, err := btf.NewBuilder(types, nil)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := b.Spec()
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
