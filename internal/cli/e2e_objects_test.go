package cli

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestE2EInstallRefusesObjectsOffline installs a chart with a field the
// Kubernetes API does not have: install, upgrade and template --validate
// refuse it naming the file, line and object, before touching the cluster
// (no record, no object); --disable-openapi-validation lets it through to
// the API server.
func TestE2EInstallRefusesObjectsOffline(t *testing.T) {
	e := newE2E(t)
	chart := fixture("unknown-field")
	want := `templates/configmap.yaml:17: Service/web: spec.ports[0].targetPorts: unknown field (did you mean "targetPort"?) [object-schema-unknown]`
	for _, args := range [][]string{
		{"install", "web", chart},
		{"upgrade", "--install", "web", chart},
		{"install", "web", chart, "--dry-run=server"},
		{"template", "web", chart, "--validate"},
	} {
		r := e.barge(args...)
		if r.code == 0 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "--disable-openapi-validation") {
			t.Fatalf("barge %s: want a refusal naming %q:\n%s", strings.Join(args, " "), want, r)
		}
		if strings.Contains(r.stderr, "panic") || strings.Count(strings.TrimSpace(r.stderr), "\n") > 3 {
			t.Errorf("barge %s: the refusal should be a few lines:\n%s", strings.Join(args, " "), r.stderr)
		}
	}
	if s := e.releaseSecrets(); len(s) != 0 {
		t.Fatalf("a refused install recorded %v", s)
	}
	if _, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(context.Background(), "settings", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("a refused install applied the ConfigMap (err %v)", err)
	}
	e.mustBarge("template", "web", chart, "--validate", "--disable-openapi-validation")
	r := e.barge("install", "web", chart, "--disable-openapi-validation")
	// The API server decides now: it drops or refuses the unknown field,
	// and the release is recorded as it went.
	if s := e.releaseSecrets(); len(s) != 1 {
		t.Fatalf("install --disable-openapi-validation: want one record, got %v:\n%s", s, r)
	}
}
