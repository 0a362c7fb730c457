package starlark

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	gotime "time"

	"go.starlark.net/lib/time"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarktest"

	"github.com/retis-go/retis/builtins/engine"
	"github.com/retis-go/retis/builtins/kernel"
	"github.com/retis-go/retis/builtins/pcap"
	"github.com/retis-go/retis/builtins/run"
	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/output"
	"github.com/retis-go/retis/engine/tracking"
)

var update = flag.Bool("update", false, "rewrite golden .out files")

// compatDir holds files written by Retis itself; they are read in place.
const compatDir = "../../shared/retis-compat"

func compat(t testing.TB, name string) string {
	p := filepath.Join(compatDir, name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("Retis reference file missing: %v (the tests expect ../shared beside the clone)", err)
	}
	return p
}

// testFacts is the kernel the .star tests see.
var testFacts = &kernel.Snapshot{
	KernelRelease: "6.18.44-test",
	Symbols:       []string{"ip_rcv", "kfree_skb_reason", "__netif_receive_skb_core.constprop.0"},
	Tracepoints:   []string{"skb:kfree_skb", "skb:consume_skb", "net:netif_receive_skb", "net:net_dev_start_xmit"},
	BTFTypes:      []string{"struct sk_buff", "enum skb_drop_reason"},
	Kprobes:       false,
}

// textPcap stands in for the pcap-ng writer where a test reads back what
// was written: one line per packet.
type textPcap struct{ f *os.File }

func (w textPcap) Write(e *events.Event) error {
	_, err := fmt.Fprintf(w.f, "%s %d\n", e.ProbeName(), len(e.Packet.Data))
	return err
}
func (w textPcap) Close() error { return w.f.Close() }

func openTextPcap(path string) (pcap.Writer, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	return textPcap{f}, nil
}

// directives are read from "# retis-test: ..." lines: -i FILE (in the
// Retis compat directory), --arg k=v, --main-steps N, --load-steps N.
// $TMP stands for the test's temporary directory.
type directives struct {
	input     string
	args      map[string]string
	mainSteps uint64
	loadSteps uint64
}

func parseDirectives(t *testing.T, src []byte, tmp string) directives {
	d := directives{args: map[string]string{}}
	for _, line := range strings.Split(string(src), "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "# retis-test:")
		if !ok {
			continue
		}
		f := strings.Fields(strings.ReplaceAll(rest, "$TMP", tmp))
		for i := 0; i < len(f); i++ {
			if i+1 >= len(f) {
				t.Fatalf("directive %q: %s needs a value", line, f[i])
			}
			v := f[i+1]
			switch f[i] {
			case "-i":
				d.input = compat(t, v)
			case "--arg":
				k, val, _ := strings.Cut(v, "=")
				d.args[k] = val
			case "--main-steps", "--load-steps":
				n, err := strconv.ParseUint(v, 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				if f[i] == "--main-steps" {
					d.mainSteps = n
				} else {
					d.loadSteps = n
				}
			default:
				t.Fatalf("directive %q: unknown %s", line, f[i])
			}
			i++
		}
	}
	return d
}

type result struct {
	stdout string
	report string
	code   int
	script *Script
}

// runScript does what `retis run` will: load, then main(ctx) when there
// is one, then report.
func runScript(t *testing.T, src Files, name string, extra starlark.StringDict) result {
	t.Helper()
	data, err := src.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return runWith(t, src, name, parseDirectives(t, data, t.TempDir()), extra)
}

func runWith(t *testing.T, src Files, name string, d directives, extra starlark.StringDict) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	opts := Options{
		Stdout:      &stdout,
		Predeclared: extra,
		LoadSteps:   d.loadSteps,
		MainSteps:   d.mainSteps,
		StepsHint:   "raise it with --max-steps",
		Kernel:      testFacts,
		Formatter:   &engine.Text{Format: output.Format{Multiline: true}},
		Pcap:        engine.NewPcapOpener(nil),
		Setup: func(th *starlark.Thread) {
			time.SetNow(th, func() (gotime.Time, error) { return gotime.Unix(1700000000, 0).UTC(), nil })
			starlarktest.SetReporter(th, t)
		},
	}
	if d.input != "" {
		opts.Paths = []string{d.input}
	}
	s, err := Load(src, name, opts)
	if err == nil && s.HasMain() {
		ro := run.Options{Args: d.args, Input: d.input}
		if d.input != "" {
			ro.Events = run.FileEvents(d.input, events.Options{})
			ro.Series = engine.Series(ro.Events, tracking.Options{})
		}
		err = s.Main(run.NewContext(ro))
	}
	Report(&stderr, err)
	return result{stdout: stdout.String(), report: stderr.String(), code: ExitCode(err), script: s}
}

