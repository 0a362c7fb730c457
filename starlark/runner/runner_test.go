package runner

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/retis-go/retis/builtins/kernel"
	"github.com/retis-go/retis/builtins/run"
	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/output"
	"github.com/retis-go/retis/starlark"
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

func load(t *testing.T, src string, opts Options) (*Loaded, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	opts.Files = starlark.FS(fstest.MapFS{"s.star": {Data: []byte(src)}})
	opts.Script = "s.star"
	opts.Stdout = &out
	opts.Kernel = &kernel.Snapshot{KernelRelease: "6.18.0"}
	l, err := Load(opts)
	if err != nil {
		var b bytes.Buffer
		starlark.Report(&b, err)
		t.Fatal(b.String())
	}
	return l, &out
}

// TestFileClock checks that what a script renders and writes from a file
// uses the file's clock offset: UTC text, wall-clock pcap-ng timestamps.
func TestFileClock(t *testing.T) {
	input := compat(t, "test_events_packets.json")
	out := filepath.Join(t.TempDir(), "drops.pcap")
	l, stdout := load(t, `
def main(ctx):
    w = pcap.writer(ctx.args["out"])
    for e in ctx.events():
        if e.skb_drop:
            w.write(e)
            print(str(e).split(" 192.168")[0])
    print(ctx.input == ctx.args["in"])
`, Options{
		Args:  map[string]string{"out": out, "in": input},
		Text:  output.Format{Time: output.UTCTime},
		Paths: []string{input},
	})
	if err := l.OnFile(input); err != nil {
		t.Fatal(err)
	}
	want := "2025-03-18 23:12:45.860499 (6) [handler8] 985/995 [tp] skb:kfree_skb #1baa83c9f241ffff8e96eeea2600 (skb ffff8e95d3009600) drop (reason NO_SOCKET)"
	if lines := strings.Split(stdout.String(), "\n"); len(lines) != 4 || lines[0] != want || lines[2] != "True" {
		t.Fatalf("stdout:\n%s", stdout.String())
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	_, ci, err := r.ReadPacketData()
	if err != nil {
		t.Fatal(err)
	}
	if got := ci.Timestamp.UTC().Format("2006-01-02 15:04:05.000000"); got != "2025-03-18 23:12:45.860499" {
		t.Fatalf("first packet at %s", got)
	}
}

func TestOnSourceLive(t *testing.T) {
	l, stdout := load(t, `
def main(ctx):
    n = 0
    for s in ctx.series():
        n += len(s)
    print(n, ctx.stats.processed, ctx.stats.lost, ctx.input)
`, Options{})
	pipe := run.NewPipe(4)
	go func() {
		for i := range 10 {
			ts := uint64(i + 1)
			pipe.Write(&events.Event{
				Common:      &events.Common{Timestamp: ts},
				Kernel:      &events.Kernel{Symbol: "net:netif_receive_skb", ProbeType: events.ProbeRawTracepoint},
				SkbTracking: &events.SkbTracking{OrigHead: uint64(i % 3), Timestamp: uint64(i % 3)},
			})
		}
		pipe.CloseWrite(nil)
	}()
	if err := l.OnSource(pipe.Open, nil, func() uint64 { return 3 }); err != nil {
		t.Fatal(err)
	}
	if stdout.String() != "10 10 3 None\n" {
		t.Fatalf("stdout %q", stdout.String())
	}
}

func TestDeclarationsOnly(t *testing.T) {
	l, _ := load(t, `collect(collectors = ["skb-drop"])`, Options{})
	if got := l.Script.Config.Collectors; len(got) != 1 || got[0] != "skb-drop" {
		t.Fatalf("collectors %v", got)
	}
	err := l.OnFile(compat(t, "test_events.json"))
	if !errors.Is(err, starlark.ErrNoMain) || !strings.Contains(err.Error(), "only declares what to collect") {
		t.Fatalf("got %v", err)
	}
}

// TestInterruptStopsAFileRun sends the process a SIGINT while a script
// loops: the run stops with status 1 and the process lives on.
func TestInterruptStopsAFileRun(t *testing.T) {
	l, _ := load(t, "def main(ctx):\n    for e in ctx.events():\n        pass\n    while True:\n        pass\n", Options{})
	go func() {
		time.Sleep(200 * time.Millisecond)
		syscall.Kill(os.Getpid(), syscall.SIGINT)
	}()
	err := l.OnFile(compat(t, "test_events.json"))
	if err == nil || !strings.Contains(err.Error(), "cancelled: interrupted") || starlark.ExitCode(err) != 1 {
		t.Fatalf("got %v", err)
	}
}
