package pcapng

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/retis-go/retis/engine/events"
)

// The interop tests read our output with the tools users read it with.

func lookTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (apt-get install %s): %v", name, name, err)
	}
	return p
}

// TestTcpdumpReadsStdin pipes our output into `tcpdump -r -`, as the docs
// show (retis pcap | tcpdump -nnr -), and compares what it prints with
// what it prints for Retis's capture.
func TestTcpdumpReadsStdin(t *testing.T) {
	tcpdump := lookTool(t, "tcpdump")
	out, _, err := export(t, "test_events_packets.json", Options{Comment: marker})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := os.ReadFile(compat(t, "test_events_packets.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	run := func(in []byte) []string {
		cmd := exec.Command(tcpdump, "-nn", "-tt", "--time-stamp-precision=nano", "-r", "-")
		cmd.Stdin = bytes.NewReader(in)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("tcpdump: %v: %s", err, stderr.String())
		}
		return strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	got, want := run(out), run(ref)
	if len(got) != 26 {
		t.Fatalf("tcpdump printed %d packets, want 26:\n%s", len(got), strings.Join(got, "\n"))
	}
	// The first packet: the ping request leaving veth-ns01.
	if first := "1742339565.860103793 IP 192.168.125.10 > 192.168.125.11: ICMP echo request, id 29004, seq 1, length 64"; got[0] != first {
		t.Errorf("first line %q, want %q", got[0], first)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("tcpdump output differs from Retis's capture:\n got %s\nwant %s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestTsharkSeesInterfacesAndComments checks the per-packet interface
// names and descriptions, comments and lengths as Wireshark's engine
// decodes them, against Retis's capture.
func TestTsharkSeesInterfacesAndComments(t *testing.T) {
	tshark := lookTool(t, "tshark")
	out, _, err := export(t, "test_events_packets.json", Options{Comment: marker})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "out.pcapng")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	fields := func(file string) [][]string {
		cmd := exec.Command(tshark, "-r", file, "-T", "fields", "-E", "separator=|",
			"-e", "frame.interface_name", "-e", "frame.interface_description",
			"-e", "frame.time_epoch", "-e", "frame.len", "-e", "frame.cap_len", "-e", "frame.comment")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("tshark: %v: %s", err, stderr.String())
		}
		var rows [][]string
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if f := strings.Split(l, "|"); f[0] != "" { // the custom block is a frame without interface
				rows = append(rows, f)
			}
		}
		return rows
	}
	got, want := fields(path), fields(compat(t, "test_events_packets.pcap"))
	if len(got) != 26 || len(want) != 26 {
		t.Fatalf("tshark sees %d packets, %d in Retis's capture; want 26", len(got), len(want))
	}
	evs := packetEvents(t, "test_events_packets.json")
	for i := range want {
		if strings.Join(got[i][:5], "|") != strings.Join(want[i][:5], "|") {
			t.Errorf("packet %d: %v, Retis %v", i, got[i][:5], want[i][:5])
		}
		if c := strings.TrimSuffix(marker(evs[i]), "\n"); got[i][5] != c {
			t.Errorf("packet %d: comment %q, want %q", i, got[i][5], c)
		}
	}
	if got[0][0] != "raw_tracepoint/net:net_dev_start_xmit" || got[0][1] != "Fake interface for probe raw_tracepoint/net:net_dev_start_xmit" {
		t.Errorf("first interface %q %q", got[0][0], got[0][1])
	}
}

// TestExportStreams feeds Export through a pipe and checks that packets
// come out while the input is still being written: nothing waits for the
// end of the input.
func TestExportStreams(t *testing.T) {
	const n = 20000
	tmpl := packetEvents(t, "test_events_packets.json")
	pr, pw := io.Pipe()
	out := &progress{}
	r, err := events.NewReader(pr, "pipe", events.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := Export(r, out, Options{Warn: func(string) {}})
		done <- result{n, err}
	}()

	write := func(from, to int) {
		var line []byte
		for i := from; i < to; i++ {
			e := *tmpl[i%len(tmpl)]
			c := *e.Common
			c.Timestamp += uint64(i) * 1000
			e.Common = &c
			line, err = e.AppendJSON(line[:0])
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := pw.Write(append(line, '\n')); err != nil {
				t.Error(err)
				return
			}
		}
	}
	fmt.Fprintln(pw, `{"common":{"timestamp":1},"startup":{"retis_version":"v1.7.0","cmdline":"x","clock_monotonic_offset":{"sec":1,"nsec":0},"machine":{"kernel_release":"","kernel_version":"","hardware_name":""}}}`)
	write(0, n/2)
	// Half the input is in and the pipe still open: output must follow.
	if !out.waitFor(1<<20, 20*time.Second) {
		pw.Close()
		t.Fatalf("only %d bytes out after %d of %d events: the export is not streaming", out.size(), n/2, n)
	}
	mid := out.size()
	write(n/2, n)
	pw.Close()
	res := <-done
	if res.err != nil || res.n != n {
		t.Fatalf("Export: %d packets, %v; want %d", res.n, res.err, n)
	}
	t.Logf("%d of %d bytes were out with half of the %d events in", mid, out.size(), n)
}

// progress is a writer that tells how much it has received.
type progress struct {
	mu sync.Mutex
	n  int
}

func (p *progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	p.n += len(b)
	p.mu.Unlock()
	return len(b), nil
}

func (p *progress) size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// waitFor waits until n bytes were written, or d passed.
func (p *progress) waitFor(n int, d time.Duration) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if p.size() >= n {
			return true
		}
	}
	return false
}
