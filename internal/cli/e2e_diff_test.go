package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// diffJSON is the change set of `-o json`, as a CI job reads it.
type diffJSON struct {
	Changed bool `json:"changed"`
	Changes []struct {
		Kind      string `json:"kind"`
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
		Action    string `json:"action"`
		Paths     []struct {
			Path   string `json:"path"`
			Before any    `json:"before"`
			After  any    `json:"after"`
		} `json:"paths"`
		Foreign []struct {
			Path    string `json:"path"`
			Manager string `json:"manager"`
			Value   any    `json:"value"`
		} `json:"foreign"`
		Conflict string `json:"conflict"`
	} `json:"changes"`
	Hooks []struct {
		Kind string `json:"kind"`
		Name string `json:"name"`
	} `json:"hooks"`
}

// changesOf runs barge with args (which must include -o json) and decodes
// the change set; want is the exit code expected.
func (e *e2e) changesOf(want int, args ...string) diffJSON {
	e.t.Helper()
	r := e.barge(args...)
	if r.code != want {
		e.t.Fatalf("barge %s: want exit %d, got %s", strings.Join(args, " "), want, r)
	}
	var cs diffJSON
	if err := json.Unmarshal([]byte(r.stdout), &cs); err != nil {
		e.t.Fatalf("barge %s: output is not a change set: %v\n%s", strings.Join(args, " "), err, r.stdout)
	}
	return cs
}

// changed returns "Kind/name action" of every object that is not unchanged,
// and of unchanged ones with foreign fields ("Kind/name foreign").
func (cs diffJSON) changed() []string {
	var out []string
	for _, c := range cs.Changes {
		switch {
		case c.Action != "unchanged":
			out = append(out, c.Kind+"/"+c.Name+" "+c.Action)
		case len(c.Foreign) > 0:
			out = append(out, c.Kind+"/"+c.Name+" foreign")
		}
	}
	return out
}

