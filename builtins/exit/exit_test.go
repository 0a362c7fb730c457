package exit

import (
	"errors"
	"strings"
	"testing"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

func run(t *testing.T, src string) error {
	t.Helper()
	_, err := starlark.ExecFileOptions(&syntax.FileOptions{TopLevelControl: true}, new(starlark.Thread), "x.star", src, Predeclared())
	return err
}

func TestFailCarriesMessageAndCode(t *testing.T) {
	err := run(t, "def f(r):\n  fail('unexpected drop reason:', r)\nf('NO_SOCKET')\n")
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an *exit.Error", err)
	}
	if e.Code != 1 || e.Msg != "unexpected drop reason: NO_SOCKET" {
		t.Fatalf("got code %d msg %q", e.Code, e.Msg)
	}
}

func TestFailSepAndNonStrings(t *testing.T) {
	err := run(t, "fail(1, [2], sep='|')")
	var e *Error
	if !errors.As(err, &e) || e.Msg != "1|[2]" {
		t.Fatalf("got %v", err)
	}
}

func TestExitCode(t *testing.T) {
	for src, want := range map[string]int{"exit()": 0, "exit(3)": 3, "exit(code=125)": 125} {
		var e *Error
		if err := run(t, src); !errors.As(err, &e) || e.Code != want {
			t.Errorf("%s: got %v, want code %d", src, err, want)
		}
	}
	err := run(t, "exit(200)")
	var e *Error
	if errors.As(err, &e) || err == nil || !strings.Contains(err.Error(), "exit: code 200 out of range") {
		t.Fatalf("exit(200): got %v", err)
	}
}
