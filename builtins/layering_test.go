package builtins

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/retis-go/retis"

// rule forbids packages matching from to depend, even indirectly, on
// packages matching to. A pattern ending in "/..." matches the path and
// everything under it.
type rule struct {
	from, to []string
	why      string
}

// layering is DESIGN.md's "bpf ← engine ← builtins ← starlark/cmd" and
// "post-processing never imports cilium/ebpf", as checked rules.
var layering = []rule{
	{
		from: []string{module + "/engine/..."},
		to:   []string{"go.starlark.net/...", module + "/builtins/...", module + "/starlark/...", module + "/scripts", module + "/profiles"},
		why:  "the engine must not know about scripts: builtins is the only bridge",
	},
	{
		from: []string{module + "/scripts", module + "/profiles"},
		to:   []string{module + "/..."},
		why:  "the embedded scripts and profiles are files; running them is the runtime's job",
	},
	{
		from: []string{module + "/engine/events/...", module + "/engine/output/...", module + "/engine/tracking/..."},
		to:   []string{"github.com/cilium/ebpf/..."},
		why:  "post-processing (reading, printing, sorting files) must build without the eBPF loader",
	},
	{
		from: []string{module + "/builtins/..."},
		to:   []string{module + "/starlark/...", module + "/cmd/..."},
		why:  "builtins are below the runtime and the commands",
	},
	{
		from: []string{module + "/bpf/..."},
		to:   []string{module + "/engine/...", module + "/builtins/...", module + "/starlark/...", module + "/cmd/..."},
		why:  "bpf objects are the bottom layer",
	},
}

func match(pattern, pkg string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == base || strings.HasPrefix(pkg, base+"/")
	}
	return pkg == pattern
}

func matchAny(patterns []string, pkg string) bool {
	for _, p := range patterns {
		if match(p, pkg) {
			return true
		}
	}
	return false
}

// violations checks every package's transitive dependencies.
func violations(deps map[string][]string, rules []rule) []string {
	var out []string
	for pkg, ds := range deps {
		for _, r := range rules {
			if !matchAny(r.from, pkg) {
				continue
			}
			for _, d := range ds {
				if matchAny(r.to, d) {
					out = append(out, fmt.Sprintf("%s depends on %s: %s", pkg, d, r.why))
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// moduleDeps runs go list over the module: each package with its
// transitive (non-test) dependencies.
func moduleDeps(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Deps \" \"}}", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	deps := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) > 0 {
			deps[f[0]] = f[1:]
		}
	}
	return deps
}

func TestLayering(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skipf("go command not found: %v", err)
	}
	deps := moduleDeps(t)
	// The rules must be about packages that exist, or they check nothing.
	for _, pkg := range []string{module + "/engine/events", module + "/builtins/event", module + "/starlark"} {
		if _, ok := deps[pkg]; !ok {
			t.Fatalf("go list did not report %s", pkg)
		}
	}
	for _, v := range violations(deps, layering) {
		t.Error(v)
	}
}

// TestLayeringRulesCatch feeds the checker a graph with the arrows the
// wrong way, so TestLayering passing means something.
func TestLayeringRulesCatch(t *testing.T) {
	bad := map[string][]string{
		module + "/engine/probe":         {"go.starlark.net/starlark"},
		module + "/engine/output/pcapng": {"github.com/cilium/ebpf/btf"},
		module + "/engine/tracking":      {module + "/builtins/event"},
		module + "/builtins/pcap":        {module + "/starlark"},
		module + "/engine/collect":       {"github.com/cilium/ebpf"},                              // allowed: live collection
		module + "/starlark":             {module + "/builtins/kernel", "github.com/cilium/ebpf"}, // allowed
		module + "/engine/eventsx":       {"github.com/cilium/ebpf"},                              // not engine/events
		module + "/profiles":             {module + "/starlark"},
		module + "/engine/process":       {module + "/scripts"},
	}
	got := violations(bad, layering)
	want := []string{
		module + "/builtins/pcap depends on " + module + "/starlark",
		module + "/engine/output/pcapng depends on github.com/cilium/ebpf/btf",
		module + "/engine/probe depends on go.starlark.net/starlark",
		module + "/engine/process depends on " + module + "/scripts",
		module + "/engine/tracking depends on " + module + "/builtins/event",
		module + "/profiles depends on " + module + "/starlark",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d violations, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]+":") {
			t.Errorf("violation %d: %s, want %s", i, got[i], want[i])
		}
	}
}
