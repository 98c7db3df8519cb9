// Package helmbin finds the reference Helm binaries that `make tools`
// builds, for the tests that compare barge with Helm: in $BARGE_TOOLS_BIN
// when it is set, else in .cache/bin at the root of the module.
//
// It is for tests only. It finds the module's root from the working
// directory, which `go test` sets to the directory of the package tested.
package helmbin

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/bargehq/barge/internal/reporoot"
)

// Dir returns the absolute path of the directory holding the tools `make
// tools` builds: $BARGE_TOOLS_BIN when it is set, else .cache/bin in the
// nearest directory above the working directory that holds a go.mod.
func Dir() (string, error) {
	if dir := os.Getenv("BARGE_TOOLS_BIN"); dir != "" {
		return filepath.Abs(dir)
	}
	root, err := reporoot.Find()
	if err != nil {
		return "", fmt.Errorf("%w, or set BARGE_TOOLS_BIN", err)
	}
	return filepath.Join(root, ".cache", "bin"), nil
}

// Path returns the absolute path of the reference Helm binary name in Dir,
// as `make tools` names it: helm-v3.22.0, helm-v4.3.1. The error of a
// missing binary says how to build it.
func Path(name string) (string, error) {
	dir, err := Dir()
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("reference helm binary missing (run `make tools`): %w", err)
	}
	return p, nil
}

// Find returns Path(name) for the test t. A missing binary fails t, and
// only skips it under -short.
func Find(t testing.TB, name string) string {
	t.Helper()
	p, err := Path(name)
	if err != nil {
		if testing.Short() {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	return p
}
