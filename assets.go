package paysim

// The defaults that make a bare `paysim` work with no files around it: the test keys and
// the shipped scenarios, embedded in the binary.

import (
	"embed"
	"io/fs"
)

//go:embed keys scenarios
var embedded embed.FS

// DefaultKeys is the shipped keys/ folder (test keys only; see keys/README.md).
func DefaultKeys() fs.FS { return sub("keys") }

// DefaultScenarios is the shipped scenarios/ folder.
func DefaultScenarios() fs.FS { return sub("scenarios") }

func sub(dir string) fs.FS {
	f, err := fs.Sub(embedded, dir)
	if err != nil {
		panic(err) // the directory is embedded above, so this cannot fail
	}
	return f
}
