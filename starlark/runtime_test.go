package starlark

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/retis-go/retis/builtins/collect"
	"github.com/retis-go/retis/builtins/kernel"
	"github.com/retis-go/retis/builtins/run"
	"github.com/retis-go/retis/engine/events"
)

// profiles is an embedded-like set, as profiles/ will be.
var profiles = fstest.MapFS{
	"dropmon.star": {Data: []byte(`"""Drops with reason, device and stack.

More text that profile list does not show.
"""
load("parts/ovs.star", "ovs_probes")

collect(collectors = ["skb-drop", "skb", "dev", "ns"], probes = ["tp:skb:kfree_skb/stack"])
if kernel.has_symbol("ovs_dp_upcall"):
    collect(collectors = ["ovs"], probes = ovs_probes)
if kernel.can_kprobe():
    probe("kprobe:ip_rcv")
`)},
	"parts/ovs.star": {Data: []byte(`
ovs_probes = ["tp:openvswitch:ovs_dp_upcall"]
collect(skb_sections = ["meta"])
`)},
}

func loadProfile(t *testing.T, facts kernel.Facts) *Script {
	t.Helper()
	s, err := Load(FS(profiles), "dropmon.star", Options{
		Stdout: &bytes.Buffer{},
		Kernel: facts,
	})
	if err != nil {
		var b bytes.Buffer
		Report(&b, err)
		t.Fatal(b.String())
	}
	return s
}

func TestProfileDeclarationsFollowKernel(t *testing.T) {
	withOVS := &kernel.Snapshot{KernelRelease: "6.1.0", Symbols: []string{"ovs_dp_upcall"}, Kprobes: true}
	c := loadProfile(t, withOVS).Config
	if got := strings.Join(c.Collectors, ","); got != "skb-drop,skb,dev,ns,ovs" {
		t.Errorf("collectors %s", got)
	}
	var probes []string
	for _, p := range c.Probes {
		probes = append(probes, p.String())
	}
	if got := strings.Join(probes, " "); got != "tp:skb:kfree_skb/stack tp:openvswitch:ovs_dp_upcall kprobe:ip_rcv" {
		t.Errorf("probes %s", got)
	}
	// The loaded module's own declaration joined the script's.
	if got := strings.Join(c.SkbSections, ","); got != "meta" {
		t.Errorf("skb sections %s", got)
	}

	plain := &kernel.Snapshot{KernelRelease: "6.18.0"}
	c = loadProfile(t, plain).Config
	if got := strings.Join(c.Collectors, ","); got != "skb-drop,skb,dev,ns" {
		t.Errorf("without ovs: collectors %s", got)
	}
	if len(c.Probes) != 1 {
		t.Errorf("without ovs and kprobes: probes %v", c.Probes)
	}
}

func TestDocstring(t *testing.T) {
	s := loadProfile(t, &kernel.Snapshot{KernelRelease: "6.18.0"})
	doc, err := Doc(FS(profiles), "dropmon.star")
	if err != nil {
		t.Fatal(err)
	}
	if doc != s.Doc || !strings.HasPrefix(doc, "Drops with reason, device and stack.\n") {
		t.Fatalf("doc %q, script doc %q", doc, s.Doc)
	}
	if d, _ := Doc(FS(fstest.MapFS{"x.star": {Data: []byte("x = 1\n")}}), "x.star"); d != "" {
		t.Fatalf("no docstring gave %q", d)
	}
}

// TestHermeticLoad checks that a script read from a set only reaches that
// set and the library: a relative load never falls through to the disk.
func TestHermeticLoad(t *testing.T) {
	set := fstest.MapFS{"a.star": {Data: []byte(`load("script_test.go", "x")`)}}
	_, err := Load(FS(set), "a.star", Options{Stdout: &bytes.Buffer{}})
	if err == nil || !strings.Contains(err.Error(), "want a .star file") {
		t.Fatalf("got %v", err)
	}
	set = fstest.MapFS{"a.star": {Data: []byte(`load("../starlark/doc.star", "x")`)}}
	_, err = Load(FS(set), "a.star", Options{Stdout: &bytes.Buffer{}})
	if err == nil || !strings.Contains(err.Error(), "cannot load ../starlark/doc.star") {
		t.Fatalf("got %v", err)
	}
}

