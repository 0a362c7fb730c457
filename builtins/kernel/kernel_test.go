package kernel

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

func exec(t *testing.T, f Facts, src string) error {
	t.Helper()
	th := new(starlark.Thread)
	if f != nil {
		SetFacts(th, f)
	}
	_, err := starlark.ExecFileOptions(&syntax.FileOptions{TopLevelControl: true}, th, "k.star", src,
		starlark.StringDict{"kernel": Module})
	return err
}

var snap = &Snapshot{
	KernelRelease: "6.1.0-28-amd64",
	Symbols:       []string{"ip_rcv", "__netif_receive_skb_core.constprop.0"},
	Tracepoints:   []string{"skb:kfree_skb", "net:netif_receive_skb"},
	BTFTypes:      []string{"struct sk_buff", "enum skb_drop_reason"},
	Kprobes:       true,
}

func TestModuleOverSnapshot(t *testing.T) {
	err := exec(t, snap, `
def check(cond, what):
    if not cond:
        fail(what)
check(kernel.release() == "6.1.0-28-amd64", "release")
check(kernel.version() == (6, 1, 0), "version")
check(kernel.version() >= (5, 8), "version compare")
check(not kernel.version() >= (6, 12), "version compare 2")
check(kernel.has_symbol("ip_rcv"), "symbol")
check(kernel.has_symbol("__netif_receive_skb_core"), "constprop clone")
check(not kernel.has_symbol("__netif_receive_skb"), "prefix is not a clone")
check(kernel.has_tracepoint("skb:kfree_skb"), "tp")
check(kernel.has_tracepoint("tp:net:netif_receive_skb"), "tp: prefix")
check(not kernel.has_tracepoint("skb:consume_skb"), "absent tp")
check(kernel.has_btf_type("sk_buff"), "bare name")
check(kernel.has_btf_type("struct sk_buff"), "struct")
check(not kernel.has_btf_type("union sk_buff"), "wrong kind")
check(kernel.has_btf_type("enum skb_drop_reason"), "enum")
check(kernel.can_kprobe(), "kprobes")
`)
	if err != nil {
		t.Fatal(err)
	}
	noKp := *snap
	noKp.Kprobes = false
	if err := exec(t, &noKp, `
if kernel.can_kprobe():
    fail("kprobes reported on a kernel without them")`); err != nil {
		t.Fatal(err)
	}
}

func TestModuleErrors(t *testing.T) {
	for src, want := range map[string]string{
		`kernel.has_tracepoint("kfree_skb")`:   `kernel.has_tracepoint: tracepoint "kfree_skb": want SUBSYSTEM:EVENT`,
		`kernel.has_btf_type("class sk_buff")`: `kernel.has_btf_type: BTF type "class sk_buff": kind must be`,
		`kernel.has_symbol()`:                  `kernel.has_symbol: missing argument for name`,
		`kernel.version(1)`:                    `kernel.version: got 1 arguments, want at most 0`,
	} {
		if err := exec(t, snap, src); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %s", src, err, want)
		}
	}
	if err := exec(t, nil, `kernel.release()`); err == nil || !strings.Contains(err.Error(), "kernel.release: no kernel facts") {
		t.Errorf("no facts: got %v", err)
	}
	bad := *snap
	bad.KernelRelease = "linux"
	if err := exec(t, &bad, `kernel.version()`); err == nil || !strings.Contains(err.Error(), `kernel release "linux"`) {
		t.Errorf("bad release: got %v", err)
	}
}

