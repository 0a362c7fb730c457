package scripts_test

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retis-go/retis/builtins/kernel"
	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/output"
	"github.com/retis-go/retis/engine/process"
	"github.com/retis-go/retis/scripts"
	"github.com/retis-go/retis/starlark"
	"github.com/retis-go/retis/starlark/runner"
)

var update = flag.Bool("update", false, "rewrite the golden .out files")

const compatDir = "../../shared/retis-compat"

func compat(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join(compatDir, name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("Retis reference file missing: %v", err)
	}
	return p
}

// host is the kernel the scripts' top levels see: none of the examples
// branch on it, so a fixed one keeps the runs reproducible.
var host = &kernel.Snapshot{KernelRelease: "6.18.0"}

type result struct {
	stdout, report string
	code           int
}

// runScript runs a built-in script on an events file as `retis run NAME
// -i FILE --arg ...` does.
func runScript(t *testing.T, name, input string, args map[string]string, paths ...string) result {
	t.Helper()
	var stdout, report bytes.Buffer
	l, err := runner.Load(runner.Options{
		Files:  starlark.FS(scripts.FS()),
		Script: name + ".star",
		Args:   args,
		Paths:  append([]string{input}, paths...),
		Text:   output.Format{Multiline: true},
		Stdout: &stdout,
		Kernel: host,
	})
	if err == nil {
		err = l.OnFile(input)
	}
	starlark.Report(&report, err)
	return result{stdout.String(), report.String(), starlark.ExitCode(err)}
}

