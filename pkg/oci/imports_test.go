package oci

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps package oci a library: no CLI, no cluster client (of
// barge's internal packages, only flight), no chart repositories (package repo imports this one, not the reverse), and
// of Helm only the chart types (the archive package loads charts).
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/spf13/cobra", "github.com/bargehq/barge/internal/", "k8s.io/client-go", "github.com/bargehq/barge/pkg/repo", "github.com/bargehq/barge/pkg/kube", "github.com/bargehq/barge/pkg/release"} {
			if strings.HasPrefix(dep, banned) && dep != "github.com/bargehq/barge/internal/flight" {
				t.Errorf("package oci depends on %s", dep)
			}
		}
	}
	out, err = exec.Command("go", "list", "-f", `{{join .Imports " "}}`, ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, imp := range strings.Fields(string(out)) {
		if strings.HasPrefix(imp, "helm.sh/") && imp != "helm.sh/helm/v3/pkg/chart" {
			t.Errorf("package oci imports %s; only Helm's chart types may be imported (the rest of Helm is read, never imported)", imp)
		}
	}
}
