package cli

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The -update flag rewrites golden files from the reference helm binary's
// output. It is defined here unless another test file of the package has
// already defined it, and read through flag.Lookup.
var _ = defineUpdateFlag()

func defineUpdateFlag() bool {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files from the reference helm binary")
	}
	return true
}

func updatingGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// referenceHelm returns the path of the reference helm binary, or "" when it
// has not been built.
func referenceHelm() string {
	dir := os.Getenv("BARGE_TOOLS_BIN")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", "..", ".cache", "bin")
	}
	bin := filepath.Join(dir, "helm-v3.22.0")
	if _, err := os.Stat(bin); err != nil {
		return ""
	}
	return bin
}

// execBarge runs barge in-process with args and returns its stdout and error.
func execBarge(args ...string) (string, error) {
	out, _, err := execBargeEnv(nil, args...)
	return out, err
}

// checkAgainstHelm compares barge's output for args with the golden file,
// which holds the reference helm's output for the same arguments; with
// -update it first rewrites the golden file by running helm.
func checkAgainstHelm(t *testing.T, golden string, args ...string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", golden)
	if updatingGolden() {
		bin := referenceHelm()
		if bin == "" {
			t.Fatal("-update needs the reference helm binary: run `make tools`")
		}
		home := t.TempDir()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "HELM_CONFIG_HOME="+home, "HELM_CACHE_HOME="+home, "HELM_DATA_HOME="+home)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		want, err := cmd.Output()
		if err != nil {
			t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file (refresh with -update): %v", err)
	}
	got, err := execBarge(args...)
	if err != nil {
		t.Fatalf("barge %s: %v", strings.Join(args, " "), err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("barge %s differs from helm (-want +got):\n%s", strings.Join(args, " "), diff)
	}
}

func TestShowGolden(t *testing.T) {
	charts := []string{"frobnitz", "subpop", "hello-world", "tc-chart-with-only-crds", "deps-status"}
	parts := []string{"chart", "values", "readme", "crds", "all"}
	for _, c := range charts {
		for _, p := range parts {
			t.Run(c+"/"+p, func(t *testing.T) {
				checkAgainstHelm(t, "show-"+c+"-"+p+".golden", "show", p, filepath.Join("testdata", "charts", c))
			})
		}
	}
	t.Run("packaged chart", func(t *testing.T) {
		checkAgainstHelm(t, "show-mast2-all.golden", "show", "all", filepath.Join("testdata", "charts", "frobnitz", "charts", "alpine", "charts", "mast2-0.1.0.tgz"))
	})
	jsonpaths := []struct{ name, expr string }{
		{"scalar", "{.replicaCount}"},
		{"map", "{.image}"},
		{"missing", "{.nothere}"},
	}
	for _, jp := range jsonpaths {
		t.Run("jsonpath/"+jp.name, func(t *testing.T) {
			checkAgainstHelm(t, "show-values-jsonpath-"+jp.name+".golden", "show", "values", "--jsonpath", jp.expr, filepath.Join("testdata", "charts", "hello-world"))
		})
	}
}

func TestShowErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no chart", []string{"show", "chart", filepath.Join("testdata", "charts", "nothere")}, "nothere"},
		{"no argument", []string{"show", "values"}, "accepts 1 arg(s)"},
		{"bad jsonpath", []string{"show", "values", "--jsonpath", "{.image", filepath.Join("testdata", "charts", "hello-world")}, `--jsonpath "{.image"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := execBarge(tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestDependencyListGolden(t *testing.T) {
	tests := []struct {
		name  string
		chart string
		flags []string
	}{
		{"every status", "deps-status", nil},
		{"narrow columns", "deps-status", []string{"--max-col-width", "12"}},
		{"unlimited columns", "deps-status", []string{"--max-col-width", "0"}},
		{"unpacked subcharts", "frobnitz", nil},
		{"alias", "chart-with-dependency-aliased-twice", nil},
		{"repeated dependency", "subpop", nil},
		{"no dependencies", "hello-world", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden := "dependency-list-" + strings.ReplaceAll(tt.name, " ", "-") + ".golden"
			args := append([]string{"dependency", "list", filepath.Join("testdata", "charts", tt.chart)}, tt.flags...)
			checkAgainstHelm(t, golden, args...)
		})
	}
}
