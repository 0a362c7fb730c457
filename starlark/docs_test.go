package starlark

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"go.starlark.net/starlarkstruct"

	"github.com/retis-go/retis/builtins/run"
)

// docExample is a ```python block of docs/scripting.md, with the ```text
// block that follows it, if any: what it prints (stdout, then the report
// of an error).
type docExample struct {
	line   int
	code   string
	output *string
}

var fenceRE = regexp.MustCompile("(?ms)^```(python|text)\n(.*?)^```\n")

func docExamples(t *testing.T, doc string) []docExample {
	var out []docExample
	matches := fenceRE.FindAllStringSubmatchIndex(doc, -1)
	for i, m := range matches {
		lang, body := doc[m[2]:m[3]], doc[m[4]:m[5]]
		if lang != "python" {
			continue
		}
		ex := docExample{line: strings.Count(doc[:m[0]], "\n") + 1, code: body}
		if i+1 < len(matches) {
			n := matches[i+1]
			between := doc[m[1]:n[0]]
			if doc[n[2]:n[3]] == "text" && strings.TrimSpace(between) == "" {
				o := doc[n[4]:n[5]]
				ex.output = &o
			}
		}
		out = append(out, ex)
	}
	return out
}

// TestScriptingDocExamples runs every example of docs/scripting.md: each
// loads as a script and, when it has main, runs on the Retis packets file
// with --arg allow=NO_SOCKET --arg pcap=drops.pcap --arg out=sorted.json,
// in a temporary directory. Examples followed by a text block must print
// exactly that; only those may fail.
func TestScriptingDocExamples(t *testing.T) {
	b, err := os.ReadFile("../docs/scripting.md")
	if err != nil {
		t.Fatal(err)
	}
	input, err := filepath.Abs(compat(t, "test_events_packets.json"))
	if err != nil {
		t.Fatal(err)
	}
	examples := docExamples(t, string(b))
	if len(examples) < 10 {
		t.Fatalf("found %d examples; the fences must be ```python", len(examples))
	}
	for _, ex := range examples {
		t.Run(fmt.Sprintf("line%d", ex.line), func(t *testing.T) {
			t.Chdir(t.TempDir())
			src := FS(fstest.MapFS{"example.star": {Data: []byte(ex.code)}})
			r := runWith(t, src, "example.star", directives{
				input: input,
				args:  map[string]string{"allow": "NO_SOCKET", "pcap": "drops.pcap", "out": "sorted.json"},
			}, nil)
			got := r.stdout + r.report
			if ex.output == nil {
				if r.code != 0 {
					t.Fatalf("example at docs/scripting.md:%d exits %d:\n%s", ex.line, r.code, got)
				}
				return
			}
			if got != *ex.output {
				t.Fatalf("example at docs/scripting.md:%d prints:\n%s\nthe doc says:\n%s", ex.line, got, *ex.output)
			}
		})
	}
}

// TestScriptingDocCoversBuiltins checks that every builtin a script can
// call, and every member of ctx, appears in an example of
// docs/scripting.md (and so runs). go.starlark.net's own modules are
// documented upstream: only their names must appear.
func TestScriptingDocCoversBuiltins(t *testing.T) {
	b, err := os.ReadFile("../docs/scripting.md")
	if err != nil {
		t.Fatal(err)
	}
	var code strings.Builder
	for _, ex := range docExamples(t, string(b)) {
		code.WriteString(ex.code)
	}
	examples := code.String()
	upstream := map[string]bool{"json": true, "time": true, "math": true}
	var want []string
	for name, v := range Predeclared() {
		switch v := v.(type) {
		case *starlarkstruct.Module:
			if upstream[name] {
				want = append(want, name+".")
				continue
			}
			for member := range v.Members {
				want = append(want, name+"."+member+"(")
			}
		default:
			want = append(want, name+"(")
		}
	}
	for _, attr := range run.NewContext(run.Options{}).AttrNames() {
		want = append(want, "ctx."+attr)
	}
	for _, w := range want {
		if !strings.Contains(examples, w) {
			t.Errorf("no example of docs/scripting.md uses %s", w)
		}
	}
}