// dropsFile writes a collection with drops of several reasons, on several
// devices, with stack traces as the dropmon profile collects them.
func dropsFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "drops.data")
	w, err := events.Create(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	drop := func(ts uint64, reason, dev string, stack ...string) *events.Event {
		e := &events.Event{
			Common:      &events.Common{Timestamp: ts},
			Kernel:      &events.Kernel{Symbol: "skb:kfree_skb", ProbeType: events.ProbeRawTracepoint, StackTrace: stack},
			SkbTracking: &events.SkbTracking{OrigHead: 0xffff8e95c3b60000 + ts, Timestamp: ts, Skb: 0xffff8e95d3000000 + ts},
			SkbDrop:     &events.SkbDrop{DropReason: reason},
		}
		if dev != "" {
			e.Dev = &events.Dev{Name: dev, Ifindex: 2}
		}
		return e
	}
	udp := []string{"kfree_skb_reason+0x9a", "__udp4_lib_rcv+0x5c1", "ip_protocol_deliver_rcu+0x1f", "ip_local_deliver_finish+0x76"}
	nf := []string{"kfree_skb_reason+0x9a", "nf_hook_slow+0xa1", "ip_local_deliver+0xe3"}
	csum := []string{"sk_skb_reason_drop+0x4b", "tcp_v4_rcv+0x1a2", "ip_protocol_deliver_rcu+0x1f"}
	evs := []*events.Event{
		{Common: &events.Common{Timestamp: 1}, Startup: &events.Startup{RetisVersion: events.WriterVersion}},
		{Common: &events.Common{Timestamp: 5}, Kernel: &events.Kernel{Symbol: "net:netif_receive_skb", ProbeType: events.ProbeRawTracepoint}, Dev: &events.Dev{Name: "eth0", Ifindex: 2}},
		drop(10, "NO_SOCKET", "eth0", udp...),
		drop(20, "NETFILTER_DROP", "veth0", nf...),
		drop(30, "NO_SOCKET", "eth0", udp...),
		drop(40, "TCP_CSUM", "eth0", csum...),
		drop(50, "NETFILTER_DROP", "veth0", nf...),
		drop(60, "NO_SOCKET", "veth0", udp...),
		drop(70, "NOT_SPECIFIED", ""),
	}
	for _, e := range evs {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestExamples runs the example scripts and compares what they print
// (stdout, then "--- stderr" and the report, then "--- exit N") with
// testdata/NAME.out. -update rewrites the files.
func TestExamples(t *testing.T) {
	drops := dropsFile(t)
	packets := compat(t, "test_events_packets.json")
	for _, tc := range []struct {
		golden, script, input string
		args                  map[string]string
	}{
		{"drop_report", "drop_report", drops, nil},
		{"drop_report_top1", "drop_report", drops, map[string]string{"top": "1"}},
		{"drop_report_packets", "drop_report", packets, nil},
		{"ci_check_allowed", "ci_check", packets, map[string]string{"allow": "NETFILTER_DROP,NO_SOCKET"}},
		{"ci_check_refused", "ci_check", packets, map[string]string{"allow": "NETFILTER_DROP"}},
		{"ci_check_none_allowed", "ci_check", compat(t, "test_events.json"), nil},
		{"ci_check_drops", "ci_check", drops, map[string]string{"allow": "NO_SOCKET, TCP_CSUM"}},
		{"latency", "latency", packets, nil},
		{"latency_rx_to_tx", "latency", packets, map[string]string{"from": "net:netif_receive_skb", "to": "net:net_dev_start_xmit"}},
		{"latency_none", "latency", packets, map[string]string{"from": "skb:kfree_skb"}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			r := runScript(t, tc.script, tc.input, tc.args)
			got := r.stdout
			if r.report != "" {
				got += "--- stderr\n" + r.report
			}
			if r.code != 0 {
				got += fmt.Sprintf("--- exit %d\n", r.code)
			}
			golden := filepath.Join("testdata", tc.golden+".out")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s:\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}

func TestBadArgs(t *testing.T) {
	r := runScript(t, "drop_report", dropsFile(t), map[string]string{"top": "ten"})
	if r.code != 1 || r.report != "--arg top=ten: want an integer\n" {
		t.Fatalf("%+v", r)
	}
	r = runScript(t, "print", dropsFile(t), map[string]string{"utc": "maybe"})
	if r.code != 1 || r.report != "--arg utc=maybe: want true or false\n" {
		t.Fatalf("%+v", r)
	}
}

// TestCommandScriptsAreTheGoPath checks that print, sort and pcap print
// and write byte for byte what engine/process does.
func TestCommandScriptsAreTheGoPath(t *testing.T) {
	packets := compat(t, "test_events_packets.json")
	open := func() *events.Reader {
		r, err := events.Open(packets, events.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		return r
	}
	var want bytes.Buffer
	if err := process.Print(open(), &want, process.PrintOptions{Format: output.Format{Time: output.UTCTime, PrintLL: true}}); err != nil {
		t.Fatal(err)
	}
	r := runScript(t, "print", packets, map[string]string{"format": "single-line", "utc": "true", "print_ll": "yes"})
	if r.code != 0 || r.stdout != want.String() {
		t.Fatalf("print: exit %d %s\n%s", r.code, r.report, r.stdout)
	}

	want.Reset()
	if err := process.Sort(open(), process.SortOptions{Format: output.Format{Multiline: true}, Text: &want}); err != nil {
		t.Fatal(err)
	}
	if r := runScript(t, "sort", packets, nil); r.code != 0 || r.stdout != want.String() {
		t.Fatalf("sort: exit %d %s\n%s", r.code, r.report, r.stdout)
	}

	want.Reset()
	if _, err := process.Pcap(open(), &want, process.PcapOptions{Probe: "tp:skb:kfree_skb"}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "drops.pcap")
	r = runScript(t, "pcap", packets, map[string]string{"probe": "tp:skb:kfree_skb", "out": out})
	got, _ := os.ReadFile(out)
	if r.code != 0 || !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("pcap: exit %d %s, %d bytes, want %d", r.code, r.report, len(got), want.Len())
	}
}

func TestEveryScriptHasASummary(t *testing.T) {
	names := scripts.Names()
	if strings.Join(names, " ") != "ci_check drop_report latency pcap print sort" {
		t.Fatalf("scripts %v", names)
	}
	for _, n := range names {
		doc, err := starlark.Doc(starlark.FS(scripts.FS()), n+".star")
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(doc, "\n")
		if len(first) < 20 || !strings.HasSuffix(first, ".") {
			t.Errorf("%s: first docstring line %q is not a one-line summary", n, first)
		}
	}
	if _, err := fs.Stat(scripts.FS(), "doc.go"); err == nil {
		t.Error("Go files are embedded")
	}
}
