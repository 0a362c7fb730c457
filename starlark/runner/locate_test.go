package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retis-go/retis/starlark"
)

func TestLocate(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for arg, embedded := range map[string]bool{"drop_report": true, "ci_check.star": true} {
		src, name, err := Locate(arg)
		if err != nil || src == starlark.OS != !embedded || !strings.HasSuffix(name, ".star") {
			t.Fatalf("%s: %v %q %v", arg, src, name, err)
		}
		if _, err := src.ReadFile(name); err != nil {
			t.Fatal(err)
		}
	}
	// A file wins over a built-in script of the same name.
	os.WriteFile(filepath.Join(dir, "drop_report"), []byte("x = 1\n"), 0o600)
	if src, name, err := Locate("drop_report"); err != nil || src != starlark.OS || name != "drop_report" {
		t.Fatalf("local file: %v %q %v", src, name, err)
	}
	for _, bad := range []string{"nope", "./print", "sub/print.star"} {
		if _, _, err := Locate(bad); err == nil || !strings.Contains(err.Error(), "nor a built-in script (ci_check, drop_report, latency, pcap, print, sort)") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func TestParseArgs(t *testing.T) {
	got, err := ParseArgs([]string{"allow=NO_SOCKET,TCP_CSUM", "empty=", "eq=a=b"})
	if err != nil || len(got) != 3 || got["allow"] != "NO_SOCKET,TCP_CSUM" || got["empty"] != "" || got["eq"] != "a=b" {
		t.Fatalf("%v %v", got, err)
	}
	for flags, want := range map[string]string{
		"allow":   `--arg "allow": want KEY=VALUE`,
		"=x":      `--arg "=x": want KEY=VALUE`,
		"a=1 a=2": "--arg a given twice",
	} {
		if _, err := ParseArgs(strings.Fields(flags)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", flags, err)
		}
	}
}
