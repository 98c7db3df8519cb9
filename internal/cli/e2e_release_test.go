package cli

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/bargehq/barge/pkg/kube"
)

// TestE2ETalkScenario is the talk's demo: install joomla with --wait,
// upgrade it with a changed value, roll it back, `delete --purge` it, and
// find nothing left behind.
func TestE2ETalkScenario(t *testing.T) {
	e := newE2E(t)
	chartDir := repoPath("charts/joomla")
	talkValues := repoPath("charts/joomla/examples/talk-values.yaml")

	r := e.mustBarge("install", "joomla1", chartDir, "-f", talkValues, "--wait", "--timeout", "3m")
	for _, want := range []string{"NAME: joomla1\n", "NAMESPACE: " + e.ns + "\n", "STATUS: deployed\n", "REVISION: 1\n", "NOTES:\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("install output lacks %q:\n%s", want, r.stdout)
		}
	}
	manifest := e.mustBarge("get", "manifest", "joomla1").stdout
	if got := e.adminEmail(); got != "user@example.com" {
		t.Errorf("after install, JOOMLA_ADMIN_EMAIL = %q, want user@example.com (from talk-values.yaml)", got)
	}

	r = e.mustBarge("status", "joomla1")
	for _, want := range []string{"STATUS: deployed\n", "RESOURCES:\n", "Deployment/joomla1", "StatefulSet/joomla1-db", "PersistentVolumeClaim/joomla1-joomla"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status output lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stdout, "objects ready") || strings.Contains(r.stdout, "NotFound") {
		t.Errorf("status: want every object found and counted ready:\n%s", r.stdout)
	}

	r = e.mustBarge("upgrade", "joomla1", chartDir, "-f", talkValues, "--set", "joomlaEmail=admin@barge.example", "--wait", "--timeout", "3m")
	if !strings.Contains(r.stdout, `Release "joomla1" has been upgraded. Happy Helming!`) || !strings.Contains(r.stdout, "REVISION: 2\n") {
		t.Errorf("upgrade output:\n%s", r.stdout)
	}
	if got := e.adminEmail(); got != "admin@barge.example" {
		t.Errorf("after upgrade, JOOMLA_ADMIN_EMAIL = %q, want admin@barge.example", got)
	}
	if v := e.mustBarge("get", "values", "joomla1").stdout; !strings.HasPrefix(v, "USER-SUPPLIED VALUES:\n") || !strings.Contains(v, "joomlaEmail: admin@barge.example") {
		t.Errorf("get values after upgrade:\n%s", v)
	}

	r = e.mustBarge("rollback", "joomla1", "--wait")
	if r.stdout != "Rollback was a success! Happy Helming!\n" {
		t.Errorf("rollback output = %q", r.stdout)
	}
	if got := e.adminEmail(); got != "user@example.com" {
		t.Errorf("after rollback, JOOMLA_ADMIN_EMAIL = %q, want user@example.com again", got)
	}
	hist := e.mustBarge("history", "joomla1").stdout
	wantRows := [][]string{
		{"REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION", "DESCRIPTION"},
		{"1", "superseded", "Install complete"},
		{"2", "superseded", "Upgrade complete"},
		{"3", "deployed", "Rollback to 1"},
	}
	lines := strings.Split(strings.TrimSuffix(hist, "\n"), "\n")
	if len(lines) != len(wantRows) {
		t.Fatalf("history has %d lines, want %d:\n%s", len(lines), len(wantRows), hist)
	}
	for i, want := range wantRows {
		for _, cell := range want {
			if !strings.Contains(lines[i], cell) {
				t.Errorf("history line %d lacks %q: %q", i+1, cell, lines[i])
			}
		}
	}

	r = e.mustBarge("delete", "--purge", "joomla1")
	if r.stdout != "release \"joomla1\" uninstalled\n" {
		t.Errorf("delete output = %q", r.stdout)
	}
	if !strings.Contains(r.stderr, "--purge") {
		t.Errorf("delete --purge: want a note about --purge on stderr, got %q", r.stderr)
	}
	if s := e.releaseSecrets(); len(s) != 0 {
		t.Errorf("release records left after delete --purge: %v", s)
	}
	if l := e.leases(); len(l) != 0 {
		t.Errorf("Leases left after delete --purge: %v", l)
	}
	e.eventuallyGone(manifest, 90*time.Second)
	if r := e.barge("status", "joomla1"); r.code == 0 || !strings.Contains(r.stderr, "not found") {
		t.Errorf("status after delete: want a not-found error, got %s", r)
	}
}

