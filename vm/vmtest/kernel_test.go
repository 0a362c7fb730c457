package vmtest

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/cilium/ebpf"
)

func TestCurrent(t *testing.T) {
	t.Setenv(envKernel, "")
	if _, ok := Current(); ok {
		t.Fatal("Current() reports a VM kernel with RETIS_VM_KERNEL empty")
	}

	t.Setenv(envKernel, "6.1")
	t.Setenv(envRelease, "6.1.0-50-amd64")
	t.Setenv(envLacks, "kprobe-multi, fentry,")
	k, ok := Current()
	if !ok {
		t.Fatal("Current() reports no VM kernel with RETIS_VM_KERNEL set")
	}
	if k.Name != "6.1" || k.Release != "6.1.0-50-amd64" || !slices.Equal(k.Lacks, []string{"kprobe-multi", "fentry"}) {
		t.Fatalf("Current() = %+v", k)
	}
	if !k.Lacked("fentry") || k.Lacked("kprobe") {
		t.Fatalf("Lacked disagrees with Lacks %q", k.Lacks)
	}
}

func TestVerdict(t *testing.T) {
	unsupported := fmt.Errorf("probe: %w", ebpf.ErrNotSupported)
	vm61 := Kernel{Name: "6.1", Lacks: []string{"kprobe-multi"}}
	for _, tc := range []struct {
		name      string
		inVM      bool
		feature   string
		err       error
		skip      bool
		wantFail  bool
		failWraps error
	}{
		{name: "supported", inVM: true, feature: "kprobe"},
		{name: "host lacks it", feature: "kprobe", err: unsupported, skip: true},
		{name: "VM kernel known to lack it", inVM: true, feature: "kprobe-multi", err: unsupported, skip: true},
		{name: "VM kernel should have it", inVM: true, feature: "fentry", err: unsupported, wantFail: true, failWraps: ebpf.ErrNotSupported},
		{name: "other error on host", feature: "kprobe", err: errors.ErrUnsupported, wantFail: true, failWraps: errors.ErrUnsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			skip, fail := verdict(vm61, tc.inVM, tc.feature, tc.err)
			if skip != tc.skip || (fail != nil) != tc.wantFail {
				t.Fatalf("verdict = skip %v, fail %v; want skip %v, fail %v", skip, fail, tc.skip, tc.wantFail)
			}
			if tc.failWraps != nil && !errors.Is(fail, tc.failWraps) {
				t.Fatalf("fail %v does not wrap %v", fail, tc.failWraps)
			}
		})
	}
}
