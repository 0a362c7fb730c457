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
	out, err := exec.Command("go", "build", "-o", retisBin, ".").CombinedOutput()
	if err != nil {
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