func TestParseRelease(t *testing.T) {
	for in, want := range map[string]Version{
		"6.18.44-fc-v657": {6, 18, 44}, "6.1.0-28-amd64": {6, 1, 0}, "5.8": {5, 8, 0}, "6.12.9+bpo-amd64": {6, 12, 9},
	} {
		if v, err := ParseRelease(in); err != nil || v != want {
			t.Errorf("%s: %v %v", in, v, err)
		}
	}
	for _, in := range []string{"", "6", "x.y", "6.1.2.3"} {
		if _, err := ParseRelease(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

// fakeRoot builds a /proc and /sys tree for Host.
func fakeRoot(t *testing.T, files map[string]string) string {
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, p)
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestHostOverFakeTree(t *testing.T) {
	root := fakeRoot(t, map[string]string{
		"/proc/sys/kernel/osrelease": "6.12.9-amd64\n",
		"/proc/kallsyms": "ffffffff81000000 T _text\n" +
			"0000000000000000 t __netif_receive_skb_core.constprop.0\n" +
			"ffffffffc0000000 t ovs_dp_upcall\t[openvswitch]\n",
		"/sys/kernel/tracing/events/skb/kfree_skb/": "",
		"/sys/kernel/tracing/kprobe_events":         "",
	})
	h := &Host{Root: root}
	if r, err := h.Release(); err != nil || r != "6.12.9-amd64" {
		t.Fatalf("release %q %v", r, err)
	}
	for name, want := range map[string]bool{"ovs_dp_upcall": true, "__netif_receive_skb_core": true, "_text": true, "ip_rcv": false} {
		if ok, err := h.HasSymbol(name); err != nil || ok != want {
			t.Errorf("HasSymbol(%s) = %v %v, want %v", name, ok, err, want)
		}
	}
	for name, want := range map[string]bool{"skb:kfree_skb": true, "skb:consume_skb": false, "net:netif_rx": false} {
		if ok, err := h.HasTracepoint(name); err != nil || ok != want {
			t.Errorf("HasTracepoint(%s) = %v %v, want %v", name, ok, err, want)
		}
	}
	if err := h.CanKprobe(); err != nil {
		t.Errorf("kprobe_events present: %v", err)
	}

	// tracefs mounted but no kprobe_events: built without kprobes.
	noKp := &Host{Root: fakeRoot(t, map[string]string{"/sys/kernel/tracing/events/": ""})}
	if err := noKp.CanKprobe(); !errors.Is(err, ebpf.ErrNotSupported) {
		t.Errorf("no kprobe_events: %v", err)
	}
	// No tracefs, no PMU: kallsyms decides.
	noTrace := &Host{Root: fakeRoot(t, map[string]string{"/proc/kallsyms": "0 T _text\n"})}
	if err := noTrace.CanKprobe(); !errors.Is(err, ebpf.ErrNotSupported) || !strings.Contains(err.Error(), "CONFIG_KPROBES") {
		t.Errorf("no register_kprobe: %v", err)
	}
	// Unreadable kallsyms is an error, not "no".
	missing := &Host{Root: t.TempDir()}
	if _, err := missing.HasSymbol("ip_rcv"); err == nil {
		t.Error("missing kallsyms gave an answer")
	}
}

// TestHostRunningKernel asks the running kernel things every kernel this
// project targets (≥ 5.8 with BTF) has, and things none has.
func TestHostRunningKernel(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		t.Skipf("kernel without BTF (%v): the project's target kernels have it", err)
	}
	h := NewHost()
	rel, err := h.Release()
	if err != nil {
		t.Fatal(err)
	}
	if v, err := ParseRelease(rel); err != nil || v.Major < 5 {
		t.Fatalf("release %s: %v %v", rel, v, err)
	}
	for name, want := range map[string]bool{"struct sk_buff": true, "enum skb_drop_reason": true, "struct retis_no_such_type": false} {
		if ok, err := h.HasBTFType(name); err != nil || ok != want {
			t.Errorf("HasBTFType(%s) = %v %v, want %v", name, ok, err, want)
		}
	}
	for name, want := range map[string]bool{"skb:kfree_skb": true, "net:netif_receive_skb": true, "skb:retis_no_such_event": false} {
		if ok, err := h.HasTracepoint(name); err != nil || ok != want {
			t.Errorf("HasTracepoint(%s) = %v %v, want %v", name, ok, err, want)
		}
	}
	if _, err := os.ReadFile("/proc/kallsyms"); err != nil {
		t.Skipf("kallsyms unreadable: %v", err)
	}
	for name, want := range map[string]bool{"ip_rcv": true, "retis_no_such_symbol": false} {
		if ok, err := h.HasSymbol(name); err != nil || ok != want {
			t.Errorf("HasSymbol(%s) = %v %v, want %v", name, ok, err, want)
		}
	}
	// Kprobes: the answer must agree with the PMU's presence.
	_, pmuErr := os.Stat("/sys/bus/event_source/devices/kprobe/type")
	err = h.CanKprobe()
	if pmuErr == nil && err != nil {
		t.Errorf("kprobe PMU present but CanKprobe: %v", err)
	}
	if pmuErr != nil && err == nil {
		if _, tErr := os.Stat("/sys/kernel/tracing/kprobe_events"); tErr != nil {
			t.Errorf("no kprobe PMU nor kprobe_events, but CanKprobe says yes")
		}
	}
	t.Logf("release %s, can_kprobe: %v", rel, err)
}
