package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestProfileList(t *testing.T) {
	home := t.TempDir()
	userDir := filepath.Join(home, ".config", "retis", "profiles")
	os.MkdirAll(userDir, 0o755)
	os.WriteFile(filepath.Join(userDir, "dropmon.star"), []byte("\"\"\"My own drop monitor.\"\"\"\n"), 0o600)
	extra := t.TempDir()
	os.WriteFile(filepath.Join(extra, "lab.star"), []byte("\"\"\"Lab setup.\n\nDetails.\n\"\"\"\n"), 0o600)

	cmd := exec.Command(retisBin, "profile", "list", "-P", extra)
	cmd.Env = append(os.Environ(), "HOME="+home)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	fields := func(l string) string { return strings.Join(strings.Fields(l), " ") }
	if len(lines) != 7 || fields(lines[0]) != "NAME ORIGIN SUMMARY" {
		t.Fatalf("list:\n%s", out)
	}
	for i, want := range map[int]string{
		1: "dropmon " + userDir + " My own drop monitor.",
		2: "generic built-in A broad view of the stack:",
		4: "lab " + extra + " Lab setup.",
		5: "nft-dropmon built-in Packets nftables dropped,",
	} {
		if got := fields(lines[i]); !strings.HasPrefix(got, want) {
			t.Errorf("line %d: %q, want %q...", i, got, want)
		}
	}
}
