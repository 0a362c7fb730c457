package probe

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/cilium/ebpf/btf"
)

// Kernel is what resolving probes needs to know about a kernel.
// HostKernel describes the running one; tests use snapshots.
type Kernel interface {
	// Tracepoints lists tracepoints as "category:name".
	Tracepoints() ([]string, error)
	// Symbols is the kernel's text symbol table.
	Symbols() (*Symbols, error)
	// Types is the kernel's BTF.
	Types() (*btf.Spec, error)
	// ModuleTypes is the BTF of a loaded module, with the kernel's types
	// as its base.
	ModuleTypes(module string) (*btf.Spec, error)
}

type hostKernel struct{}

// HostKernel returns the running kernel. Its facts are read once per
// process.
func HostKernel() Kernel { return hostKernel{} }

var hostTracepoints = sync.OnceValues(func() ([]string, error) {
	data, err := readTracefs("available_events")
	if err != nil {
		return nil, fmt.Errorf("list tracepoints: %w", err)
	}
	return parseEvents(string(data)), nil
})

func parseEvents(data string) []string {
	var out []string
	for _, line := range strings.Split(data, "\n") {
		if line = strings.TrimSpace(line); strings.Count(line, ":") == 1 {
			out = append(out, line)
		}
	}
	sort.Strings(out)
	return out
}

func (hostKernel) Tracepoints() ([]string, error) { return hostTracepoints() }
func (hostKernel) Symbols() (*Symbols, error)     { return HostSymbols() }
func (hostKernel) Types() (*btf.Spec, error)      { return btf.LoadKernelSpec() }

func (hostKernel) refreshSymbols() (*Symbols, error) {
	hostSymbols.mu.Lock()
	defer hostSymbols.mu.Unlock()
	return refreshHostSymbols()
}

func (hostKernel) ModuleTypes(module string) (*btf.Spec, error) {
	return btf.LoadKernelModuleSpec(module)
}
