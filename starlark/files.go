package starlark

import (
	"embed"
	"io/fs"
	"os"
)

// Files is where scripts and the modules they load are read from.
type Files interface {
	ReadFile(name string) ([]byte, error)
}

// OS reads files from the file system; names are paths.
var OS Files = osFiles{}

type osFiles struct{}

func (osFiles) ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }

// FS reads files from fsys (an embedded set of profiles or scripts, or a
// fstest.MapFS in tests); names are slash-separated and relative.
func FS(fsys fs.FS) Files { return fsFiles{fsys} }

type fsFiles struct{ fsys fs.FS }

func (f fsFiles) ReadFile(name string) ([]byte, error) { return fs.ReadFile(f.fsys, name) }

// LibraryPrefix starts the module names of the shared library.
const LibraryPrefix = "@retis//"

//go:embed lib/*.star
var library embed.FS

// Library returns the shared library load("@retis//NAME") reads from.
func Library() fs.FS {
	sub, err := fs.Sub(library, "lib")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}