// adminEmail returns JOOMLA_ADMIN_EMAIL of the live joomla1 Deployment.
func (e *e2e) adminEmail() string {
	e.t.Helper()
	d, err := e.cs.AppsV1().Deployments(e.ns).Get(context.Background(), "joomla1", metav1.GetOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, c := range d.Spec.Template.Spec.Containers {
		for _, env := range c.Env {
			if env.Name == "JOOMLA_ADMIN_EMAIL" {
				return env.Value
			}
		}
	}
	return ""
}

// eventuallyGone waits until no object of manifest exists any more.
func (e *e2e) eventuallyGone(manifest string, timeout time.Duration) {
	e.t.Helper()
	objs, err := manifestObjects(manifest)
	if err != nil {
		e.t.Fatal(err)
	}
	if len(objs) == 0 {
		e.t.Fatal("empty manifest: nothing to check")
	}
	kc, err := kube.NewForRESTConfig(e.cluster.RESTConfig(), kube.WithNamespace(e.ns), kube.WithCacheDir(""))
	if err != nil {
		e.t.Fatal(err)
	}
	var left []string
	eventually(e.t, timeout, "the release's objects to be deleted", func() bool {
		left = left[:0]
		for _, o := range objs {
			live, err := kc.Get(context.Background(), o)
			if err != nil {
				e.t.Fatal(err)
			}
			if live != nil {
				left = append(left, kube.RefOf(o).String())
			}
		}
		if len(left) > 0 {
			e.t.Logf("still there: %v", left)
		}
		return len(left) == 0
	})
}

// TestE2EAtomic checks --atomic: a first install that fails is uninstalled,
// and an upgrade that fails is rolled back.
func TestE2EAtomic(t *testing.T) {
	e := newE2E(t)
	web := fixture("web")

	t.Run("failing first install is uninstalled", func(t *testing.T) {
		e := e.sub(t)
		r := e.barge("install", "first", web, "--set", "nodeSelector.barge-e2e=never", "--atomic", "--timeout", "5s")
		if r.code == 0 {
			t.Fatalf("install of a release that never gets ready succeeded: %s", r)
		}
		for _, want := range []string{"INSTALLATION FAILED", "atomic", "Deployment/first"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("error lacks %q:\n%s", want, r.stderr)
			}
		}
		if strings.Contains(r.stderr, "goroutine ") {
			t.Errorf("stack trace in the error output:\n%s", r.stderr)
		}
		if s := e.releaseSecrets(); len(s) != 0 {
			t.Errorf("records left after an atomic install failed: %v", s)
		}
		if d := e.configMapData("first-config"); d != nil {
			t.Errorf("ConfigMap first-config left after an atomic install failed: %v", d)
		}
	})

	t.Run("failing upgrade is rolled back", func(t *testing.T) {
		e := e.sub(t)
		e.mustBarge("install", "up", web, "--wait", "--timeout", "1m")
		r := e.barge("upgrade", "up", web, "--set", "message=broken", "--set", "nodeSelector.barge-e2e=never", "--rollback-on-failure", "--timeout", "5s")
		if r.code == 0 {
			t.Fatalf("upgrade to a revision that never gets ready succeeded: %s", r)
		}
		if !strings.Contains(r.stderr, "UPGRADE FAILED") {
			t.Errorf("error lacks UPGRADE FAILED:\n%s", r.stderr)
		}
		if got := e.configMapData("up-config")["message"]; got != "hello" {
			t.Errorf("after the rollback, ConfigMap message = %q, want hello (revision 1's)", got)
		}
		hist := e.mustBarge("history", "up", "-o", "json").stdout
		for _, want := range []string{`"revision":2,`, `"status":"failed"`, `"revision":3,`, `"status":"deployed"`} {
			if !strings.Contains(hist, want) {
				t.Errorf("history lacks %s:\n%s", want, hist)
			}
		}
		st := e.mustBarge("status", "up").stdout
		if !strings.Contains(st, "STATUS: deployed\nREVISION: 3\n") {
			t.Errorf("status after the rollback:\n%s", st)
		}
	})
}

