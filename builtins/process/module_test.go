package process

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/retis-go/retis/builtins"
	"github.com/retis-go/retis/builtins/engine"
	"github.com/retis-go/retis/builtins/event"
	"github.com/retis-go/retis/builtins/files"
	"github.com/retis-go/retis/builtins/run"
	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/output"
	"github.com/retis-go/retis/engine/process"
	"github.com/retis-go/retis/engine/tracking"
)

const compatDir = "../../../shared/retis-compat"

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

// call runs main(ctx) of src the way the runtime does: phase main, the
// given allowed paths, stdout, and a text formatter as a command sets it.
func call(t *testing.T, src string, ro run.Options, allowed ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	th := &starlark.Thread{Print: func(_ *starlark.Thread, msg string) { out.WriteString(msg + "\n") }}
	phase := builtins.PhaseMain
	builtins.SetPhase(th, &phase)
	builtins.SetStdout(th, &out)
	set := files.NewSet(allowed...)
	files.SetFiles(th, set)
	event.SetFormatter(th, &engine.Text{Format: output.Format{Multiline: true}})
	g, err := starlark.ExecFileOptions(&syntax.FileOptions{}, th, "p.star", src, starlark.StringDict{"process": Module})
	if err != nil {
		t.Fatal(err)
	}
	ctx := run.NewContext(ro)
	_, err = starlark.Call(th, g["main"], starlark.Tuple{ctx}, nil)
	err = errors.Join(err, ctx.Close(), set.Close())
	return out.String(), err
}

func fileRun(path string) run.Options {
	return run.Options{Input: path, Events: run.FileEvents(path, events.Options{})}
}

