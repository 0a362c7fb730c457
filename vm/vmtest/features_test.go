package vmtest

import (
	"errors"
	"fmt"
	"os"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/features"
	"golang.org/x/sys/unix"
)

// haveKprobe reports whether the kernel can create kprobes and kretprobes:
// it has the perf "kprobe" PMU (4.17+) or tracefs's kprobe_events.
func haveKprobe() error {
	for _, p := range []string{
		"/sys/bus/event_source/devices/kprobe/type",
		"/sys/kernel/tracing/kprobe_events",
		"/sys/kernel/debug/tracing/kprobe_events",
	} {
		if _, err := os.Stat(p); err == nil {
			return nil
		}
	}
	return fmt.Errorf("no kprobe PMU and no kprobe_events (kernel built without CONFIG_KPROBE_EVENTS): %w",
		ebpf.ErrNotSupported)
}

// haveFentry reports whether the kernel loads fentry/fexit programs.
// cilium/ebpf's probe finds the program type inconclusive when the load is
// refused with EPERM; for a process privileged enough to load any BPF
// program, EPERM means the kernel will not let anyone use it.
func haveFentry() error {
	err := features.HaveProgramType(ebpf.Tracing)
	if errors.Is(err, unix.EPERM) && privileged() {
		return fmt.Errorf("fentry program refused to a privileged process: %w (%w)", ebpf.ErrNotSupported, err)
	}
	return err
}

// privileged reports whether the process has CAP_SYS_ADMIN, or CAP_BPF
// and CAP_PERFMON, in its effective set.
func privileged() bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return false
	}
	has := func(c uint) bool { return data[c/32].Effective&(1<<(c%32)) != 0 }
	return has(unix.CAP_SYS_ADMIN) || (has(unix.CAP_BPF) && has(unix.CAP_PERFMON))
}

// featureProbes maps the feature names of vm/kernels.lock to their probes.
var featureProbes = map[string]func() error{
	"kprobe":       haveKprobe,
	"kretprobe":    haveKprobe,
	"kprobe-multi": features.HaveBPFLinkKprobeMulti,
	"fentry":       haveFentry,
	"fexit":        haveFentry,
}
