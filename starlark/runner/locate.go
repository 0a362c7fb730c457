package runner

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/retis-go/retis/scripts"
	"github.com/retis-go/retis/starlark"
)

// Locate finds the script `retis run ARG` names: a file, or else one of
// the built-in scripts by name ("drop_report", or "drop_report.star").
// It returns where to read it from and its name there.
func Locate(arg string) (starlark.Files, string, error) {
	if _, err := os.Stat(arg); err == nil {
		return starlark.OS, arg, nil
	}
	names := scripts.Names()
	if name := strings.TrimSuffix(arg, ".star"); !strings.Contains(arg, "/") && slices.Contains(names, name) {
		return starlark.FS(scripts.FS()), name + ".star", nil
	}
	return nil, "", fmt.Errorf("no script %q: not a file, nor a built-in script (%s)", arg, strings.Join(names, ", "))
}

// ParseArgs reads --arg KEY=VALUE flags into ctx.args.
func ParseArgs(flags []string) (map[string]string, error) {
	args := make(map[string]string, len(flags))
	for _, f := range flags {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--arg %q: want KEY=VALUE", f)
		}
		if _, dup := args[k]; dup {
			return nil, fmt.Errorf("--arg %s given twice: give each key once (a list is one value, e.g. %s=a,b)", k, k)
		}
		args[k] = v
	}
	return args, nil
}
