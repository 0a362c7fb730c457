package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// These tests build the real binary and run it as a user would.

var retisBin string

const compatDir = "../../../shared/retis-compat"

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "retis-bin")
	if err != nil {
		panic(err)
	}
	retisBin = filepath.Join(dir, "retis")
	// RETIS_TEST_BIN names a binary built beforehand: the VM tier passes
	// one, since compiling under emulation is slow.
	if prebuilt := os.Getenv("RETIS_TEST_BIN"); prebuilt != "" {
		retisBin = prebuilt
	} else if out, err := exec.Command("go", "build", "-o", retisBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build retis: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs retis with args in dir ("" = a fresh temp dir), NOPAGER set.
func run(t *testing.T, dir string, args ...string) result {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	cmd := exec.Command(retisBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NOPAGER=1")
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{so.String(), se.String(), code}
}

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

func TestStatsInputForms(t *testing.T) {
	f := compat(t, "test_events_packets.json")
	pos := run(t, "", "stats", f)
	flag := run(t, "", "stats", "-i", f)
	if pos.code != 0 || flag.code != 0 || pos.stdout != flag.stdout {
		t.Fatalf("positional %+v\nflag %+v", pos, flag)
	}
	if !strings.Contains(pos.stdout, "Number of events: 26\n") || !strings.Contains(pos.stdout, "  raw_tracepoint/skb:kfree_skb: 2\n") {
		t.Fatalf("stats output:\n%s", pos.stdout)
	}
	// Default input is retis.data in the working directory.
	dir := t.TempDir()
	data, _ := os.ReadFile(f)
	os.WriteFile(filepath.Join(dir, "retis.data"), data, 0o600)
	if def := run(t, dir, "stats"); def.stdout != pos.stdout {
		t.Fatalf("default input gave:\n%s", def.stdout)
	}
}

func TestMissingInputIsClearError(t *testing.T) {
	r := run(t, "", "stats")
	if r.code == 0 || !strings.Contains(r.stderr, "retis.data") || !strings.Contains(r.stderr, "retis collect") {
		t.Fatalf("%+v", r)
	}
	r = run(t, "", "stats", "a", "-i", "b")
	if r.code == 0 || !strings.Contains(r.stderr, "input given twice") {
		t.Fatalf("%+v", r)
	}
}

func TestMalformedFileNamesLine(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "bad.data")
	os.WriteFile(p, []byte("{\"common\":{\"timestamp\":1}}\n{oops\n"), 0o600)
	r := run(t, dir, "stats", p)
	if r.code == 0 || !strings.Contains(r.stderr, "bad.data:2:") {
		t.Fatalf("%+v", r)
	}
}

func TestLogLevelValidated(t *testing.T) {
	r := run(t, "", "--log-level", "loud", "stats")
	if r.code == 0 || !strings.Contains(r.stderr, "invalid log level") {
		t.Fatalf("%+v", r)
	}
}

func TestSchemaIsJSONSchema(t *testing.T) {
	r := run(t, "", "schema")
	if r.code != 0 || !strings.Contains(r.stdout, `"$schema": "https://json-schema.org/draft/2020-12/schema"`) || !strings.Contains(r.stdout, `"skb-drop"`) {
		t.Fatalf("%+v", r.stderr)
	}
}

func TestPrintRetisFile(t *testing.T) {
	r := run(t, "", "print", compat(t, "test_events_packets.json"))
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	want := `30419169061793 (6) [ping] 11330 [tp] net:net_dev_start_xmit #1baa83c42ba1ffff8e95c3b67c00 (skb ffff8e95d3009100)
  192.168.125.10 > 192.168.125.11 tos 0x0 ttl 64 id 41977 off 0 [DF] len 84 proto ICMP (1) type 8 code 0
  ns 0x3/4026532741 if 11 (veth-ns01)
  skb [csum none len 98 priority 0 users 1 dataref 1]
  ct_state NEW status 0x8 icmp orig [192.168.125.10 > 192.168.125.11 type 8 code 0 id 29004] reply [192.168.125.11 > 192.168.125.10 type 0 code 0 id 29004] zone 0 mark 0

`
	if !strings.Contains(r.stdout, want) {
		t.Fatalf("first event not rendered as Retis does:\n%s", r.stdout[:min(len(r.stdout), 1500)])
	}
	if n := strings.Count(r.stdout, "\n\n"); n != 27 {
		t.Fatalf("%d events printed, want 27", n)
	}
	single := run(t, "", "print", "--format", "single-line", "--utc", compat(t, "test_events_packets.json"))
	if lines := strings.Count(single.stdout, "\n"); lines != 27 || !strings.HasPrefix(strings.SplitN(single.stdout, "\n", 3)[1], "2025-03-18 23:12:45.860103 (6) [ping]") {
		t.Fatalf("single-line utc:\n%s", single.stdout[:min(len(single.stdout), 600)])
	}
	if bad := run(t, "", "print", "--format", "wide", compat(t, "test_events.json")); bad.code == 0 || !strings.Contains(bad.stderr, "single-line") {
		t.Fatalf("%+v", bad)
	}
}

func TestSortMatchesRetis(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "sorted.json")
	r := run(t, dir, "sort", compat(t, "test_events.json"), "-o", out)
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	got, _ := os.ReadFile(out)
	want, _ := os.ReadFile(compat(t, "test_events_sorted.json"))
	// Same series, same events in each (by timestamp), same indexes.
	shape := func(b []byte) string {
		var s strings.Builder
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			for _, m := range strings.Split(line, `"common":{`)[1:] {
				i := strings.Index(m, `"timestamp":`)
				s.WriteString(m[i : i+26])
			}
			s.WriteString(fmt.Sprint("|", strings.Count(line, `"idx"`), "\n"))
		}
		return s.String()
	}
	if shape(got) != shape(want) {
		t.Fatalf("series differ:\n%s\nwant\n%s", shape(got), shape(want))
	}
	fi, _ := os.Stat(out)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	// Sorting a sorted file is refused; printing it shows the series.
	if again := run(t, dir, "sort", out, "-o", filepath.Join(dir, "x")); again.code == 0 || !strings.Contains(again.stderr, "already sorted") {
		t.Fatalf("%+v", again)
	}
	if p := run(t, dir, "print", out); p.code != 0 || !strings.Contains(p.stdout, "  ↳ ") {
		t.Fatalf("%+v", p)
	}
	if self := run(t, dir, "sort", out, "-o", out); self.code == 0 || !strings.Contains(self.stderr, "overwrite its input") {
		t.Fatalf("%+v", self)
	}
}