// sub returns the world of a subtest, in its own namespace.
func (e *e2e) sub(t *testing.T) *e2e {
	c := *e
	c.t = t
	c.ns = e.cluster.Namespace(t)
	c.helmHome = ""
	return &c
}

// TestE2EAdoption checks that install refuses objects that exist and are
// not the release's, and adopts them with --take-ownership.
func TestE2EAdoption(t *testing.T) {
	e := newE2E(t)
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "adopt-config"},
		Data:       map[string]string{"message": "made by hand"},
	}
	if _, err := e.cs.CoreV1().ConfigMaps(e.ns).Create(context.Background(), cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	r := e.barge("install", "adopt", fixture("web"))
	if r.code == 0 {
		t.Fatalf("install over an existing ConfigMap succeeded: %s", r)
	}
	for _, want := range []string{"ConfigMap", "adopt-config", "--take-ownership"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("refusal lacks %q:\n%s", want, r.stderr)
		}
	}
	if got := e.configMapData("adopt-config")["message"]; got != "made by hand" {
		t.Errorf("refused install changed the ConfigMap: message = %q", got)
	}
	if _, err := e.cs.AppsV1().Deployments(e.ns).Get(context.Background(), "adopt", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("refused install created Deployment adopt (err = %v)", err)
	}

	e.mustBarge("install", "adopt", fixture("web"), "--take-ownership")
	live, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(context.Background(), "adopt-config", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if live.Data["message"] != "hello" || live.Annotations["meta.helm.sh/release-name"] != "adopt" || live.Labels["app.kubernetes.io/managed-by"] != "Helm" {
		t.Errorf("adopted ConfigMap: data %v, annotations %v, labels %v", live.Data, live.Annotations, live.Labels)
	}
	list := e.mustBarge("list", "-q").stdout
	if list != "adopt\n" {
		t.Errorf("list -q = %q, want adopt", list)
	}
}

