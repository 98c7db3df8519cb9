package dependency

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps the package to Helm's chart types and loader (the rest of
// Helm is read, never imported), and away from the CLI and cluster clients.
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{join .Imports " "}}`, ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "helm.sh/") && dep != "helm.sh/helm/v3/pkg/chart" && dep != "helm.sh/helm/v3/pkg/chart/loader" {
			t.Errorf("the package imports %s; only Helm's chart types and loader may be imported", dep)
		}
		for _, banned := range []string{"github.com/spf13/cobra", "github.com/bargehq/barge/internal/", "k8s.io/client-go", "github.com/bargehq/barge/pkg/kube", "github.com/bargehq/barge/pkg/release"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("the package imports %s", dep)
			}
		}
	}
}
