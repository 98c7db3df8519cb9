package repo

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps package repo and its sub-packages to Helm's chart types
// and loader (the rest of Helm is read, never imported), and away from the
// CLI and cluster clients (of barge's internal packages, only flight).
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}: {{join .Imports " "}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ": ")
		for _, imp := range strings.Fields(imports) {
			if strings.HasPrefix(imp, "helm.sh/") && imp != "helm.sh/helm/v3/pkg/chart" && imp != "helm.sh/helm/v3/pkg/chart/loader" {
				t.Errorf("%s imports %s; only Helm's chart types and loader may be imported", pkg, imp)
			}
			for _, banned := range []string{"github.com/spf13/cobra", "github.com/bargehq/barge/internal/", "k8s.io/client-go", "github.com/bargehq/barge/pkg/kube", "github.com/bargehq/barge/pkg/release"} {
				if strings.HasPrefix(imp, banned) && imp != "github.com/bargehq/barge/internal/flight" {
					t.Errorf("%s imports %s", pkg, imp)
				}
			}
		}
	}
	deps, err := exec.Command("go", "list", "-deps", "./getter").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(deps)) {
		if strings.HasPrefix(dep, "helm.sh/") || strings.HasPrefix(dep, "github.com/bargehq/barge/") && dep != "github.com/bargehq/barge/pkg/repo/getter" {
			t.Errorf("getter depends on %s; it knows nothing of charts", dep)
		}
	}
}
