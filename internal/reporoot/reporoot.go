// Package reporoot finds the root of barge's repository, and the shared
// chart conformance corpus beside it, for tests and tools run from within
// the repository. `go test` runs a test in its package's directory: the
// root is the nearest directory above it that holds a go.mod.
package reporoot

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Find returns the absolute path of the nearest directory above the
// working directory that holds a go.mod.
func Find() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: run from barge's repository")
		}
		dir = parent
	}
}

// Corpus returns the directory of the chart conformance corpus's cases,
// ../shared/corpus/cases from the repository's root. The test fails if it
// is missing.
func Corpus(t testing.TB) string {
	t.Helper()
	root, err := Find()
	if err != nil {
		t.Fatal(err)
	}
	cases := filepath.Join(root, "..", "shared", "corpus", "cases")
	if fi, err := os.Stat(cases); err != nil || !fi.IsDir() {
		t.Fatalf("chart corpus not found at %s: it must sit beside the repository (../shared/corpus/cases)", cases)
	}
	return cases
}
