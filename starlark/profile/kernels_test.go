package profile

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"

	"github.com/retis-go/retis/builtins/kernel"
)

// record rebuilds testdata/kernels/*.json from kernel images: each
// subdirectory of the given directory holds an unpacked Debian kernel
// (vmlinux, kernel.env with RELEASE=, root/boot/config-*), as the VM test
// tier keeps them in /var/cache/retis-vm/kernels.
var record = flag.String("record", "", "rebuild the kernel snapshots from the kernel images in this directory")

// snapshotFile is a kernel snapshot on disk: what the built-in profiles
// asked a kernel, and the answers that were yes.
type snapshotFile struct {
	Source   string          `json:"source"`
	Snapshot kernel.Snapshot `json:"snapshot"`
}

func loadSnapshots() ([]*kernel.Snapshot, error) {
	paths, err := filepath.Glob("testdata/kernels/*.json")
	if err != nil || len(paths) == 0 {
		return nil, fmt.Errorf("no kernel snapshots in testdata/kernels (%v)", err)
	}
	var out []*kernel.Snapshot
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var f snapshotFile
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		out = append(out, &f.Snapshot)
	}
	return out, nil
}

// imageFacts answers from a kernel image rather than a running kernel:
// functions and tracepoints from its BTF (as kernel.Host does when
// tracefs is not mounted), kprobes from its config. Module symbols are not
// in vmlinux: the snapshot is a kernel whose modules are not loaded yet.
type imageFacts struct {
	release string
	spec    *btf.Spec
	kprobes bool
}

func openImage(dir string) (*imageFacts, error) {
	env, err := os.ReadFile(filepath.Join(dir, "kernel.env"))
	if err != nil {
		return nil, err
	}
	f := &imageFacts{}
	sc := bufio.NewScanner(bytes.NewReader(env))
	for sc.Scan() {
		if r, ok := strings.CutPrefix(sc.Text(), "RELEASE="); ok {
			f.release = r
		}
	}
	if f.release == "" {
		return nil, fmt.Errorf("%s/kernel.env: no RELEASE=", dir)
	}
	configs, _ := filepath.Glob(filepath.Join(dir, "root/boot/config-*"))
	if len(configs) != 1 {
		return nil, fmt.Errorf("%s: want one root/boot/config-*, found %d", dir, len(configs))
	}
	config, err := os.ReadFile(configs[0])
	if err != nil {
		return nil, err
	}
	f.kprobes = bytes.Contains(config, []byte("\nCONFIG_KPROBES=y\n"))
	img, err := elf.Open(filepath.Join(dir, "vmlinux"))
	if err != nil {
		return nil, err
	}
	defer img.Close()
	sec := img.Section(".BTF")
	if sec == nil {
		return nil, fmt.Errorf("%s/vmlinux: no .BTF section", dir)
	}
	raw, err := sec.Data()
	if err != nil {
		return nil, err
	}
	if f.spec, err = btf.LoadSpecFromReader(bytes.NewReader(raw)); err != nil {
		return nil, fmt.Errorf("%s/vmlinux: %w", dir, err)
	}
	return f, nil
}

func (f *imageFacts) has(name string, want func(btf.Type) bool) (bool, error) {
	types, err := f.spec.AnyTypesByName(name)
	if errors.Is(err, btf.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(types, want), nil
}

func (f *imageFacts) Release() (string, error) { return f.release, nil }

func (f *imageFacts) HasSymbol(name string) (bool, error) {
	return f.has(name, func(t btf.Type) bool { _, ok := t.(*btf.Func); return ok })
}

func (f *imageFacts) HasTracepoint(name string) (bool, error) {
	_, ev, ok := strings.Cut(strings.TrimPrefix(name, "tp:"), ":")
	if !ok {
		return false, fmt.Errorf("tracepoint %q: want SUBSYSTEM:EVENT", name)
	}
	return f.has("btf_trace_"+ev, func(t btf.Type) bool { _, ok := t.(*btf.Typedef); return ok })
}

func (f *imageFacts) HasBTFType(name string) (bool, error) {
	kind, base, _ := strings.Cut(name, " ")
	if base == "" {
		kind, base = "", kind
	}
	return f.has(base, func(t btf.Type) bool {
		switch t.(type) {
		case *btf.Struct:
			return kind == "" || kind == "struct"
		case *btf.Union:
			return kind == "" || kind == "union"
		case *btf.Enum:
			return kind == "" || kind == "enum"
		case *btf.Typedef:
			return kind == "" || kind == "typedef"
		}
		return false
	})
}

func (f *imageFacts) CanKprobe() error {
	if !f.kprobes {
		return fmt.Errorf("kprobes in %s: %w", f.release, ebpf.ErrNotSupported)
	}
	return nil
}

// recorder keeps the yes answers of the facts it wraps.
type recorder struct {
	kernel.Facts
	mu   sync.Mutex
	snap kernel.Snapshot
}

func (r *recorder) keep(list *[]string, name string, ok bool, err error) (bool, error) {
	if ok && err == nil {
		r.mu.Lock()
		if !slices.Contains(*list, name) {
			*list = append(*list, name)
		}
		r.mu.Unlock()
	}
	return ok, err
}

func (r *recorder) HasSymbol(name string) (bool, error) {
	ok, err := r.Facts.HasSymbol(name)
	return r.keep(&r.snap.Symbols, name, ok, err)
}

func (r *recorder) HasTracepoint(name string) (bool, error) {
	ok, err := r.Facts.HasTracepoint(name)
	return r.keep(&r.snap.Tracepoints, strings.TrimPrefix(name, "tp:"), ok, err)
}

func (r *recorder) HasBTFType(name string) (bool, error) {
	ok, err := r.Facts.HasBTFType(name)
	return r.keep(&r.snap.BTFTypes, name, ok, err)
}

func (r *recorder) write(path, source string) error {
	var err error
	if r.snap.KernelRelease, err = r.Facts.Release(); err != nil {
		return err
	}
	r.snap.Kprobes = r.Facts.CanKprobe() == nil
	for _, l := range [][]string{r.snap.Symbols, r.snap.Tracepoints, r.snap.BTFTypes} {
		sort.Strings(l)
	}
	b, err := json.MarshalIndent(snapshotFile{Source: source, Snapshot: r.snap}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
