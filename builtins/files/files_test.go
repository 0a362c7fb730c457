package files

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.starlark.net/starlark"

	"github.com/retis-go/retis/builtins"
)

type closer struct {
	name string
	log  *[]string
	err  error
}

func (c *closer) Close() error { *c.log = append(*c.log, c.name); return c.err }

func TestCheckCompareAbsolutePaths(t *testing.T) {
	wd, _ := os.Getwd()
	s := NewSet("out/drops.pcap", filepath.Join(wd, "report.txt"), "")
	for _, ok := range []string{"out/drops.pcap", "./out/../out/drops.pcap", filepath.Join(wd, "out/drops.pcap"), "report.txt"} {
		if err := s.Check(ok); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"drops.pcap", "/etc/passwd", "out", ""} {
		if err := s.Check(bad); !errors.Is(err, ErrNotAllowed) {
			t.Errorf("%q allowed: %v", bad, err)
		}
	}
}

func TestOpenPhasesAndClose(t *testing.T) {
	var log []string
	th := new(starlark.Thread)
	phase := builtins.PhaseLoad
	builtins.SetPhase(th, &phase)
	b := starlark.NewBuiltin("pcap.writer", nil)
	opener := func(name string) func(string) (*closer, error) {
		return func(string) (*closer, error) { return &closer{name: name, log: &log}, nil }
	}

	if _, err := Open(th, b, "a", opener("a")); err == nil || !strings.Contains(err.Error(), "pcap.writer: files are opened from main(ctx)") {
		t.Fatalf("open while loading: %v", err)
	}
	phase = builtins.PhaseMain
	if _, err := Open(th, b, "a", opener("a")); err == nil || !strings.Contains(err.Error(), "does not let scripts open files") {
		t.Fatalf("open without a set: %v", err)
	}
	s := NewSet("a", "b")
	SetFiles(th, s)
	if _, err := Open(th, b, "c", opener("c")); err == nil || !strings.Contains(err.Error(), `pcap.writer: "c": not a path given`) {
		t.Fatalf("open of an undeclared path: %v", err)
	}
	if _, err := Open(th, b, "a", opener("a")); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(th, b, "b", func(string) (*closer, error) { return &closer{name: "b", log: &log, err: errors.New("disk full")}, nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("close error lost: %v", err)
	}
	if strings.Join(log, ",") != "b,a" {
		t.Fatalf("closed %v, want b,a", log)
	}
}
