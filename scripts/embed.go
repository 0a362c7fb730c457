package scripts

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
)

//go:embed *.star
var files embed.FS

// FS returns the built-in scripts, by file name ("print.star").
func FS() fs.FS { return files }

// Names returns the scripts' names, without ".star", sorted.
func Names() []string {
	entries, err := files.ReadDir(".")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".star"))
	}
	sort.Strings(names)
	return names
}
