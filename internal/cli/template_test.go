package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestTemplateFlags runs `barge template` with the flag combinations of
// testdata/template/cases.txt and compares stdout, the error and the files
// of --output-dir with what Helm v3.22.0 printed and wrote for the same
// command (testdata/template/NAME.stdout, .stderr, .rc and .dir). CHARTS
// stands for pkg/chart/render/testdata/charts and OUT for the output
// directory.
func TestTemplateFlags(t *testing.T) {
	charts, err := filepath.Abs(filepath.Join("..", "..", "pkg", "chart", "render", "testdata", "charts"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "template", "cases.txt"))
	if err != nil {
		t.Fatal(err)
	}
	// barge words these errors its own way, with the fix; only the failure
	// is compared.
	ownWording := map[string]bool{"err-missing-chart": true}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		name, cmdline, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("cases.txt: line %q has no tab", line)
		}
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			var args []string
			for _, a := range strings.Fields(cmdline) {
				a = strings.ReplaceAll(a, "CHARTS", charts)
				args = append(args, strings.ReplaceAll(a, "OUT", out))
			}
			var stdout, stderr bytes.Buffer
			root := NewRootCmd(strings.NewReader(""), &stdout, &stderr, []string{"BARGE_KUBECONFIG=" + filepath.Join(t.TempDir(), "none")})
			root.SetArgs(args)
			runErr := root.ExecuteContext(context.Background())
			// Helm logs skipped unknown hooks with its source position; the
			// golden files leave that line out, and so does this.
			var kept []string
			for _, l := range strings.SplitAfter(stderr.String(), "\n") {
				if !strings.HasPrefix(l, "info: skipping unknown hook") {
					kept = append(kept, l)
				}
			}
			errText := strings.Join(kept, "")
			if runErr != nil {
				errText += "Error: " + runErr.Error() + "\n"
			}
			normalize := func(s string) string {
				return strings.ReplaceAll(strings.ReplaceAll(s, out, "OUT"), charts, "CHARTS")
			}
			golden := func(ext string) string {
				b, err := os.ReadFile(filepath.Join("testdata", "template", name+ext))
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
			if wantFail := strings.TrimSpace(golden(".rc")) != "0"; wantFail != (runErr != nil) {
				t.Fatalf("barge %s: error = %v, Helm failed: %v\n%s", cmdline, runErr, wantFail, golden(".stderr"))
			}
			if diff := cmp.Diff(golden(".stdout"), normalize(stdout.String())); diff != "" {
				t.Errorf("stdout differs from Helm's (-want +got):\n%s", diff)
			}
			if !ownWording[name] {
				if diff := cmp.Diff(golden(".stderr"), normalize(errText)); diff != "" {
					t.Errorf("stderr differs from Helm's, without its unknown-hook log line (-want +got):\n%s", diff)
				}
			}
			wantDir := filepath.Join("testdata", "template", name+".dir")
			if _, err := os.Stat(wantDir); err == nil {
				if diff := cmp.Diff(readTree(t, wantDir), readTree(t, out)); diff != "" {
					t.Errorf("--output-dir files differ from Helm's (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// readTree returns the files under dir by relative path.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := make(map[string]string)
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[rel] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestTemplateGenerateName(t *testing.T) {
	now := func() time.Time { return time.Unix(1700000000, 0) }
	tests := []struct {
		name  string
		chart string
		want  string
	}{
		{"directory", "./charts/mychart", "mychart-1700000000"},
		{"name cut at the first dot, as Helm does", "mychart-1.2.3.tgz", "mychart-1-1700000000"},
		{"current directory", ".", "chart-1700000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := &templateOptions{generateName: true}
			got, chart, err := o.nameAndChart([]string{tt.chart}, now)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want || chart != tt.chart {
				t.Errorf("nameAndChart = %q, %q; want %q, %q", got, chart, tt.want, tt.chart)
			}
		})
	}
}
