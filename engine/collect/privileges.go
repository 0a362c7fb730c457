package collect

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// ErrPrivileges is returned when the process may not load and attach BPF
// programs.
var ErrPrivileges = errors.New("loading BPF programs needs root, or the CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN capabilities")

// checkPrivileges fails with one clear error when the effective
// capabilities cannot load tracing programs and read kernel addresses.
func checkPrivileges() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("read capabilities: %w", err)
	}
	has := func(c int) bool { return data[c/32].Effective&(1<<(c%32)) != 0 }
	if has(unix.CAP_SYS_ADMIN) {
		return nil
	}
	if has(unix.CAP_BPF) && has(unix.CAP_PERFMON) {
		// Enough for most of it; tracefs mounting and some kernels
		// still want CAP_SYS_ADMIN, which the attach errors will name.
		return nil
	}
	return ErrPrivileges
}