// TestAssertScripts runs testdata/assert/*.star: each asserts from inside
// Starlark with the assert module and must end without error.
func TestAssertScripts(t *testing.T) {
	assert, err := starlarktest.LoadAssertModule()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("testdata/assert/*.star")
	if len(files) == 0 {
		t.Fatal("no assert scripts")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := runScript(t, OS, f, assert)
			if r.code != 0 || r.report != "" {
				t.Errorf("exit %d:\n%s", r.code, r.report)
			}
		})
	}
}

// TestGolden runs testdata/golden/x.star and compares its output with
// x.out: stdout, then "--- stderr" and the report, then "--- exit N" when
// the exit status is not 0. -update rewrites the .out files.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/golden/*.star")
	if len(files) == 0 {
		t.Fatal("no golden scripts")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := runScript(t, OS, f, nil)
			got := r.stdout
			if r.report != "" {
				got += "--- stderr\n" + r.report
			}
			if r.code != 0 {
				got += fmt.Sprintf("--- exit %d\n", r.code)
			}
			golden := strings.TrimSuffix(f, ".star") + ".out"
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

// chunkFiles serves one chunk of an error test under the test file's own
// name, other names from disk, so load() and positions work as usual.
type chunkFiles struct {
	name string
	src  []byte
}

func (c chunkFiles) ReadFile(name string) ([]byte, error) {
	if name == c.name {
		return c.src, nil
	}
	return os.ReadFile(name)
}

var expectRE = regexp.MustCompile(`(?m)^\s*### (exit (\d+)|(.*))$`)

// TestErrorChunks runs testdata/errors/*.star. Each file holds chunks
// separated by "---" lines; each chunk is a script that must fail, its
// "### regexp" lines matching the report, "### exit N" giving the status
// (1 when absent). Chunks keep their line numbers.
func TestErrorChunks(t *testing.T) {
	files, _ := filepath.Glob("testdata/errors/*.star")
	if len(files) == 0 {
		t.Fatal("no error scripts")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitAfter(string(data), "\n")
		start := 0
		for i := 0; i <= len(lines); i++ {
			if i < len(lines) && strings.TrimSpace(lines[i]) != "---" {
				continue
			}
			chunk := strings.Repeat("\n", start) + strings.Join(lines[start:i], "")
			first := start + 1
			start = i + 1
			if strings.TrimSpace(chunk) == "" {
				continue
			}
			t.Run(fmt.Sprintf("%s:%d", filepath.Base(f), first), func(t *testing.T) {
				wantCode := 1
				var patterns []string
				for _, m := range expectRE.FindAllStringSubmatch(chunk, -1) {
					if m[2] != "" {
						wantCode, _ = strconv.Atoi(m[2])
					} else {
						patterns = append(patterns, m[3])
					}
				}
				if len(patterns) == 0 && wantCode == 1 {
					t.Fatal("chunk has no ### expectation")
				}
				r := runScript(t, chunkFiles{f, []byte(chunk)}, f, nil)
				if r.code != wantCode {
					t.Errorf("exit %d, want %d; report:\n%s", r.code, wantCode, r.report)
				}
				for _, p := range patterns {
					if ok, err := regexp.MatchString(p, r.report); err != nil || !ok {
						t.Errorf("report does not match %q (%v):\n%s", p, err, r.report)
					}
				}
			})
		}
	}
}
