package probe

import (
	"errors"
	"os"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/retis-go/retis/internal/testutils"
)

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to load BPF programs")
	}
	testutils.RequireBPF(t)
}

// The feature probes answer nil or a reason wrapping ErrNotSupported; any
// other error means the probe itself is broken.
func TestFeatureProbes(t *testing.T) {
	requireRoot(t)
	for name, probe := range map[string]func() error{
		"tracing":      HaveTracingProgs,
		"raw_tp":       HaveRawTracepoint,
		"kprobe":       HaveKprobe,
		"kprobe-multi": HaveKprobeMulti,
		"fentry":       HaveFentry,
	} {
		err := probe()
		if err != nil && !errors.Is(err, ebpf.ErrNotSupported) {
			t.Errorf("%s: inconclusive: %v", name, err)
		}
		if again := probe(); (again == nil) != (err == nil) {
			t.Errorf("%s: cached answer changed: %v then %v", name, err, again)
		}
		t.Logf("%s: %v", name, err)
	}
	// Tracepoints are what this project is built on (DESIGN: kernel >= 5.8
	// with BTF): a kernel without them is not one we can run on.
	if err := HaveTracingProgs(); err != nil {
		if err := HaveRawTracepoint(); err != nil {
			t.Errorf("neither tp_btf nor raw_tp works: %v", err)
		}
	}
}