func open(t *testing.T, path string) *events.Reader {
	t.Helper()
	r, err := events.Open(path, events.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestPrintIsTheGoPath(t *testing.T) {
	for _, tc := range []struct {
		file, kwargs string
		f            output.Format
	}{
		{"test_events_packets.json", "", output.Format{Multiline: true}},
		{"test_events_packets.json", `format = "single-line", utc = True, print_ll = True`, output.Format{Time: output.UTCTime, PrintLL: true}},
		{"test_events_sorted.json", "", output.Format{Multiline: true}},
	} {
		path := compat(t, tc.file)
		got, err := call(t, "def main(ctx):\n    process.print(ctx, "+tc.kwargs+")\n", fileRun(path))
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		if err := process.Print(open(t, path), &want, process.PrintOptions{Format: tc.f}); err != nil {
			t.Fatal(err)
		}
		if got != want.String() || len(got) < 500 {
			t.Errorf("%s (%s): script prints %d bytes, retis print %d", tc.file, tc.kwargs, len(got), want.Len())
		}
	}
}

// memSource is a live source: not a file.
type memSource struct{ evs []*events.Event }

func (m *memSource) Next() (*events.Event, error) {
	if len(m.evs) == 0 {
		return nil, io.EOF
	}
	e := m.evs[0]
	m.evs = m.evs[1:]
	return e, nil
}

func TestPrintLive(t *testing.T) {
	evs := []*events.Event{
		{Common: &events.Common{Timestamp: 1}, Kernel: &events.Kernel{Symbol: "skb:kfree_skb", ProbeType: events.ProbeRawTracepoint}},
		{Common: &events.Common{Timestamp: 2}, Kernel: &events.Kernel{Symbol: "ip_rcv", ProbeType: events.ProbeKprobe}},
	}
	ro := run.Options{Events: func() (run.Source, error) { return &memSource{evs: evs}, nil }}
	got, err := call(t, `
def main(ctx):
    process.print(ctx, format = "single-line")
    print(ctx.stats.processed)
`, ro)
	if err != nil {
		t.Fatal(err)
	}
	if got != "1 [tp] skb:kfree_skb\n2 [k] ip_rcv\n2\n" {
		t.Fatalf("got %q", got)
	}
	_, err = call(t, "def main(ctx):\n    process.sort(ctx)\n", ro)
	if err == nil || !strings.Contains(err.Error(), "process.sort: works on an events file (-i)") {
		t.Fatalf("sort live: %v", err)
	}
}

func TestSortIsTheGoPath(t *testing.T) {
	path := compat(t, "test_events_packets.json")
	dir := t.TempDir()
	out := filepath.Join(dir, "sorted.json")
	got, err := call(t, `
def main(ctx):
    process.sort(ctx, out = ctx.args["out"], print = True, window = "1s", max_events = 100)
`, run.Options{Input: path, Events: run.FileEvents(path, events.Options{}), Args: map[string]string{"out": out}}, out)
	if err != nil {
		t.Fatal(err)
	}
	var text, js bytes.Buffer
	o := process.SortOptions{Format: output.Format{Multiline: true}, Text: &text, JSON: &js, Tracking: tracking.Options{Window: 1e9, MaxEvents: 100}}
	if err := process.Sort(open(t, path), o); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if got != text.String() || !bytes.Equal(file, js.Bytes()) || strings.Count(string(file), "\n") != 7 {
		t.Fatalf("text %d/%d bytes, json %d/%d bytes", len(got), text.Len(), len(file), js.Len())
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != events.FileMode {
		t.Fatalf("mode %v", fi.Mode())
	}

	// JSON to the script's output; the text format alone.
	got, err = call(t, "def main(ctx):\n    process.sort(ctx, out = \"-\")\n", fileRun(path))
	if err != nil || got != js.String() {
		t.Fatalf("out=-: %v\n%s", err, got)
	}

	for _, tc := range []struct{ src, input, want string }{
		{"process.sort(ctx, out = ctx.input)", path, "would overwrite its input"},
		{"process.sort(ctx)", compat(t, "test_events_sorted.json"), "already sorted"},
		{"process.sort(ctx, out = \"elsewhere.json\")", path, `"elsewhere.json": not a path given on the command line`},
		{"process.sort(ctx, window = \"-1s\")", path, "negative duration"},
		{"process.sort(ctx, format = \"wide\")", path, `format: unknown value "wide"`},
		{"process.sort(ctx, utc = \"yes\")", path, "utc: want True, False or None"},
		{"process.sort(ctx, format = 1)", path, `for parameter "format": got int, want a string or None`},
		{"process.sort(ctx, window = \"soon\")", path, `for parameter "window": time: invalid duration "soon"`},
	} {
		_, err := call(t, "def main(ctx):\n    "+tc.src+"\n", fileRun(tc.input), tc.input)
		if err == nil || !strings.Contains(err.Error(), "process.sort: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", tc.src, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "elsewhere.json")); err == nil {
		t.Fatal("a refused path was created")
	}
}

func TestPcapIsTheGoPath(t *testing.T) {
	path := compat(t, "test_events_packets.json")
	dir := t.TempDir()
	out := filepath.Join(dir, "out.pcap")
	got, err := call(t, `
def main(ctx):
    n = process.pcap(ctx, out = ctx.args["out"])
    print(n, "packets")
`, run.Options{Input: path, Events: run.FileEvents(path, events.Options{}), Args: map[string]string{"out": out}}, out)
	if err != nil || got != "26 packets\n" {
		t.Fatalf("%q %v", got, err)
	}
	var want bytes.Buffer
	if _, err := process.Pcap(open(t, path), &want, process.PcapOptions{}); err != nil {
		t.Fatal(err)
	}
	file, _ := os.ReadFile(out)
	if !bytes.Equal(file, want.Bytes()) {
		t.Fatalf("pcap differs: %d bytes, want %d", len(file), want.Len())
	}

	got, err = call(t, "def main(ctx):\n    process.pcap(ctx, probe = \"tp:skb:kfree_skb\")\n", fileRun(path))
	want.Reset()
	if _, err := process.Pcap(open(t, path), &want, process.PcapOptions{Probe: "tp:skb:kfree_skb"}); err != nil {
		t.Fatal(err)
	}
	if err != nil || got != want.String() {
		t.Fatalf("to stdout: %v, %d bytes, want %d", err, len(got), want.Len())
	}

	// A failed export leaves nothing behind.
	bad := filepath.Join(dir, "bad.pcap")
	_, err = call(t, "def main(ctx):\n    process.pcap(ctx, out = ctx.args[\"out\"], probe = \"tp:nope:nope\")\n",
		run.Options{Input: path, Events: run.FileEvents(path, events.Options{}), Args: map[string]string{"out": bad}}, bad)
	if err == nil || !strings.Contains(err.Error(), "process.pcap: ") || !strings.Contains(err.Error(), "raw_tracepoint:skb:kfree_skb") {
		t.Fatalf("unknown probe: %v", err)
	}
	if _, err := os.Stat(bad); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("failed export left %s: %v", bad, err)
	}
}
