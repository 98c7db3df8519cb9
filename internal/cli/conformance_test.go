package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bargehq/barge/internal/reporoot"
)

// corpusCases returns the directory of the chart conformance corpus: the
// shared folder beside the repository. The test fails if it is missing.
func corpusCases(t *testing.T) string {
	return reporoot.Corpus(t)
}

// runBarge runs barge in-process with args, from the directory dir (paths
// in args are made absolute against it), and returns stdout, stderr and the
// error.
func runBarge(t *testing.T, dir string, args []string) (string, string, error) {
	t.Helper()
	abs := make([]string, len(args))
	for i, a := range args {
		abs[i] = a
		if !strings.HasPrefix(a, "-") {
			if _, err := os.Stat(filepath.Join(dir, a)); err == nil {
				abs[i] = filepath.Join(dir, a)
			}
		}
	}
	var out, errOut bytes.Buffer
	root := NewRootCmd(strings.NewReader(""), &out, &errOut, []string{"BARGE_NAMESPACE=default"})
	root.SetArgs(abs)
	err := root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// TestConformance renders every case of the corpus with barge and compares
// the output with Helm v3.22's, byte for byte.
func TestConformance(t *testing.T) {
	cases := corpusCases(t)
	entries, err := os.ReadDir(cases)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		dir := filepath.Join(cases, e.Name())
		t.Run(e.Name(), func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(filepath.Join(dir, "args"))
			if err != nil {
				t.Fatal(err)
			}
			args := strings.Fields(string(raw))
			if wantErr, err := os.ReadFile(filepath.Join(dir, "expected.err")); err == nil {
				_, stderr, gotErr := runBarge(t, dir, args)
				if gotErr == nil {
					t.Fatalf("barge %s succeeded; Helm failed with:\n%s", strings.Join(args, " "), wantErr)
				}
				// The whole stderr, as cmd/barge prints the error.
				got := stderr + "Error: " + gotErr.Error() + "\n"
				if diff := cmp.Diff(string(wantErr), got); diff != "" {
					t.Errorf("barge's stderr differs from Helm's (-want +got):\n%s", diff)
				}
				return
			}
			compareRun(t, dir, args, "expected.yaml")
			if _, err := os.Stat(filepath.Join(dir, "expected-crds.yaml")); err == nil {
				compareRun(t, dir, append(args, "--include-crds"), "expected-crds.yaml")
			}
		})
	}
	if n == 0 {
		t.Fatalf("conformance: no cases in %s", cases)
	}
}

// compareRun runs barge with args and compares its stdout with the golden
// file want (and its stderr with expected.stderr).
func compareRun(t *testing.T, dir string, args []string, want string) {
	t.Helper()
	stdout, stderr, err := runBarge(t, dir, args)
	if err != nil {
		t.Fatalf("barge %s: %v", strings.Join(args, " "), err)
	}
	expected, err := os.ReadFile(filepath.Join(dir, want))
	if err != nil {
		t.Fatal(err)
	}
	alt, _ := os.ReadFile(filepath.Join(dir, strings.TrimSuffix(want, ".yaml")+".alt.yaml"))
	if diff := diffOutput(string(expected), string(alt), stdout); diff != "" {
		t.Errorf("barge %s differs from Helm's %s (-want +got):\n%s", strings.Join(args, " "), want, diff)
	}
	wantStderr, _ := os.ReadFile(filepath.Join(dir, "expected.stderr"))
	if diff := cmp.Diff(string(wantStderr), stderr); diff != "" {
		t.Errorf("barge %s stderr differs from Helm's (-want +got):\n%s", strings.Join(args, " "), diff)
	}
}

// diffOutput compares got with want byte for byte, except on the lines where
// want and alt (a second Helm run, when there is one) differ: those are
// random, and only their key (the text up to the first colon) must match.
func diffOutput(want, alt, got string) string {
	if alt == "" || want == got {
		return cmp.Diff(want, got)
	}
	wl, al, gl := strings.Split(want, "\n"), strings.Split(alt, "\n"), strings.Split(got, "\n")
	if len(wl) != len(al) || len(wl) != len(gl) {
		return cmp.Diff(want, got)
	}
	masked := make([]string, len(gl))
	copy(masked, gl)
	for i := range wl {
		if wl[i] != al[i] && lineKey(wl[i]) == lineKey(gl[i]) {
			masked[i] = wl[i]
		}
	}
	return cmp.Diff(want, strings.Join(masked, "\n"))
}

func lineKey(line string) string {
	k, _, _ := strings.Cut(line, ":")
	return k
}
