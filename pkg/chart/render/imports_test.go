package render

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps the renderer free of the CLI and of cluster clients:
// it talks to a cluster only through Lookuper.
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/spf13/cobra", "github.com/bargehq/barge/internal/cli", "k8s.io/client-go", "github.com/bargehq/barge/pkg/kube", "github.com/bargehq/barge/pkg/release"} {
			if dep == banned || strings.HasPrefix(dep, banned+"/") {
				t.Errorf("render imports %s", dep)
			}
		}
		if strings.HasPrefix(dep, "helm.sh/helm/v3/") && dep != "helm.sh/helm/v3/pkg/chart" && dep != "helm.sh/helm/v3/pkg/chart/loader" && !strings.HasPrefix(dep, "helm.sh/helm/v3/internal/") {
			t.Errorf("render imports %s; only Helm's chart and loader packages may be used", dep)
		}
	}
}