func TestSortText(t *testing.T) {
	r := run(t, "", "sort", compat(t, "test_events_packets.json"))
	// 26 events in 6 series, plus the startup event.
	if r.code != 0 || strings.Count(r.stdout, "  ↳ ") != 20 || strings.Count(r.stdout, "\n\n") != 7 {
		t.Fatalf("%d follow-ups\n%s", strings.Count(r.stdout, "  ↳ "), r.stdout)
	}
}

func TestPcapLikeRetis(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark is not installed (.ci/setup installs it)")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "out.pcap")
	if r := run(t, dir, "pcap", compat(t, "test_events_packets.json"), "-o", out); r.code != 0 {
		t.Fatalf("%+v", r)
	}
	fields := func(p string) string {
		b, err := exec.Command("tshark", "-r", p, "-T", "fields", "-e", "frame.time_epoch", "-e", "frame.interface_name", "-e", "frame.len", "-e", "frame.comment").Output()
		if err != nil {
			t.Fatalf("tshark %s: %v", p, err)
		}
		// Packets only: the schema block differs (ours is generated from
		// our types).
		var pkts []string
		for _, l := range strings.Split(string(b), "\n") {
			if l != "" && l[0] != '\t' {
				pkts = append(pkts, l)
			}
		}
		return strings.Join(pkts, "\n") + "\n"
	}
	ours, ref := fields(out), fields(compat(t, "test_events_packets.pcap"))
	if ours != ref || strings.Count(ours, "\n") != 26 {
		t.Fatalf("pcap differs from Retis's:\n%s\nwant\n%s", ours, ref)
	}
	// One probe, through a pipe to tcpdump.
	cmd := exec.Command("sh", "-c", fmt.Sprintf("%s pcap -p tp:skb:kfree_skb %s | tcpdump -nnr -", retisBin, compat(t, "test_events_packets.json")))
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("pipe to tcpdump: %v", err)
	}
	if strings.Count(string(b), "\n") != 2 || !strings.Contains(string(b), "ICMP echo") {
		t.Fatalf("tcpdump read:\n%s", b)
	}
	if r := run(t, dir, "pcap", "-p", "tp:nope", compat(t, "test_events_packets.json"), "-o", filepath.Join(dir, "x.pcap")); r.code == 0 || !strings.Contains(r.stderr, "raw_tracepoint:skb:kfree_skb") {
		t.Fatalf("%+v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.pcap")); err == nil {
		t.Fatal("a failed export left its file behind")
	}
}

// -f after collection keeps the events whose packet matches, with
// libpcap's semantics (14 echo replies in the file, 12 requests).
func TestPostProcessingFilter(t *testing.T) {
	f := compat(t, "test_events_packets.json")
	r := run(t, "", "print", "-f", "icmp[icmptype] == icmp-echoreply", f)
	if r.code != 0 || strings.Count(r.stdout, "type 0 code 0\n") != 14 || strings.Contains(r.stdout, "type 8 code 0\n") {
		t.Fatalf("%+v", r)
	}
	s := run(t, "", "sort", "-f", "icmp[icmptype] == icmp-echoreply", f)
	// Whole series are kept: a series with a reply keeps all its events.
	if s.code != 0 || strings.Count(s.stdout, "\n\n") != 4 {
		t.Fatalf("%+v", s)
	}
	bad := run(t, "", "print", "-f", "tcp port", f)
	if bad.code == 0 || !strings.Contains(bad.stderr, "syntax error") {
		t.Fatalf("%+v", bad)
	}
}

func TestHoistProfiles(t *testing.T) {
	for in, want := range map[string]string{
		"-p generic collect -o":                   "collect --profile generic -o",
		"--log-level debug -p a,b collect -c skb": "--log-level debug collect --profile a,b -c skb",
		"--profile=dropmon collect":               "collect --profile dropmon",
		"-pdropmon collect":                       "collect --profile dropmon",
		"print -p x":                              "print -p x",
		"collect -p tp:skb:kfree_skb":             "collect -p tp:skb:kfree_skb",
	} {
		if got := strings.Join(hoistProfiles(strings.Fields(in)), " "); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

// A profile named before the command must exist: it is not taken for a
// kprobe target. Nothing is loaded before the error.
func TestUnknownProfileBeforeCommand(t *testing.T) {
	r := run(t, "", "-p", "nosuchprofile", "collect")
	if r.code == 0 || !strings.Contains(r.stderr, `no such profile "nosuchprofile"`) || !strings.Contains(r.stderr, "dropmon") {
		t.Fatalf("%+v", r)
	}
}
