package storage

import (
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestImports keeps the store off client-go's clientset: its scheme
// registers every API group, and its typed clients bring apply
// configurations, OpenAPI models and their protobuf descriptors, all
// initialised by every barge process that links them. The store talks to
// the API server through its own REST clients (client.go).
//
// The walk starts at this package and does not enter pkg/kube, which
// reaches the cluster for objects and is held to its own imports.
func TestImports(t *testing.T) {
	const self = "github.com/bargehq/barge/pkg/release/storage"
	out, err := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	imports := map[string][]string{}
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		imports[f[0]] = f[1:]
	}
	if _, ok := imports[self]; !ok {
		t.Fatalf("go list -deps does not list %s", self)
	}
	skip := []string{"github.com/bargehq/barge/pkg/kube"}
	banned := []string{
		"k8s.io/client-go/kubernetes",
		"k8s.io/client-go/applyconfigurations",
		"k8s.io/client-go/discovery",
		"k8s.io/client-go/restmapper",
		"github.com/google/gnostic-models",
	}
	// via maps each package reached to the package that imports it.
	via := map[string]string{self: ""}
	queue := []string{self}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, dep := range imports[p] {
			if _, seen := via[dep]; seen || slices.Contains(skip, dep) {
				continue
			}
			via[dep] = p
			queue = append(queue, dep)
		}
	}
	for _, dep := range slices.Sorted(maps.Keys(via)) {
		for _, b := range banned {
			if dep == b || strings.HasPrefix(dep, b+"/") {
				t.Errorf("storage links %s, by %s", dep, importChain(via, dep))
			}
		}
	}
}

// importChain returns the imports from the package the walk started at to
// dep, as "a -> b -> dep".
func importChain(via map[string]string, dep string) string {
	chain := []string{dep}
	for p := via[dep]; p != ""; p = via[p] {
		chain = append(chain, p)
	}
	slices.Reverse(chain)
	return strings.Join(chain, " -> ")
}
