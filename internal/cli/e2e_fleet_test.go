package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/bargehq/barge/pkg/release/storage"
)

// fleetFile writes a fleet file of the tenant fixture chart for the given
// tenants (YAML list items), with namespaces under the test's own.
func (e *e2e) fleetFile(name, tenants string) string {
	e.t.Helper()
	chart, err := filepath.Abs(repoPath("pkg/fleet/testdata/charts/tenant"))
	if err != nil {
		e.t.Fatal(err)
	}
	src := fmt.Sprintf(`apiVersion: barge.dev/v1alpha1
kind: Fleet
metadata:
  name: %s
tenants:
  items:
%s
releases:
  - name: "app-{{ .Tenant.name }}"
    namespace: "%s-{{ .Tenant.name }}"
    chart: %s
    perTenant: true
    set:
      port: "{{ .Tenant.port | default 80 }}"
      claim: "{{ .Tenant.claim | default \"\" }}"
`, name, tenants, e.ns, chart)
	path := filepath.Join(e.t.TempDir(), "fleet.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		e.t.Fatal(err)
	}
	for _, line := range strings.Split(tenants, "\n") {
		_, rest, ok := strings.Cut(line, "name: ")
		if !ok {
			continue
		}
		ns := e.ns + "-" + strings.TrimRight(strings.Fields(rest)[0], ",}")
		e.t.Cleanup(func() { _ = e.cs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
	}
	return path
}

// TestE2EFleetApplyFailureAndHelm runs barge apply on a fleet with one
// tenant the API server rejects: the others are installed, the exit code is
// 1 and the summary and the error name the failed tenant. Helm then lists
// and upgrades a release barge's fleet installed.
func TestE2EFleetApplyFailureAndHelm(t *testing.T) {
	e := newE2E(t)
	file := e.fleetFile("cli", "    - {name: good1}\n    - {name: bad, port: 70000}\n    - {name: good2}")

	r := e.barge("apply", "-f", file)
	if r.code != 1 {
		t.Fatalf("barge apply with a failing tenant exited %d, want 1\n%s", r.code, r)
	}
	for _, want := range [][]string{
		{e.ns + "-good1", "app-good1", "install", "ok", "1"},
		{e.ns + "-bad", "app-bad", "install", "FAILED", "1"},
		{e.ns + "-good2", "app-good2", "install", "ok", "1"},
	} {
		if !hasRow(r.stdout, want...) {
			t.Errorf("summary lacks the row %q\n%s", want, r)
		}
	}
	if !strings.Contains(r.stdout, "2 ok, 0 unchanged, 1 failed, 0 skipped") {
		t.Errorf("summary lacks the counts\n%s", r)
	}
	if !strings.Contains(r.stderr, "creating 3 namespaces before the releases") {
		t.Errorf("progress does not say the namespaces are made first\n%s", r)
	}
	if !strings.Contains(r.stderr, "1 of 3 releases failed") || !strings.Contains(r.stderr, "release "+e.ns+"-bad/app-bad: install:") {
		t.Errorf("error does not name the failed release\n%s", r)
	}

	t.Run("plan shows what apply would do", func(t *testing.T) {
		r := e.barge("plan", "-f", file)
		for _, want := range [][]string{
			{e.ns + "-good1", "app-good1", "unchanged", "=2"},
			{e.ns + "-bad", "app-bad", "upgrade", "=2", "last", "revision", "1", "is", "failed"},
		} {
			if !hasRow(r.stdout, want...) {
				t.Errorf("plan lacks the row %q\n%s", want, r)
			}
		}
		if !strings.Contains(r.stdout, "fleet cli: 0 to install, 1 to upgrade, 2 unchanged, 0 to prune, 0 errors") {
			t.Errorf("plan lacks the counts\n%s", r)
		}
	})

	t.Run("helm lists and upgrades a fleet release", func(t *testing.T) {
		ns := e.ns + "-good1"
		out := e.mustHelm("v3.22.0", "list", "-n", ns)
		if !strings.Contains(out.stdout, "app-good1") || !strings.Contains(out.stdout, "deployed") || !strings.Contains(out.stdout, "tenant-0.1.0") {
			t.Errorf("helm list does not show the fleet's release\n%s", out)
		}
		chart, _ := filepath.Abs(repoPath("pkg/fleet/testdata/charts/tenant"))
		e.mustHelm("v3.22.0", "upgrade", "app-good1", chart, "-n", ns, "--reuse-values", "--set", "greeting=from-helm")
		// barge sees the change Helm made, and puts the fleet's values back.
		r := e.barge("apply", "-f", file, "-l", "barge.dev/tenant=good1")
		if r.code != 0 || !hasRow(r.stdout, ns, "app-good1", "upgrade", "ok", "3") {
			t.Errorf("apply after helm's upgrade did not upgrade to revision 3\n%s", r)
		}
	})
}

// TestE2EFleetInterrupt sends SIGINT to barge apply --wait while its
// releases wait for claims that never bind: barge exits non-zero, no
// release is left pending and no lock is left. While they wait, their
// locks last 2 minutes plus --timeout.
func TestE2EFleetInterrupt(t *testing.T) {
	e := newE2E(t)
	file := e.fleetFile("sigint", "    - {name: w1, claim: none-such}\n    - {name: w2, claim: none-such}\n    - {name: w3, claim: none-such}")
	s := e.start("apply", "-f", file, "--wait", "--timeout", "2m")
	pending := func(tenant string) bool {
		l, err := e.cs.CoreV1().Secrets(e.ns+"-"+tenant).List(context.Background(), metav1.ListOptions{LabelSelector: "owner=helm,status=pending-install"})
		return err == nil && len(l.Items) == 1
	}
	eventually(t, time.Minute, "every release pending-install", func() bool {
		return pending("w1") && pending("w2") && pending("w3")
	})
	lease, err := e.cs.CoordinationV1().Leases(e.ns+"-w1").Get(context.Background(), storage.LeasePrefix+"app-w1", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the lock of a waiting release: %v", err)
	}
	if d := lease.Spec.LeaseDurationSeconds; d == nil || *d != 240 {
		got := "no duration"
		if d != nil {
			got = fmt.Sprintf("%d s", *d)
		}
		t.Errorf("a waiting release's lock lasts %s, want 240 s (2m + --timeout 2m)", got)
	}
	if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	r := s.wait(t, time.Minute)
	if r.code == 0 {
		t.Fatalf("interrupted apply exited 0\n%s", r)
	}
	if !strings.Contains(r.stderr, "interrupted") {
		t.Errorf("error does not say the apply was interrupted\n%s", r)
	}
	for _, tenant := range []string{"w1", "w2", "w3"} {
		l, err := e.cs.CoreV1().Secrets(e.ns+"-"+tenant).List(context.Background(), metav1.ListOptions{LabelSelector: "owner=helm"})
		if err != nil {
			t.Fatal(err)
		}
		for _, sec := range l.Items {
			if st := sec.Labels["status"]; st != "failed" {
				t.Errorf("%s: record %s is %s after the interrupt, want failed", tenant, sec.Name, st)
			}
		}
		leases, err := e.cs.CoordinationV1().Leases(e.ns+"-"+tenant).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range leases.Items {
			if strings.HasPrefix(l.Name, storage.LeasePrefix) {
				t.Errorf("%s: lock %s left after the interrupt", tenant, l.Name)
			}
		}
	}
}

// hasRow reports whether a line of out has exactly these fields.
func hasRow(out string, fields ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= len(fields) && strings.Join(f[:len(fields)], " ") == strings.Join(fields, " ") {
			return true
		}
	}
	return false
}

// TestE2EFleetPostRenderer applies a fleet whose releases go through a
// post-renderer (a script beside the fleet file, given each tenant's name):
// the live objects carry what it added, and a second apply finds every
// release unchanged, the post-rendered manifest being what was stored.
func TestE2EFleetPostRenderer(t *testing.T) {
	e := newE2E(t)
	file := e.fleetFile("post", "    - {name: one}\n    - {name: two}")
	dir := filepath.Dir(file)
	script := "#!/bin/sh\nsed -e 's/^metadata:$/metadata:\\n  labels:\\n    post-rendered-for: \"'\"$1\"'\"/'\n"
	if err := os.WriteFile(filepath.Join(dir, "label.sh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	withPost := strings.Replace(string(src), "    perTenant: true\n", "    perTenant: true\n    postRenderer:\n      command: ./label.sh\n      args: [\"{{ .Tenant.name }}\"]\n", 1)
	if err := os.WriteFile(file, []byte(withPost), 0o644); err != nil {
		t.Fatal(err)
	}
	e.mustBarge("apply", "-f", file)
	for _, tenant := range []string{"one", "two"} {
		cm, err := e.cs.CoreV1().ConfigMaps(e.ns+"-"+tenant).Get(context.Background(), "app-"+tenant+"-config", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := cm.Labels["post-rendered-for"]; got != tenant {
			t.Errorf("tenant %s: label post-rendered-for = %q, want %q", tenant, got, tenant)
		}
	}
	if r := e.mustBarge("apply", "-f", file); !strings.Contains(r.stdout, "0 ok, 2 unchanged") {
		t.Errorf("second apply: want every release unchanged:\n%s", r)
	}
}

// TestE2EFleetPlanForCI checks the plan CI reads: -o json lists each
// release with its action, chart and object changes, and
// --detailed-exitcode exits 2 while there are changes and 0 once applied.
func TestE2EFleetPlanForCI(t *testing.T) {
	e := newE2E(t)
	file := e.fleetFile("ci", "    - {name: one}\n    - {name: two}")
	r := e.barge("plan", "-f", file, "-o", "json", "--detailed-exitcode")
	if r.code != 2 {
		t.Fatalf("plan --detailed-exitcode with releases to install: exit %d, want 2\n%s", r.code, r)
	}
	var plan struct {
		Fleet    string
		Releases []struct {
			Name, Namespace, Action, Chart string
			Objects                        struct{ Added []string }
		}
		Summary map[string]int
	}
	if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil {
		t.Fatalf("plan -o json: %v\n%s", err, r.stdout)
	}
	if plan.Fleet != "ci" || len(plan.Releases) != 2 || plan.Summary["install"] != 2 {
		t.Fatalf("plan -o json: %+v", plan)
	}
	for _, rel := range plan.Releases {
		if rel.Action != "install" || !strings.HasSuffix(rel.Chart, "tenant") || len(rel.Objects.Added) == 0 || rel.Namespace != e.ns+"-"+strings.TrimPrefix(rel.Name, "app-") {
			t.Errorf("release %+v: want an install of the tenant chart with its objects", rel)
		}
	}
	e.mustBarge("apply", "-f", file)
	if r := e.barge("plan", "-f", file, "--detailed-exitcode"); r.code != 0 {
		t.Errorf("plan --detailed-exitcode after apply: exit %d, want 0\n%s", r.code, r)
	}
}
