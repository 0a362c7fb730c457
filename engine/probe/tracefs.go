package probe

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/unix"
)

var tracefsDirs = []string{"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}

// readTracefs reads a tracefs file. When tracefs is not mounted it mounts
// it in a private mount namespace, on a thread that then exits, so the
// host's mounts are left alone.
func readTracefs(file string) ([]byte, error) {
	for _, dir := range tracefsDirs {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err == nil {
			return data, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("read tracefs: %w", err)
		}
	}

	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		// Never unlocked: the runtime discards the thread and its
		// namespace when this goroutine ends.
		runtime.LockOSThread()
		data, err := func() ([]byte, error) {
			if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
				return nil, fmt.Errorf("unshare mount namespace: %w", err)
			}
			if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
				return nil, fmt.Errorf("make mounts private: %w", err)
			}
			if err := unix.Mount("tracefs", tracefsDirs[0], "tracefs", 0, ""); err != nil {
				return nil, fmt.Errorf("mount tracefs: %w", err)
			}
			return os.ReadFile(filepath.Join(tracefsDirs[0], file))
		}()
		done <- result{data, err}
	}()
	r := <-done
	if r.err != nil {
		return nil, fmt.Errorf("tracefs is not mounted and could not be: %w", r.err)
	}
	return r.data, nil
}
