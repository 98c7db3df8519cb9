package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestE2EForceReplace changes the data of an immutable ConfigMap: the
// upgrade fails naming the object unless --force-replace (or Helm 3's
// --force) recreates it.
func TestE2EForceReplace(t *testing.T) {
	e := newE2E(t)
	chart := t.TempDir()
	writeFiles(t, chart, map[string]string{
		"Chart.yaml":        "apiVersion: v2\nname: frozen\nversion: 0.1.0\n",
		"values.yaml":       "v: one\n",
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: frozen\nimmutable: true\ndata:\n  v: {{ .Values.v }}\n",
	})
	e.mustBarge("install", "fr", chart)
	uid := func() string {
		cm, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(context.Background(), "frozen", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return string(cm.UID)
	}
	first := uid()

	r := e.barge("upgrade", "fr", chart, "--set", "v=two")
	if r.code == 0 || !strings.Contains(r.stderr, "ConfigMap/frozen") || !strings.Contains(r.stderr, "--force-replace") {
		t.Fatalf("upgrade of an immutable field without --force-replace: want a failure naming ConfigMap/frozen and the flag: %s", r)
	}
	if got := e.configMapData("frozen")["v"]; got != "one" {
		t.Fatalf("after the refused upgrade v = %q, want one", got)
	}

	for _, tc := range []struct{ flag, value string }{{"--force-replace", "two"}, {"--force", "three"}} {
		t.Run(tc.flag, func(t *testing.T) {
			before := uid()
			e.mustBarge("upgrade", "fr", chart, "--set", "v="+tc.value, tc.flag)
			if got := e.configMapData("frozen")["v"]; got != tc.value {
				t.Errorf("v = %q, want %q", got, tc.value)
			}
			if after := uid(); after == before || after == first {
				t.Errorf("ConfigMap/frozen was not recreated: uid %s before, %s after", before, after)
			}
		})
	}
}

// TestE2EPostRenderer installs with a post-renderer that adds a label: the
// label is on the live object and in the stored manifest, as with Helm.
func TestE2EPostRenderer(t *testing.T) {
	e := newE2E(t)
	chart := t.TempDir()
	writeFiles(t, chart, map[string]string{
		"Chart.yaml":        "apiVersion: v2\nname: pr\nversion: 0.1.0\n",
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pr\ndata:\n  k: v\n",
	})
	script := filepath.Join(t.TempDir(), "add-label.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nsed -e 's/^metadata:$/metadata:\\n  labels:\\n    post-rendered: \"'\"$1\"'\"/'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	e.mustBarge("install", "pr", chart, "--post-renderer", script, "--post-renderer-args", "yes")
	cm, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(context.Background(), "pr", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := cm.Labels["post-rendered"]; got != "yes" {
		t.Errorf("live label post-rendered = %q, want yes (labels %v)", got, cm.Labels)
	}
	if m := e.mustBarge("get", "manifest", "pr").stdout; !strings.Contains(m, "post-rendered: \"yes\"") {
		t.Errorf("stored manifest lacks the post-renderer's label:\n%s", m)
	}
	if r := e.barge("upgrade", "pr", chart, "--post-renderer", filepath.Join(t.TempDir(), "missing")); r.code == 0 || !strings.Contains(r.stderr, "--post-renderer") {
		t.Errorf("a missing post-renderer: want a failure naming the flag: %s", r)
	}
}

// TestE2EWaitStrategies installs an object that never gets ready: Helm 4's
// --wait=hookOnly does not wait for it, --wait (watcher) does, and an
// unknown strategy is refused.
func TestE2EWaitStrategies(t *testing.T) {
	e := newE2E(t)
	chart := t.TempDir()
	writeFiles(t, chart, map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: pending\nversion: 0.1.0\n",
		"templates/pvc.yaml": "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n" +
			"  storageClassName: no-such-class\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n",
	})
	e.mustBarge("install", "hooks-only", chart, "--wait=hookOnly", "--timeout", "20s")
	if r := e.barge("install", "watcher", chart, "--wait", "--timeout", "5s"); r.code == 0 {
		t.Errorf("--wait on a PVC that never binds: want a failure: %s", r)
	}
	if r := e.barge("install", "bad", chart, "--wait=sometimes"); r.code == 0 || !strings.Contains(r.stderr, "--wait") {
		t.Errorf("--wait=sometimes: want a failure naming the flag: %s", r)
	}
}

// TestE2EKubeAsUser impersonates a user that a RoleBinding allows in the
// test's namespace only: installing there works, elsewhere the server
// refuses, naming the user.
func TestE2EKubeAsUser(t *testing.T) {
	e := newE2E(t)
	other := e.cluster.Namespace(t)
	ctx := context.Background()
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "deployer"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}},
	}
	if _, err := e.cs.RbacV1().Roles(e.ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "deployer"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "deployer"},
		Subjects:   []rbacv1.Subject{{APIGroup: "rbac.authorization.k8s.io", Kind: "User", Name: "jane"}},
	}
	if _, err := e.cs.RbacV1().RoleBindings(e.ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	chart := t.TempDir()
	writeChart(t, chart, "imp", "0.1.0", "impersonation", "")

	r := e.mustBarge("--kube-as-user", "jane", "install", "allowed", chart)
	if _, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(ctx, "allowed", metav1.GetOptions{}); err != nil {
		t.Errorf("ConfigMap/allowed after the impersonated install: %v\n%s", err, r)
	}
	r = e.barge("--kube-as-user", "jane", "--namespace", other, "install", "refused", chart)
	if r.code == 0 || !strings.Contains(r.stderr, "forbidden") || !strings.Contains(r.stderr, `"jane"`) {
		t.Errorf("install as jane where she has no rights: want a 'forbidden' failure naming the user: %s", r)
	}
	if r := e.barge("--kube-as-user", "jane", "--kube-as-group", "nobody", "--namespace", other, "list"); r.code == 0 {
		t.Errorf("list as jane in group nobody where neither has rights: want a failure: %s", r)
	}
}
