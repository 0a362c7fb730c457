// Package testutils holds helpers for tests that need the kernel (root,
// kernel features, a guard against a kernel whose BPF program loading
// hangs) or stand in for its BTF.
package testutils

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
)

// childEnv makes a re-executed test binary probe BPF loading and exit.
const childEnv = "RETIS_TESTUTILS_BPF_PROBE"

// probeTimeout bounds a trivial program load: it takes milliseconds, so a
// load still pending after this is stuck, not slow.
const probeTimeout = 20 * time.Second

func init() {
	if os.Getenv(childEnv) != "1" {
		return
	}
	p, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Type:         ebpf.SocketFilter,
		License:      "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	p.Close()
	os.Exit(0)
}

var (
	loadOnce sync.Once
	loadErr  error
)

// ErrBPFLoadHangs tells that loading a BPF program blocks in the kernel.
var ErrBPFLoadHangs = errors.New("loading a BPF program blocks in the kernel")

// BPFLoadWorks checks, once per process, that a trivial BPF program loads.
// The load runs in a child process (this test binary, re-executed): when
// the kernel is wedged (seen on 6.18: thousands of deferred program frees
// fill the system workqueue while a load waits on a vmap purge queued
// behind them, and every later load then sleeps uninterruptibly), a load
// in this process would hang the whole test run, since a thread in
// uninterruptible sleep cannot be killed. The stuck child is left behind.
func BPFLoadWorks() error {
	loadOnce.Do(func() {
		if os.Geteuid() != 0 {
			loadErr = errors.New("loading BPF programs needs root")
			return
		}
		// A wedged kernel stays so until reboot: remember it per boot so
		// that each test binary does not wait again.
		marker := wedgedMarker()
		if marker != "" {
			if _, err := os.Stat(marker); err == nil {
				loadErr = fmt.Errorf("%w (found %s, written by an earlier probe during this boot; only a reboot recovers)", ErrBPFLoadHangs, marker)
				return
			}
		}
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=1")
		out, err := os.CreateTemp("", "bpfprobe")
		if err != nil {
			loadErr = err
			return
		}
		defer os.Remove(out.Name())
		defer out.Close()
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			loadErr = fmt.Errorf("start BPF load probe: %w", err)
			return
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				msg, _ := os.ReadFile(out.Name())
				loadErr = fmt.Errorf("load a trivial BPF program: %w: %s", err, msg)
			}
		case <-time.After(probeTimeout):
			loadErr = fmt.Errorf("%w (a trivial program did not load within %v; see 'dmesg' for hung tasks in bpf_prog_pack_alloc: only a reboot recovers)", ErrBPFLoadHangs, probeTimeout)
			if marker != "" {
				os.WriteFile(marker, []byte(loadErr.Error()+"\n"), 0o644)
			}
		}
	})
	return loadErr
}

// wedgedMarker names the file recording, for this boot, that BPF loading
// hangs; "" when the boot id is unknown.
func wedgedMarker() string {
	id, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil || len(id) < 8 {
		return ""
	}
	return filepath.Join(os.TempDir(), "retis-bpf-load-hangs-"+strings.TrimSpace(string(id)))
}

// RequireWorkingKernel skips t when the kernel is wedged as BPFLoadWorks
// detects: the stuck system workqueue also blocks nf_tables commits and
// the release of namespaces, so tests changing nft rulesets or creating
// namespaces would hang too. On a healthy kernel it costs one trivial
// program load per test binary.
func RequireWorkingKernel(t testing.TB) {
	t.Helper()
	if err := BPFLoadWorks(); errors.Is(err, ErrBPFLoadHangs) {
		t.Skipf("skipping: the kernel is wedged: %v", err)
	}
}

// RequireBPF skips t when BPF programs cannot be loaded here, saying why.
// Call it before any test loads a program.
func RequireBPF(t testing.TB) {
	t.Helper()
	if err := BPFLoadWorks(); err != nil {
		t.Skipf("skipping: %v", err)
	}
}
