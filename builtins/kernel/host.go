package kernel

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"golang.org/x/sys/unix"
)

// Host reads facts from the running kernel: uname, /proc/kallsyms, tracefs
// (or, when it is not mounted, the btf_trace_* typedefs tp_btf programs
// attach through) and kernel BTF. Each source is read once, on first use.
type Host struct {
	// Root prefixes the /proc and /sys paths read; empty means "/". Tests
	// point it at a fake tree. BTF is not read through it.
	Root string
	// BTF gives kernel and module BTF; nil means a private cache of the
	// running kernel's.
	BTF *btf.Cache

	once    sync.Once
	symbols func() (map[string]struct{}, error)
}

var _ Facts = (*Host)(nil)

// NewHost returns facts about the running kernel.
func NewHost() *Host { return &Host{} }

func (h *Host) path(p string) string { return filepath.Join(h.Root, p) }

func (h *Host) init() {
	h.once.Do(func() {
		if h.BTF == nil {
			h.BTF = btf.NewCache()
		}
		h.symbols = sync.OnceValues(h.readKallsyms)
	})
}

// Release implements Facts.
func (h *Host) Release() (string, error) {
	if h.Root != "" {
		b, err := os.ReadFile(h.path("/proc/sys/kernel/osrelease"))
		if err != nil {
			return "", fmt.Errorf("kernel release: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", fmt.Errorf("uname: %w", err)
	}
	return unix.ByteSliceToString(u.Release[:]), nil
}

// readKallsyms keeps the names (not addresses, which are zero for
// unprivileged readers anyway) of every kernel and module symbol.
func (h *Host) readKallsyms() (map[string]struct{}, error) {
	f, err := os.Open(h.path("/proc/kallsyms"))
	if err != nil {
		return nil, fmt.Errorf("read kernel symbols: %w", err)
	}
	defer f.Close()
	syms := make(map[string]struct{}, 1<<17)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "ffffffff81000000 T _text\t[module]"
		line := sc.Bytes()
		f := bytes.Fields(line)
		if len(f) < 3 {
			continue
		}
		name := string(f[2])
		syms[name] = struct{}{}
		// Index the base of compiler clones so a lookup stays one map
		// access: __netif_receive_skb_core.constprop.0 answers for
		// __netif_receive_skb_core.
		if base, _, ok := strings.Cut(name, "."); ok && base != "" {
			syms[base] = struct{}{}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read kernel symbols: %w", err)
	}
	if len(syms) == 0 {
		return nil, errors.New("read kernel symbols: /proc/kallsyms is empty")
	}
	return syms, nil
}

// HasSymbol implements Facts.
func (h *Host) HasSymbol(name string) (bool, error) {
	h.init()
	syms, err := h.symbols()
	if err != nil {
		return false, err
	}
	_, ok := syms[name]
	return ok, nil
}

// tracefs returns the mounted tracefs directory, or "" when none is.
func (h *Host) tracefs() string {
	for _, d := range []string{"/sys/kernel/tracing", "/sys/kernel/debug/tracing"} {
		if st, err := os.Stat(h.path(d + "/events")); err == nil && st.IsDir() {
			return h.path(d)
		}
	}
	return ""
}

// HasTracepoint implements Facts.
func (h *Host) HasTracepoint(name string) (bool, error) {
	name, err := tracepointName(name)
	if err != nil {
		return false, err
	}
	sys, ev, _ := strings.Cut(name, ":")
	if dir := h.tracefs(); dir != "" {
		_, err := os.Stat(filepath.Join(dir, "events", sys, ev))
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, fs.ErrNotExist):
			return false, nil
		}
		return false, fmt.Errorf("tracepoint %s: %w", name, err)
	}
	// Without tracefs, BTF still says which tracepoints exist: each has a
	// btf_trace_<event> typedef, in vmlinux or in its module's BTF.
	ok, err := h.btfHas("typedef", "btf_trace_"+ev, true)
	if err != nil {
		return false, fmt.Errorf("tracepoint %s (tracefs not mounted, asked BTF): %w", name, err)
	}
	return ok, nil
}

// HasBTFType implements Facts. A kernel without BTF has no BTF types.
func (h *Host) HasBTFType(name string) (bool, error) {
	kind, base, err := splitKind(name)
	if err != nil {
		return false, err
	}
	ok, err := h.btfHas(kind, base, false)
	if errors.Is(err, ebpf.ErrNotSupported) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("BTF type %s: %w", name, err)
	}
	return ok, nil
}

// btfHas looks a type up in vmlinux BTF and, when asked, in every loaded
// module's.
func (h *Host) btfHas(kind, name string, modules bool) (bool, error) {
	h.init()
	spec, err := h.BTF.Kernel()
	if err != nil {
		return false, err
	}
	if ok, err := specHas(spec, kind, name); ok || err != nil || !modules {
		return ok, err
	}
	mods, err := h.BTF.Modules()
	if err != nil {
		return false, err
	}
	for _, m := range mods {
		ms, err := h.BTF.Module(m)
		if err != nil {
			return false, fmt.Errorf("module %s: %w", m, err)
		}
		if ok, err := specHas(ms, kind, name); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

func specHas(spec *btf.Spec, kind, name string) (bool, error) {
	types, err := spec.AnyTypesByName(name)
	if errors.Is(err, btf.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, t := range types {
		if kind == "" || btfKind(t) == kind {
			return true, nil
		}
	}
	return false, nil
}

func btfKind(t btf.Type) string {
	switch t.(type) {
	case *btf.Struct:
		return "struct"
	case *btf.Union:
		return "union"
	case *btf.Enum:
		return "enum"
	case *btf.Typedef:
		return "typedef"
	}
	return ""
}

// CanKprobe implements Facts. Kprobes are attached through the kprobe PMU
// (Linux ≥ 4.17) or tracefs's kprobe_events; a kernel built without
// CONFIG_KPROBES has neither and no register_kprobe symbol.
func (h *Host) CanKprobe() error {
	if _, err := os.Stat(h.path("/sys/bus/event_source/devices/kprobe/type")); err == nil {
		return nil
	}
	if dir := h.tracefs(); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "kprobe_events")); err == nil {
			return nil
		}
		return fmt.Errorf("kprobes: no kprobe PMU and no kprobe_events in tracefs (kernel built without CONFIG_KPROBES?): %w", ebpf.ErrNotSupported)
	}
	ok, err := h.HasSymbol("register_kprobe")
	if err != nil {
		return fmt.Errorf("kprobes: no kprobe PMU, tracefs not mounted, and: %w", err)
	}
	if !ok {
		return fmt.Errorf("kprobes: kernel built without CONFIG_KPROBES: %w", ebpf.ErrNotSupported)
	}
	return errors.New("kprobes: the kernel has them but exposes neither the kprobe PMU nor a mounted tracefs")
}
