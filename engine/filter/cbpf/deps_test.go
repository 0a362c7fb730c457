package cbpf

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoKernelDependency keeps this package usable by post-processing
// code, which must not import cilium/ebpf.
func TestNoKernelDependency(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not in PATH")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/cilium/ebpf") {
			t.Errorf("depends on %s", dep)
		}
	}
}