// TestE2EDiffJoomla installs charts/joomla, then checks what diff upgrade
// and drift report: nothing at first, exactly the changed fields for a new
// value, additions and deletions, masked Secrets, and the changes made
// behind the release's back.
func TestE2EDiffJoomla(t *testing.T) {
	e := newE2E(t)
	chartDir := repoPath("charts/joomla")
	values := repoPath("charts/joomla/examples/talk-values.yaml")
	e.mustBarge("install", "joomla1", chartDir, "-f", values)
	upgrade := func(extra ...string) []string {
		return append([]string{"diff", "upgrade", "joomla1", chartDir, "-f", values}, extra...)
	}

	t.Run("no change right after install", func(t *testing.T) {
		e := *e
		e.t = t
		r := e.barge(upgrade("--detailed-exitcode")...)
		if r.code != 0 || r.stdout != "No changes.\n" {
			t.Errorf("diff upgrade right after install: want exit 0 and no changes, got %s", r)
		}
		if r := e.barge("drift", "joomla1", "--detailed-exitcode"); r.code != 0 || r.stdout != "No changes.\n" {
			t.Errorf("drift right after install: want exit 0 and no changes, got %s", r)
		}
		cs := e.changesOf(0, upgrade("-o", "json")...)
		if cs.Changed || len(cs.changed()) > 0 {
			t.Errorf("diff upgrade -o json: want no change, got %v", cs.changed())
		}
		if len(cs.Changes) < 6 {
			t.Errorf("diff upgrade -o json lists %d objects, want every object of the release", len(cs.Changes))
		}
	})

	t.Run("a changed value shows exactly the fields it changes", func(t *testing.T) {
		e := *e
		e.t = t
		cs := e.changesOf(2, upgrade("--set", "joomlaEmail=admin@barge.example", "-o", "json", "--detailed-exitcode")...)
		if got := cs.changed(); len(got) != 1 || got[0] != "Deployment/joomla1 change" {
			t.Fatalf("changed objects = %v, want only Deployment/joomla1", got)
		}
		for _, c := range cs.Changes {
			if c.Action != "change" {
				continue
			}
			if len(c.Paths) != 1 || !strings.HasPrefix(c.Paths[0].Path, ".spec.template.spec.containers[0].env[") ||
				c.Paths[0].Before != "user@example.com" || c.Paths[0].After != "admin@barge.example" {
				t.Errorf("Deployment paths = %+v, want the one env value, user@example.com -> admin@barge.example", c.Paths)
			}
		}
		r := e.barge(upgrade("--set", "joomlaEmail=admin@barge.example", "--color", "always")...)
		for _, want := range []string{"Deployment " + e.ns + "/joomla1 (apps/v1): to be changed", "\x1b[31m-          value: user@example.com\x1b[0m", "\x1b[32m+          value: admin@barge.example\x1b[0m"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("coloured diff lacks %q:\n%s", want, r.stdout)
			}
		}
		// upgrade --dry-run=server prints the same plan.
		plain := e.mustBarge(upgrade("--set", "joomlaEmail=admin@barge.example")...).stdout
		args := []string{"upgrade", "joomla1", chartDir, "-f", values, "--set", "joomlaEmail=admin@barge.example", "--dry-run=server"}
		dry := e.mustBarge(args...).stdout
		if _, plan, ok := strings.Cut(dry, "\nCHANGES:\n"); !ok || plan != plain {
			t.Errorf("upgrade --dry-run=server: want the plan of diff upgrade after CHANGES:\n--- diff upgrade\n%s--- upgrade --dry-run=server\n%s", plain, dry)
		}
		r = e.barge(upgrade("--set", "joomlaEmail=admin@barge.example", "--summary")...)
		if !strings.Contains(r.stdout, "Deployment") || !strings.Contains(r.stdout, "TOTAL") || strings.Contains(r.stdout, "\x1b[") {
			t.Errorf("--summary:\n%s", r.stdout)
		}
	})

	t.Run("a dropped object is a deletion", func(t *testing.T) {
		e := *e
		e.t = t
		cs := e.changesOf(0, upgrade("--set", "ingress.enabled=false", "-o", "json")...)
		if got := cs.changed(); len(got) != 1 || got[0] != "Ingress/joomla1 delete" {
			t.Errorf("ingress disabled: changed = %v, want Ingress/joomla1 delete", got)
		}
	})

	t.Run("secrets are masked unless shown", func(t *testing.T) {
		e := *e
		e.t = t
		const newPassword = "n3w-pa55word"
		secretValues := []string{newPassword, base64.StdEncoding.EncodeToString([]byte(newPassword)), base64.StdEncoding.EncodeToString([]byte("toto"))}
		text := e.barge(upgrade("--set", "joomlaPassword="+newPassword, "-C", "-1")...)
		js := e.barge(upgrade("--set", "joomlaPassword="+newPassword, "-o", "json")...)
		yml := e.barge(upgrade("--set", "joomlaPassword="+newPassword, "-o", "yaml")...)
		for _, r := range []result{text, js, yml} {
			if r.code != 0 {
				t.Fatalf("diff upgrade: %s", r)
			}
			for _, v := range secretValues {
				if strings.Contains(r.stdout, v) || strings.Contains(r.stderr, v) {
					t.Errorf("output reveals %q:\n%s", v, r)
				}
			}
		}
		if !strings.Contains(text.stdout, "Secret "+e.ns+"/joomla1 (v1): to be changed") || !strings.Contains(text.stdout, "+  joomla-password: '*** (masked, after)'") {
			t.Errorf("masked text diff does not show the changed key:\n%s", text.stdout)
		}
		debug := e.barge(upgrade("--set", "joomlaPassword="+newPassword, "--debug")...)
		for _, v := range secretValues {
			if strings.Contains(debug.stdout+debug.stderr, v) {
				t.Errorf("--debug output reveals %q", v)
			}
		}
		shown := e.barge(upgrade("--set", "joomlaPassword="+newPassword, "--show-secrets")...)
		if !strings.Contains(shown.stdout, "+  joomla-password: "+secretValues[1]) || !strings.Contains(shown.stdout, "-  joomla-password: "+secretValues[2]) {
			t.Errorf("--show-secrets does not show the values:\n%s", shown.stdout)
		}
	})

	t.Run("changes behind the release's back", func(t *testing.T) {
		e := *e
		e.t = t
		ctx := context.Background()
		// kubectl scale/edit, kubectl label, kubectl delete, each as kubectl's
		// field managers record them.
		if _, err := e.cs.AppsV1().Deployments(e.ns).Patch(ctx, "joomla1", types.MergePatchType,
			[]byte(`{"spec":{"replicas":4}}`), metav1.PatchOptions{FieldManager: "kubectl-edit"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.cs.CoreV1().Services(e.ns).Patch(ctx, "joomla1", types.MergePatchType,
			[]byte(`{"metadata":{"labels":{"team":"payments"}}}`), metav1.PatchOptions{FieldManager: "kubectl-label"}); err != nil {
			t.Fatal(err)
		}
		if err := e.cs.NetworkingV1().Ingresses(e.ns).Delete(ctx, "joomla1", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		want := []string{"Deployment/joomla1 change", "Service/joomla1 foreign", "Ingress/joomla1 create"}
		check := func(name string, cs diffJSON) {
			got := cs.changed()
			for _, w := range want {
				if !strings.Contains(strings.Join(got, "\n"), w) {
					t.Errorf("%s: changes %v lack %q", name, got, w)
				}
			}
			if len(got) != len(want) {
				t.Errorf("%s: changes = %v, want %v", name, got, want)
			}
			for _, c := range cs.Changes {
				switch c.Kind + "/" + c.Name {
				case "Deployment/joomla1":
					if len(c.Paths) != 1 || c.Paths[0].Path != ".spec.replicas" || c.Paths[0].Before != float64(4) {
						t.Errorf("%s: Deployment paths = %+v, want .spec.replicas from 4", name, c.Paths)
					}
				case "Service/joomla1":
					if len(c.Foreign) != 1 || c.Foreign[0].Path != ".metadata.labels.team" || c.Foreign[0].Manager != "kubectl-label" || c.Foreign[0].Value != "payments" {
						t.Errorf("%s: Service foreign fields = %+v, want the team label by kubectl-label", name, c.Foreign)
					}
				}
			}
		}
		check("drift", e.changesOf(2, "drift", "joomla1", "-o", "json", "--detailed-exitcode"))
		check("diff release", e.changesOf(2, "diff", "release", "joomla1", "-o", "json", "--detailed-exitcode"))
		up := e.changesOf(2, upgrade("-o", "json", "--detailed-exitcode")...)
		check("diff upgrade", up)
		for _, c := range up.Changes {
			if c.Kind == "Deployment" && !strings.Contains(c.Conflict, "kubectl-edit") {
				t.Errorf("diff upgrade: the Deployment's replicas belong to kubectl-edit; want a conflict naming it, got %q", c.Conflict)
			}
		}
		text := e.barge("drift", "-o", "table")
		for _, w := range []string{`Release "joomla1"`, "-  replicas: 4", ".metadata.labels.team: \"payments\"  (kubectl-label, update)", "Ingress " + e.ns + "/joomla1 (networking.k8s.io/v1): to be created"} {
			if !strings.Contains(text.stdout, w) {
				t.Errorf("drift text lacks %q:\n%s", w, text.stdout)
			}
		}
		if r := e.barge("drift", "joomla1", "--suppress", "Deployment", "--suppress", "Service", "--suppress", "Ingress", "--detailed-exitcode"); r.code != 0 {
			t.Errorf("drift with every drifted kind suppressed: want exit 0, got %s", r)
		}
	})
}

// TestE2EDiffNoChangeAfterInstall installs charts with server-side
// defaults of every kind (Deployments, StatefulSets, Services, PVCs, CRDs
// and custom resources) and finds no change with diff upgrade and drift
// right after.
func TestE2EDiffNoChangeAfterInstall(t *testing.T) {
	e := newE2E(t)
	corpus := filepath.Join(repoPath(".."), "shared", "corpus", "cases")
	tests := []struct {
		name  string
		chart string
		args  []string
	}{
		{"crd with schema defaults and its custom resource", fixture("diff-crd"), nil},
		{"joomla without persistence", repoPath("charts/joomla"), []string{"--set", "persistence.enabled=false"}},
		{"hello-world", filepath.Join(corpus, "helm-examples__hello-world", "chart"), nil},
		{"bitnami nginx", filepath.Join(corpus, "bitnami__nginx", "chart"), []string{"-f", filepath.Join(corpus, "bitnami__nginx", "values", "01.yaml")}},
		{"kube-state-metrics", filepath.Join(corpus, "prometheus-community__kube-state-metrics", "chart"), nil},
		{"keda", filepath.Join(corpus, "keda__keda", "chart"), nil},
		{"argo-cd", filepath.Join(corpus, "argo__argo-cd", "chart"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := os.Stat(tt.chart); err != nil {
				t.Fatalf("chart %s: %v", tt.chart, err)
			}
			e := e.sub(t)
			e.mustBarge(append([]string{"install", "rel", tt.chart}, tt.args...)...)
			cs := e.changesOf(0, append([]string{"diff", "upgrade", "rel", tt.chart, "-o", "json", "--detailed-exitcode"}, tt.args...)...)
			if got := cs.changed(); len(got) > 0 {
				r := e.barge(append([]string{"diff", "upgrade", "rel", tt.chart}, tt.args...)...)
				t.Errorf("diff upgrade right after install: %v\n%s", got, r.stdout)
			}
			if r := e.barge("drift", "rel", "--detailed-exitcode"); r.code != 0 {
				t.Errorf("drift right after install: %s", r)
			}
		})
	}

	t.Run("custom resource: a changed value and a new object", func(t *testing.T) {
		e := e.sub(t)
		chart := fixture("diff-crd")
		cs := e.changesOf(2, "diff", "upgrade", "rel", chart, "--install", "-o", "json", "--detailed-exitcode")
		// The CRD exists already (the first case installed it, and CRDs are
		// cluster-wide): install leaves an existing CRD alone.
		if got := strings.Join(cs.changed(), ","); got != "Widget/rel create" {
			t.Errorf("diff upgrade --install of a new release: changes = %s, want Widget/rel create", got)
		}
		e.mustBarge("install", "rel", chart)
		cs = e.changesOf(2, "diff", "upgrade", "rel", chart, "--set", "size=7", "--set", "extra=true", "-o", "json", "--detailed-exitcode")
		if got := strings.Join(cs.changed(), ","); got != "ConfigMap/rel-extra create,Widget/rel change" {
			t.Errorf("changes = %s, want the new ConfigMap created and the Widget changed", got)
		}
		for _, c := range cs.Changes {
			if c.Kind == "Widget" && (len(c.Paths) != 1 || c.Paths[0].Path != ".spec.size" || c.Paths[0].After != float64(7)) {
				t.Errorf("Widget paths = %+v, want only .spec.size -> 7 (the defaulted color and policy unchanged)", c.Paths)
			}
		}
		e.mustBarge("upgrade", "rel", chart, "--set", "extra=true")
		cs = e.changesOf(0, "diff", "upgrade", "rel", chart, "--set", "extra=false", "-o", "json")
		if got := strings.Join(cs.changed(), ","); got != "ConfigMap/rel-extra delete" {
			t.Errorf("upgrade back to no extra: changes = %s, want ConfigMap/rel-extra delete", got)
		}
		rev := e.changesOf(0, "diff", "revision", "rel", "1", "2", "-o", "json")
		if got := strings.Join(rev.changed(), ","); got != "ConfigMap/rel-extra create" {
			t.Errorf("diff revision 1 2: changes = %s, want ConfigMap/rel-extra create", got)
		}
		rb := e.changesOf(0, "diff", "rollback", "rel", "1", "-o", "json")
		if got := strings.Join(rb.changed(), ","); got != "ConfigMap/rel-extra delete" {
			t.Errorf("diff rollback rel 1: changes = %s, want ConfigMap/rel-extra delete", got)
		}
	})
}
