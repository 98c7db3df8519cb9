package cli

import (
	"strings"
	"testing"
)

// TestE2ETestCompletesOnLocalCluster runs `barge test --logs` on the
// local cluster: the test pod completes at once (the cluster's kwok
// completes test pods), and --logs reaches the pod before its
// hook-succeeded policy deletes it, saying its logs are unavailable.
func TestE2ETestCompletesOnLocalCluster(t *testing.T) {
	e := newE2E(t)
	chart := t.TempDir()
	writeFiles(t, chart, map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: tested\nversion: 0.1.0\n",
		"templates/test.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-test\n  annotations:\n" +
			"    helm.sh/hook: test\n    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded\nspec:\n" +
			"  restartPolicy: Never\n  containers:\n    - name: check\n      image: busybox\n",
	})
	e.mustBarge("install", "tested", chart)
	r := e.barge("test", "tested", "--logs", "--timeout", "60s")
	if r.code != 0 || !strings.Contains(r.stdout, "Phase:          Succeeded") {
		t.Fatalf("barge test: want the test pod to succeed:\n%s", r)
	}
	if !strings.Contains(r.stdout, "POD LOGS: tested-test") || strings.Contains(r.stdout, "not found") {
		t.Errorf("--logs: want the pod reached before its deletion:\n%s", r)
	}
}
