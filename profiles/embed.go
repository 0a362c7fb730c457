package profiles

import (
	"embed"
	"io/fs"
)

//go:embed *.star
var files embed.FS

// FS returns the built-in profiles, by file name ("dropmon.star").
func FS() fs.FS { return files }
