package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bargehq/barge/pkg/chart/lint"
)

// lintFixture is a fixture chart of package lint, one per rule.
func lintFixture(name string) string {
	return repoPath(filepath.Join("pkg", "chart", "lint", "testdata", "charts", name))
}

func TestLintCommand(t *testing.T) {
	dir := t.TempDir()
	// A chart whose objects are fine with its defaults, and break with one
	// of two values files.
	writeFiles(t, filepath.Join(dir, "web"), map[string]string{
		"Chart.yaml":             "apiVersion: v2\nname: web\nversion: 1.0.0\nicon: https://example.com/i.png\n",
		"values.yaml":            "port: 80\n",
		"templates/service.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - port: {{ .Values.port }}\n",
	})
	writeFiles(t, dir, map[string]string{
		"good.yaml":                      "port: 8080\n",
		"bad.yaml":                       "port: http\n",
		"ingress/Chart.yaml":             "apiVersion: v2\nname: ingress\nversion: 1.0.0\nicon: https://example.com/i.png\n",
		"ingress/templates/ingress.yaml": "apiVersion: networking.k8s.io/v1beta1\nkind: Ingress\nmetadata:\n  name: web\nspec:\n  backend:\n    serviceName: web\n    servicePort: 80\n",
	})
	web := filepath.Join(dir, "web")
	tests := []struct {
		name string
		args []string
		code int
		want []string // in stdout, or in the error for a failed lint
		not  []string
	}{
		{"clean", []string{"lint", web}, 0, []string{"==> Linting " + web, "1 chart(s) linted, 0 chart(s) failed"}, []string{"[ERROR]", "[INFO]"}},
		{"each values file on its own", []string{"lint", web, "-f", filepath.Join(dir, "good.yaml"), "-f", filepath.Join(dir, "bad.yaml")}, 1,
			[]string{`[ERROR] templates/service.yaml:7: Service/web: spec.ports[0].port: expected integer, got string "http" (with values ` + filepath.Join(dir, "bad.yaml") + `) [object-schema-type]`, "1 chart(s) linted, 1 chart(s) failed"},
			[]string{"good.yaml)"}},
		{"an error fails", []string{"lint", lintFixture("object-name")}, 1, []string{`[ERROR] templates/service.yaml:4: Service/My_Service: metadata.name "My_Service" is not a valid Service name`, "1 chart(s) linted, 1 chart(s) failed"}, nil},
		{"a warning passes", []string{"lint", lintFixture("api-deprecated")}, 0, []string{"[WARNING] templates/endpoints.yaml:1: Endpoints/external: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice [api-deprecated]"}, nil},
		{"--strict fails on a warning", []string{"lint", "--strict", lintFixture("api-deprecated")}, 1, []string{"[api-deprecated]", "1 chart(s) linted, 1 chart(s) failed"}, nil},
		{"--quiet hides info", []string{"lint", "--quiet", lintFixture("chart-icon")}, 0, []string{"1 chart(s) linted, 0 chart(s) failed"}, []string{"icon is recommended", "==> Linting"}},
		{"removed in the default version", []string{"lint", filepath.Join(dir, "ingress")}, 1, []string{"networking.k8s.io/v1beta1 Ingress was removed in Kubernetes v1.22 and the target is v1.37; use networking.k8s.io/v1 Ingress [api-removed]"}, nil},
		{"--kube-version before the removal", []string{"lint", "--kube-version", "v1.20.0", filepath.Join(dir, "ingress")}, 0, []string{"networking.k8s.io/v1beta1 Ingress is deprecated in v1.19+, unavailable in v1.22+; use networking.k8s.io/v1 Ingress [api-deprecated]"}, nil},
		{"--skip-schema-validation", []string{"lint", "--skip-schema-validation", lintFixture("object-schema-type")}, 0, nil, []string{"[object-schema-type]"}},
		{"several charts", []string{"lint", web, lintFixture("object-name")}, 1, []string{"2 chart(s) linted, 1 chart(s) failed"}, nil},
		{"--with-subcharts", []string{"lint", "--with-subcharts", lintFixture("dependency-unlisted")}, 1, []string{"==> Linting " + lintFixture("dependency-unlisted") + "/charts/extra", "2 chart(s) linted, 1 chart(s) failed"}, nil},
		{"a missing chart", []string{"lint", filepath.Join(dir, "nosuch")}, 1, []string{filepath.Join(dir, "nosuch"), "1 chart(s) linted, 1 chart(s) failed"}, nil},
		{"bad --kube-version", []string{"lint", "--kube-version", "one", web}, 1, []string{`--kube-version "one"`}, nil},
		{"bad --output", []string{"lint", "-o", "xml", web}, 1, []string{`--output "xml": use text, json or sarif`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, err := runBarge(t, ".", tt.args)
			if got := exitCode(err); got != tt.code {
				t.Fatalf("exit code %d, want %d (err %v)\n%s\n%s", got, tt.code, err, stdout, stderr)
			}
			all := stdout
			if err != nil {
				all += err.Error()
			}
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("output lacks %q:\n%s", w, all)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(all, n) {
					t.Errorf("output has %q:\n%s", n, all)
				}
			}
		})
	}
}

func TestLintOutputs(t *testing.T) {
	stdout, _, err := runBarge(t, ".", []string{"lint", "-o", "json", lintFixture("object-schema-unknown")})
	if exitCode(err) != 1 {
		t.Fatalf("exit code %d, want 1", exitCode(err))
	}
	var rep struct {
		Charts []struct {
			Chart    string
			Findings []lint.Finding
		}
		Summary lint.Summary
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("-o json: %v\n%s", err, stdout)
	}
	if len(rep.Charts) != 1 || len(rep.Charts[0].Findings) != 1 || rep.Summary.Failed != 1 || rep.Summary.Errors != 1 {
		t.Fatalf("-o json: want one chart with one error, got %+v", rep)
	}
	f := rep.Charts[0].Findings[0]
	if f.Rule != "object-schema-unknown" || f.File != "templates/deployment.yaml" || f.Line != 7 || f.Object != "Deployment/web" {
		t.Errorf("-o json finding: %+v", f)
	}

	stdout, _, _ = runBarge(t, ".", []string{"lint", "-o", "sarif", lintFixture("object-schema-unknown")})
	var log struct {
		Version string
		Runs    []struct {
			Results []struct{ RuleID string }
		}
	}
	if err := json.Unmarshal([]byte(stdout), &log); err != nil || log.Version != "2.1.0" || len(log.Runs) != 1 || len(log.Runs[0].Results) != 1 || log.Runs[0].Results[0].RuleID != "object-schema-unknown" {
		t.Errorf("-o sarif: %v %+v\n%s", err, log, stdout)
	}

	stdout, _, err = runBarge(t, ".", []string{"lint", "--list-rules"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range lint.Rules() {
		if !strings.Contains(stdout, r.ID+" ") || !strings.Contains(stdout, r.Doc) {
			t.Errorf("--list-rules lacks %s", r.ID)
		}
	}
}

// writeFiles writes files (by path relative to dir) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