// TestE2EListAndGet checks list's filters and formats and the get
// subcommands on a few small releases.
func TestE2EListAndGet(t *testing.T) {
	e := newE2E(t)
	web := fixture("web")
	e.mustBarge("install", "alpha", web, "--labels", "team=a", "--description", "first of all")
	e.mustBarge("install", "beta", web, "--set", "message=bonjour")
	e.mustBarge("upgrade", "beta", web, "--set", "message=salut")
	e.mustBarge("install", "gamma", web)
	e.mustBarge("uninstall", "gamma", "--keep-history")

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"names", []string{"list", "-q"}, "alpha\nbeta\n"},
		{"all statuses", []string{"list", "-q", "-a"}, "alpha\nbeta\ngamma\n"},
		{"uninstalled", []string{"list", "--short", "--uninstalled"}, "gamma\n"},
		{"filter", []string{"list", "-q", "-f", "^b"}, "beta\n"},
		{"selector", []string{"list", "-q", "-l", "team=a"}, "alpha\n"},
		{"reverse", []string{"list", "-q", "-r"}, "beta\nalpha\n"},
		{"max and offset", []string{"list", "-q", "--max", "1", "--offset", "1"}, "beta\n"},
		{"short json", []string{"list", "-q", "-o", "json"}, `["alpha","beta"]` + "\n"},
		{"notes", []string{"get", "notes", "beta"}, "NOTES:\nbeta says salut.\n\n"},
		{"values of a revision", []string{"get", "values", "beta", "--revision", "1", "-o", "json"}, `{"message":"bonjour"}` + "\n"},
		{"values yaml", []string{"get", "values", "beta"}, "USER-SUPPLIED VALUES:\nmessage: salut\n"},
		{"no values", []string{"get", "values", "alpha"}, "USER-SUPPLIED VALUES:\nnull\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.mustBarge(tc.args...)
			if r.stdout != tc.want {
				t.Errorf("barge %s = %q, want %q", strings.Join(tc.args, " "), r.stdout, tc.want)
			}
		})
	}

	t.Run("hooks", func(t *testing.T) {
		out := e.mustBarge("get", "hooks", "alpha").stdout
		if !strings.HasPrefix(out, "---\n# Source: web/templates/tests/test-job.yaml\napiVersion: batch/v1\nkind: Job\n") || !strings.Contains(out, "name: alpha-test\n") {
			t.Errorf("get hooks:\n%s", out)
		}
	})

	t.Run("table", func(t *testing.T) {
		lines := strings.Split(e.mustBarge("list").stdout, "\n")
		if len(lines) != 4 || !strings.HasPrefix(lines[0], "NAME ") || !strings.Contains(lines[0], "\tAPP VERSION") {
			t.Fatalf("list table:\n%s", strings.Join(lines, "\n"))
		}
		cells := strings.Split(lines[2], "\t")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if cells[0] != "beta" || cells[1] != e.ns || cells[2] != "2" || cells[4] != "deployed" || cells[5] != "web-0.1.0" || cells[6] != "1.0" {
			t.Errorf("beta's row: %q", cells)
		}
	})

	t.Run("all namespaces", func(t *testing.T) {
		out := e.mustBarge("list", "-A", "-q", "-f", "^(alpha|beta)$").stdout
		if !strings.Contains(out, "alpha\n") {
			t.Errorf("list -A lacks alpha:\n%s", out)
		}
	})

	t.Run("metadata", func(t *testing.T) {
		out := e.mustBarge("get", "metadata", "alpha").stdout
		for _, want := range []string{"NAME: alpha\n", "CHART: web\n", "VERSION: 0.1.0\n", "APP_VERSION: 1.0\n", "REVISION: 1\n", "STATUS: deployed\n"} {
			if !strings.Contains(out, want) {
				t.Errorf("get metadata lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("history and description", func(t *testing.T) {
		out := e.mustBarge("history", "alpha", "-o", "yaml").stdout
		if !strings.Contains(out, "description: first of all") {
			t.Errorf("history -o yaml:\n%s", out)
		}
	})

	t.Run("all", func(t *testing.T) {
		out := e.mustBarge("get", "all", "beta").stdout
		for _, want := range []string{"CHART: web\n", "USER-SUPPLIED VALUES:\nmessage: salut\n", "COMPUTED VALUES:\n", "MANIFEST:\n", "kind: ConfigMap", "NOTES:\n"} {
			if !strings.Contains(out, want) {
				t.Errorf("get all lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("errors", func(t *testing.T) {
		r := e.barge("status", "nosuch")
		if r.code == 0 || !strings.Contains(r.stderr, "not found") {
			t.Errorf("status of a missing release: %s", r)
		}
		r = e.barge("list", "-o", "xml")
		if r.code == 0 || !strings.Contains(r.stderr, "xml") {
			t.Errorf("list -o xml: %s", r)
		}
	})

	t.Run("gone objects", func(t *testing.T) {
		if d := e.configMapData("gamma-config"); d != nil {
			t.Errorf("uninstall --keep-history left the ConfigMap: %v", d)
		}
		if s := e.releaseSecrets(); !slices.Contains(s, "sh.helm.release.v1.gamma.v1") {
			t.Errorf("uninstall --keep-history dropped the record: %v", s)
		}
	})
}
