package kube

import (
	"os/exec"
	"strings"
	"testing"
)

// TestWaitImports keeps the package free of libraries whose package
// initialisation every barge process would pay for: cli-utils' watcher and
// what it pulls in (controller-runtime, kustomize, cli-runtime), since
// waits use their own informers and only kstatus's status computation; and
// client-go's typed clientset, discovery and REST mapper, with the scheme
// and OpenAPI libraries they pull in, since the dynamic client, package
// discovery and mapper.go do their work.
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
		"k8s.io/client-go/discovery",
		"k8s.io/client-go/restmapper",
		"k8s.io/client-go/kubernetes",
		"github.com/google/gnostic-models",
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, b := range banned {
			if dep == b || strings.HasPrefix(dep, b+"/") {
				t.Errorf("kube imports %s", dep)
			}
		}
	}
}
