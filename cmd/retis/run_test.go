package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// script writes a script (and the files it loads) into a temp dir and
// returns the dir.
func script(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestRunBuiltinScripts(t *testing.T) {
	f := compat(t, "test_events_packets.json")
	r := run(t, "", "run", "drop_report", "-i", f)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "reason     drops\nNO_SOCKET      2\n") || r.stderr != "" {
		t.Fatalf("%+v", r)
	}
	// The CI check: exit status 1 and the script's message, nothing else.
	r = run(t, "", "run", "ci_check", "-i", f, "--arg", "allow=NETFILTER_DROP")
	if r.code != 1 || r.stdout != "" || r.stderr != "unexpected drop reason(s): NO_SOCKET x2, first at skb:kfree_skb on veth-ns01 (allowed: NETFILTER_DROP)\n" {
		t.Fatalf("%+v", r)
	}
	r = run(t, "", "run", "ci_check.star", "-i", f, "--arg", "allow=NETFILTER_DROP,NO_SOCKET")
	if r.code != 0 || r.stdout != "2 drop(s), every reason allowed (NETFILTER_DROP, NO_SOCKET)\n" {
		t.Fatalf("%+v", r)
	}
	// print through `retis run` is `retis print`.
	a := run(t, "", "run", "print", "-i", f, "--arg", "format=single-line", "--arg", "utc=true")
	b := run(t, "", "print", "--format", "single-line", "--utc", f)
	if a.code != 0 || a.stdout != b.stdout || strings.Count(a.stdout, "\n") != 27 {
		t.Fatalf("run print:\n%s\nprint:\n%s", a.stdout, b.stdout)
	}
}

func TestRunScriptErrors(t *testing.T) {
	f := compat(t, "test_events.json")
	dir := script(t, map[string]string{
		"runtime.star":  "load(\"lib/util.star\", \"bump\")\n\ndef main(ctx):\n    bump({})\n",
		"lib/util.star": "def bump(d):\n    d[\"a\"] += 1\n",
		"syntax.star":   "def main(ctx)\n    pass\n",
		"exit.star":     "def main(ctx):\n    exit(3)\n",
		"loop.star":     "def main(ctx):\n    for e in ctx.events():\n        pass\n",
		"decl.star":     "collect(collectors = [\"skb-drop\"])\n",
	})
	r := run(t, dir, "run", "runtime.star", "-i", f)
	want := `lib/util.star:2:6: key "a" not in dict
Traceback (most recent call last):
  runtime.star:4:9: in main
  lib/util.star:2:6: in bump
Error: key "a" not in dict
`
	if r.code != 1 || r.stderr != want {
		t.Fatalf("runtime error: %+v", r)
	}
	if r := run(t, dir, "run", "syntax.star", "-i", f); r.code != 1 || r.stderr != "syntax.star:2:1: got newline, want ':'\n" {
		t.Fatalf("syntax error: %+v", r)
	}
	// Syntax errors come before the missing live collection.
	if r := run(t, dir, "run", "syntax.star"); r.code != 1 || !strings.HasPrefix(r.stderr, "syntax.star:2:1:") {
		t.Fatalf("syntax error, live: %+v", r)
	}
	if r := run(t, dir, "run", "exit.star", "-i", f); r.code != 3 || r.stderr != "" {
		t.Fatalf("exit(3): %+v", r)
	}
	if r := run(t, dir, "run", "loop.star", "-i", f, "--max-steps", "20"); r.code != 1 || !strings.Contains(r.stderr, "step limit of 20 reached while running main (raise it with --max-steps)") {
		t.Fatalf("step limit: %+v", r)
	}
	if r := run(t, dir, "run", "decl.star", "-i", f); r.code != 1 || !strings.Contains(r.stderr, "decl.star: no main(ctx) function: it only declares what to collect") {
		t.Fatalf("no main: %+v", r)
	}
	if r := run(t, dir, "run", "loop.star", "-p", "nosuch:a:b"); r.code != 1 || !strings.Contains(r.stderr, "unknown type \"nosuch\"") {
		t.Fatalf("live: %+v", r)
	}
	for _, tc := range []struct{ args, want string }{
		{"loop.star -i " + f + " -o out.data", "-o stores the events of a live collection"},
		{"loop.star -i " + f + " --arg nokey", `--arg "nokey": want KEY=VALUE`},
		{"nope -i " + f, `no script "nope": not a file, nor a built-in script (ci_check, drop_report`},
		{"loop.star -i " + f + " --format wide", "invalid --format"},
		{"loop.star -i missing.data", "open events file: stat missing.data"},
	} {
		if r := run(t, dir, append([]string{"run"}, strings.Fields(tc.args)...)...); r.code != 1 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s: %+v", tc.args, r)
		}
	}
}

// TestRunWritesOnlyGivenPaths checks that a script writes the files the
// user named, and no other.
func TestRunWritesOnlyGivenPaths(t *testing.T) {
	dir := script(t, map[string]string{"w.star": `
def main(ctx):
    w = pcap.writer(ctx.args["out"])
    for e in ctx.events():
        w.write(e)
    print(w.count)
    pcap.writer("other.pcap")
`})
	r := run(t, dir, "run", "w.star", "-i", compat(t, "test_events_packets.json"), "--arg", "out=drops.pcap")
	if r.code != 1 || r.stdout != "26\n" || !strings.Contains(r.stderr, `pcap.writer: "other.pcap": not a path given on the command line nor a declared output`) {
		t.Fatalf("%+v", r)
	}
	if fi, err := os.Stat(filepath.Join(dir, "drops.pcap")); err != nil || fi.Size() == 0 {
		t.Fatalf("drops.pcap: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "other.pcap")); err == nil {
		t.Fatal("other.pcap written")
	}
}
