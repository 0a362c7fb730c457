package profile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/retis-go/retis/builtins/collect"
	"github.com/retis-go/retis/builtins/kernel"
	"github.com/retis-go/retis/profiles"
	"github.com/retis-go/retis/starlark"
)

// Builtin is the origin of the embedded profiles.
const Builtin = "built-in"

// Ext ends a profile's file name.
const Ext = ".star"

// ErrNotFound is returned for a name no directory holds.
var ErrNotFound = errors.New("no such profile")

// Profile is a profile found by name or path.
type Profile struct {
	// Name is the file name without Ext.
	Name string
	// Origin is Builtin, the directory it was found in, or the path it
	// was given as.
	Origin string

	files starlark.Files
	file  string
}

// String names the profile as the user gave it: its name, or its path.
func (p *Profile) String() string {
	if p.files == starlark.OS {
		return p.Origin
	}
	return p.Name
}

// Summary returns the first line of the profile's docstring, read without
// running it.
func (p *Profile) Summary() (string, error) {
	doc, err := starlark.Doc(p.files, p.file)
	if err != nil {
		return "", fmt.Errorf("profile %s: %w", p, err)
	}
	first, _, _ := strings.Cut(strings.TrimSpace(doc), "\n")
	return first, nil
}

// Load runs the profile's top level against k and returns the script,
// its declarations in Config. print() goes to standard error: a profile
// speaks about itself, not about events.
func (p *Profile) Load(k kernel.Facts) (*starlark.Script, error) {
	s, err := starlark.Load(p.files, p.file, starlark.Options{Kernel: k, Stdout: os.Stderr})
	if err != nil {
		return nil, fmt.Errorf("profile %s: %w", p, err)
	}
	return s, nil
}

// DefaultDirs returns the directories searched, lowest precedence first:
// /etc/retis/profiles, $HOME/.config/retis/profiles (when HOME is set),
// then extra (the -P directories, in the order given).
func DefaultDirs(extra []string) []string {
	dirs := []string{"/etc/retis/profiles"}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, ".config", "retis", "profiles"))
	}
	return append(dirs, extra...)
}

// IsPath tells whether a profile value is a path rather than a name.
func IsPath(v string) bool {
	return strings.Contains(v, "/") || strings.HasSuffix(v, Ext)
}

// Find returns the profile v names: a path, or a name looked up in dirs
// (the last holding it wins) then in the embedded set.
func Find(v string, dirs []string) (*Profile, error) {
	if IsPath(v) {
		if _, err := os.Stat(v); err != nil {
			return nil, fmt.Errorf("profile %s: %w", v, err)
		}
		return &Profile{
			Name:   strings.TrimSuffix(filepath.Base(v), Ext),
			Origin: v,
			files:  starlark.OS,
			file:   v,
		}, nil
	}
	if v == "" {
		return nil, errors.New("empty profile name")
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		p := filepath.Join(dirs[i], v+Ext)
		_, err := os.Stat(p)
		if err == nil {
			return dirProfile(dirs[i], v), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("profile %s: %w", v, err)
		}
	}
	if _, err := fs.Stat(profiles.FS(), v+Ext); err == nil {
		return &Profile{Name: v, Origin: Builtin, files: starlark.FS(profiles.FS()), file: v + Ext}, nil
	}
	var names []string
	if all, err := List(dirs); err == nil {
		for _, p := range all {
			names = append(names, p.Name)
		}
	}
	return nil, fmt.Errorf("%w %q (known: %s; a file works too: -p ./%s%s)", ErrNotFound, v, strings.Join(names, ", "), v, Ext)
}

// dirProfile reads a profile in dir; its relative load()s stay in dir.
func dirProfile(dir, name string) *Profile {
	return &Profile{Name: name, Origin: dir, files: starlark.FS(os.DirFS(dir)), file: name + Ext}
}

// List returns the profiles Find would pick for each name found, sorted
// by name. Missing directories are skipped.
func List(dirs []string) ([]*Profile, error) {
	byName := map[string]*Profile{}
	entries, err := fs.ReadDir(profiles.FS(), ".")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		n := strings.TrimSuffix(e.Name(), Ext)
		byName[n] = &Profile{Name: n, Origin: Builtin, files: starlark.FS(profiles.FS()), file: e.Name()}
	}
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list profiles: %w", err)
		}
		for _, e := range entries {
			if n, ok := strings.CutSuffix(e.Name(), Ext); ok && !e.IsDir() {
				byName[n] = dirProfile(dir, n)
			}
		}
	}
	out := make([]*Profile, 0, len(byName))
	for _, p := range byName {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Resolve loads the profiles named in values (each may be "a,b") against
// k and merges their declarations. Lists merge; an option two profiles
// set differently is an error naming both. A profile named twice counts
// once.
func Resolve(values []string, dirs []string, k kernel.Facts) (*collect.Config, error) {
	type loaded struct {
		name string
		cfg  *collect.Config
	}
	var done []loaded
	seen := map[string]bool{}
	merged := &collect.Config{}
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			p, err := Find(strings.TrimSpace(part), dirs)
			if err != nil {
				return nil, err
			}
			key := p.Origin + "\x00" + p.Name
			if seen[key] {
				continue
			}
			seen[key] = true
			s, err := p.Load(k)
			if err != nil {
				return nil, err
			}
			for _, prev := range done {
				var c collect.Config
				c.Extend(prev.cfg)
				if err := c.Declare(s.Config); err != nil {
					return nil, fmt.Errorf("profiles %s and %s conflict: %w", prev.name, p, err)
				}
			}
			if err := merged.Declare(s.Config); err != nil {
				return nil, fmt.Errorf("profile %s: %w", p, err)
			}
			done = append(done, loaded{p.String(), s.Config})
		}
	}
	return merged, nil
}

// Split sorts the values of `retis collect -p` into profiles and probe
// specs, each in the order given. Values are split at commas; a part is a
// profile when it ends in ".star", or when it has no ':' and names a
// profile Find knows (a bare function name is a kprobe spec too, so a
// profile of the same name wins); anything else is a probe spec.
func Split(values []string, dirs []string) (profiles, probes []string) {
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			part = strings.TrimSpace(part)
			switch {
			case strings.HasSuffix(part, Ext):
				profiles = append(profiles, part)
			case !strings.Contains(part, ":") && isProfile(part, dirs):
				profiles = append(profiles, part)
			default:
				probes = append(probes, part)
			}
		}
	}
	return profiles, probes
}

func isProfile(name string, dirs []string) bool {
	_, err := Find(name, dirs)
	return err == nil
}
