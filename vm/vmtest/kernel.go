package vmtest

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
)

// Environment variables vm/run.sh sets for the command it runs in the VM.
const (
	envKernel  = "RETIS_VM_KERNEL"
	envRelease = "RETIS_VM_RELEASE"
	envLacks   = "RETIS_VM_LACKS"
)

// Kernel is one of the VM tier's kernels, as vm/kernels.lock describes it.
type Kernel struct {
	// Name is the kernel's name in the lock, e.g. "6.1".
	Name string
	// Release is the kernel's `uname -r`.
	Release string
	// Lacks lists the features the lock says this kernel does not have,
	// e.g. "kprobe-multi".
	Lacks []string
}

// Current returns the VM tier's kernel the process runs on, and false when
// the process does not run in the VM tier.
func Current() (Kernel, bool) {
	name := os.Getenv(envKernel)
	if name == "" {
		return Kernel{}, false
	}
	k := Kernel{Name: name, Release: os.Getenv(envRelease)}
	for f := range strings.SplitSeq(os.Getenv(envLacks), ",") {
		if f = strings.TrimSpace(f); f != "" {
			k.Lacks = append(k.Lacks, f)
		}
	}
	return k, true
}

// Lacked reports whether the lock says k lacks feature.
func (k Kernel) Lacked(feature string) bool {
	return slices.Contains(k.Lacks, feature)
}

// SkipIfNotSupported skips tb when err says the kernel lacks feature (err
// wraps [ebpf.ErrNotSupported]), unless tb runs in the VM tier on a kernel
// that should have feature: then tb fails. Any other non-nil err fails tb.
// feature is a name as vm/kernels.lock spells it ("kprobe", "kprobe-multi",
// "fentry", ...).
func SkipIfNotSupported(tb testing.TB, feature string, err error) {
	tb.Helper()
	k, inVM := Current()
	skip, fail := verdict(k, inVM, feature, err)
	switch {
	case fail != nil:
		tb.Fatal(fail)
	case skip && inVM:
		tb.Skipf("%s not supported (vm/kernels.lock: kernel %s lacks it): %v", feature, k.Name, err)
	case skip:
		tb.Skipf("%s not supported: %v", feature, err)
	}
}

// verdict decides for SkipIfNotSupported.
func verdict(k Kernel, inVM bool, feature string, err error) (skip bool, fail error) {
	switch {
	case err == nil:
		return false, nil
	case !errors.Is(err, ebpf.ErrNotSupported):
		return false, fmt.Errorf("%s: %w", feature, err)
	case inVM && !k.Lacked(feature):
		return false, fmt.Errorf("%s not supported on VM kernel %s (%s), which vm/kernels.lock says has it: %w",
			feature, k.Name, k.Release, err)
	}
	return true, nil
}
