package kube

import (
	"os/exec"
	"strings"
	"testing"
)

// TestWaitImports keeps the package free of cli-utils' watcher and of the
// libraries it pulls in (controller-runtime, kustomize, cli-runtime), whose
// package initialisation every barge process would pay for: waits use
// their own informers and only kstatus's status computation.
func TestWaitImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	banned := []string{
		"sigs.k8s.io/controller-runtime",
		"sigs.k8s.io/kustomize",
		"k8s.io/cli-runtime",
		"sigs.k8s.io/cli-utils/pkg/object",
		"sigs.k8s.io/cli-utils/pkg/kstatus/watcher",
		"sigs.k8s.io/cli-utils/pkg/kstatus/polling",
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, b := range banned {
			if dep == b || strings.HasPrefix(dep, b+"/") {
				t.Errorf("kube imports %s", dep)
			}
		}
	}
}