func TestPcapWriterDeclaredAndGivenPaths(t *testing.T) {
	dir := t.TempDir()
	declared := filepath.Join(dir, "declared.pcap")
	given := filepath.Join(dir, "given.pcap")
	src := fstest.MapFS{"w.star": {Data: []byte(`
out = output(` + strqq(declared) + `)

def main(ctx):
    a = pcap.writer(out)
    b = pcap.writer(ctx.args["pcap"])
    written = 0
    for e in ctx.events():
        if e.kernel.symbol == "skb:kfree_skb":
            if a.write(e):
                written += 1
        elif e.kernel.symbol == "net:netif_receive_skb":
            b.write(e)
    b.close()
    print(written, a.count, b.count, a.path == out)
`)}}
	var stdout bytes.Buffer
	input := compat(t, "test_events_packets.json")
	s, err := Load(FS(src), "w.star", Options{
		Stdout: &stdout,
		Paths:  []string{input},
		Pcap:   openTextPcap,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Config.Outputs, ","); got != declared {
		t.Fatalf("outputs %s", got)
	}
	err = s.Main(run.NewContext(run.Options{
		Events: run.FileEvents(input, events.Options{}),
		Args:   map[string]string{"pcap": given},
	}))
	if err != nil {
		var b bytes.Buffer
		Report(&b, err)
		t.Fatal(b.String())
	}
	if got := stdout.String(); got != "2 2 8 True\n" {
		t.Fatalf("stdout %q", got)
	}
	// a was never closed by the script: Main closed (and flushed) it.
	for path, want := range map[string]string{
		declared: strings.Repeat("raw_tracepoint/skb:kfree_skb 98\n", 2),
		given:    strings.Repeat("raw_tracepoint/net:netif_receive_skb 98\n", 8),
	} {
		b, err := os.ReadFile(path)
		if err != nil || string(b) != want {
			t.Errorf("%s: %q %v", path, b, err)
		}
	}
}

func strqq(s string) string { return `"` + s + `"` }

// TestSourceErrorEndsScript checks that a broken events file stops main
// with the reader's error (file and line), exit status 1.
func TestSourceErrorEndsScript(t *testing.T) {
	good, err := os.ReadFile(compat(t, "test_events_packets.json"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(good), "\n")
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(strings.Join(lines[:5], "")+"{not json\n"+strings.Join(lines[5:], "")), 0o600); err != nil {
		t.Fatal(err)
	}
	src := fstest.MapFS{"m.star": {Data: []byte(`
def main(ctx):
    n = 0
    for e in ctx.events():
        n += 1
    print("not reached", n)
`)}}
	var stdout, report bytes.Buffer
	s, err := Load(FS(src), "m.star", Options{Stdout: &stdout})
	if err != nil {
		t.Fatal(err)
	}
	ctx := run.NewContext(run.Options{Events: run.FileEvents(bad, events.Options{})})
	err = s.Main(ctx)
	Report(&report, err)
	if ExitCode(err) != 1 || stdout.Len() != 0 {
		t.Fatalf("exit %d, stdout %q", ExitCode(err), stdout.String())
	}
	if !strings.Contains(report.String(), "m.star:4:5: Starlark computation cancelled: ctx.events: "+bad+":6:") {
		t.Fatalf("report:\n%s", report.String())
	}
	if ctx.Err() == nil || !strings.Contains(ctx.Err().Error(), bad+":6:") {
		t.Fatalf("ctx.Err() = %v", ctx.Err())
	}
}

func TestMainErrors(t *testing.T) {
	src := fstest.MapFS{"p.star": {Data: []byte(`collect(stack = True)`)}}
	s, err := Load(FS(src), "p.star", Options{Stdout: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	if s.HasMain() {
		t.Fatal("profile has main")
	}
	if err := s.Main(run.NewContext(run.Options{})); err == nil || !strings.Contains(err.Error(), "p.star: no main(ctx) function") {
		t.Fatalf("got %v", err)
	}
	if _, err := Load(OS, "testdata/none.star", Options{}); err == nil || !strings.Contains(err.Error(), "read script: open testdata/none.star") {
		t.Fatalf("missing script: %v", err)
	}
}

func TestConfigIsTheDeclarationsType(t *testing.T) {
	// The command extends what scripts declare with its own flags.
	s, err := Load(FS(fstest.MapFS{"p.star": {Data: []byte(`collect(filter = "udp", collectors = ["skb"])`)}}), "p.star", Options{Stdout: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	f := "tcp"
	s.Config.Extend(&collect.Config{Filter: &f, Collectors: []string{"dev"}})
	if *s.Config.Filter != "tcp" || strings.Join(s.Config.Collectors, ",") != "skb,dev" {
		t.Fatalf("%+v", s.Config)
	}
}

func TestDefaultKernelIsTheHost(t *testing.T) {
	want, err := kernel.NewHost().Release()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := Load(FS(fstest.MapFS{"k.star": {Data: []byte(`print(kernel.release())`)}}), "k.star", Options{Stdout: &out}); err != nil {
		t.Fatal(err)
	}
	if out.String() != want+"\n" {
		t.Fatalf("kernel.release() = %q, uname -r = %q", out.String(), want)
	}
}

func TestCancelStopsMain(t *testing.T) {
	s, err := Load(FS(fstest.MapFS{"loop.star": {Data: []byte("def main(ctx):\n    while True:\n        pass\n")}}), "loop.star", Options{Stdout: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- s.Main(run.NewContext(run.Options{})) }()
	s.Cancel("interrupted")
	err = <-done
	if err == nil || !strings.Contains(err.Error(), "cancelled: interrupted") || ExitCode(err) != 1 {
		t.Fatalf("got %v", err)
	}
}

func TestBuiltinError(t *testing.T) {
	src := FS(fstest.MapFS{"b.star": {Data: []byte(`
def main(ctx):
    if ctx.args["what"] == "builtin":
        ctx.series()
    elif ctx.args["what"] == "script":
        1 // 0
    else:
        fail("no")
`)}})
	s, err := Load(src, "b.star", Options{Stdout: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	for what, want := range map[string]string{"builtin": "ctx.series: no input (give an events file with -i)", "script": "", "fail": ""} {
		err := s.Main(run.NewContext(run.Options{Args: map[string]string{"what": what}}))
		got := BuiltinError(err)
		if (want == "" && got != nil) || (want != "" && (got == nil || got.Error() != want)) {
			t.Errorf("%s: BuiltinError(%v) = %v", what, err, got)
		}
		if want != "" && !errors.Is(got, run.ErrNoSource) {
			t.Errorf("%s: cause lost: %v", what, got)
		}
	}
	if BuiltinError(nil) != nil {
		t.Error("nil")
	}
}
