package storage

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/bargehq/barge/pkg/release"
)

func TestContentDigest(t *testing.T) {
	base := func() *release.Release {
		r := rev("ns", "web", 3, release.StatusDeployed)
		r.Config = map[string]any{"replicas": float64(2), "host": "a.example.com"}
		r.Manifest = "---\n# Source: demo/templates/cm.yaml\nkind: ConfigMap\n"
		r.Hooks = []*release.Hook{{Name: "init", Kind: "Job", Manifest: "kind: Job\n", Events: []release.HookEvent{"pre-install"}}}
		return r
	}
	want, err := ContentDigest(base())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(r *release.Release)
		same   bool
	}{
		{"unchanged", func(*release.Release) {}, true},
		{"another revision, status, time and labels", func(r *release.Release) {
			r.Version, r.Info.Status, r.Info.LastDeployed = 4, release.StatusSuperseded, testEpoch
			r.Labels = map[string]string{"team": "blue"}
		}, true},
		{"an int from --set equals the float read back from a record", func(r *release.Release) { r.Config["replicas"] = int64(2) }, true},
		{"a hook's last run", func(r *release.Release) {
			r.Hooks[0].LastRun = release.HookExecution{Phase: release.HookPhaseSucceeded}
		}, true},
		{"another chart version", func(r *release.Release) { r.Chart.Metadata.Version = "1.0.1" }, false},
		{"another chart", func(r *release.Release) { r.Chart.Metadata.Name = "other" }, false},
		{"another value", func(r *release.Release) { r.Config["replicas"] = float64(3) }, false},
		{"a value moved into the manifest field", func(r *release.Release) {
			r.Config = nil
			r.Manifest = `{"host":"a.example.com","replicas":2}` + r.Manifest
		}, false},
		{"another manifest", func(r *release.Release) { r.Manifest += "data: {}\n" }, false},
		{"another hook manifest", func(r *release.Release) { r.Hooks[0].Manifest = "kind: Job\nspec: {}\n" }, false},
		{"another hook name", func(r *release.Release) { r.Hooks[0].Name = "init2" }, false},
		{"one hook more", func(r *release.Release) { r.Hooks = append(r.Hooks, &release.Hook{Name: "x"}) }, false},
		{"no chart", func(r *release.Release) { r.Chart = nil }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base()
			tt.change(r)
			got, err := ContentDigest(r)
			if err != nil {
				t.Fatal(err)
			}
			if (got == want) != tt.same {
				t.Errorf("ContentDigest = %s, base %s: same = %v, want %v", got, want, got == want, tt.same)
			}
		})
	}

	t.Run("absent and empty values are the same", func(t *testing.T) {
		a, b := base(), base()
		a.Config, b.Config = nil, map[string]any{}
		da, _ := ContentDigest(a)
		db, _ := ContentDigest(b)
		if da != db {
			t.Errorf("nil values %s, empty values %s", da, db)
		}
	})
	t.Run("values that are not JSON", func(t *testing.T) {
		r := base()
		r.Config = map[string]any{"f": func() {}}
		if _, err := ContentDigest(r); err == nil {
			t.Error("no error")
		}
	})
}

func TestTrustedDigest(t *testing.T) {
	const annotation = `{"name":"web","version":3,"digest":"sha256:abc"}`
	entry := func(manager, fields string) metav1.ManagedFieldsEntry {
		return metav1.ManagedFieldsEntry{Manager: manager, Operation: metav1.ManagedFieldsOperationUpdate, FieldsV1: metav1.NewFieldsV1(fields)}
	}
	const bargeFields = `{"f:data":{".":{},"f:release":{}},"f:metadata":{"f:annotations":{".":{},"f:barge.dev/digest":{},"f:barge.dev/summary":{}},"f:labels":{".":{},"f:name":{}}},"f:type":{}}`
	tests := []struct {
		name       string
		rel        string
		revision   int
		annotation string
		managed    []metav1.ManagedFieldsEntry
		want       string
	}{
		{"written by barge", "web", 3, annotation, []metav1.ManagedFieldsEntry{entry("barge", bargeFields)}, "sha256:abc"},
		{"labels changed by another writer", "web", 3, annotation, []metav1.ManagedFieldsEntry{
			entry("barge", bargeFields), entry("kubectl-label", `{"f:metadata":{"f:labels":{"f:team":{}}}}`),
		}, "sha256:abc"},
		{"no annotation", "web", 3, "", []metav1.ManagedFieldsEntry{entry("barge", bargeFields)}, ""},
		{"not JSON", "web", 3, "sha256:abc", []metav1.ManagedFieldsEntry{entry("barge", bargeFields)}, ""},
		{"of another release", "api", 3, annotation, []metav1.ManagedFieldsEntry{entry("barge", bargeFields)}, ""},
		{"of another revision", "web", 4, annotation, []metav1.ManagedFieldsEntry{entry("barge", bargeFields)}, ""},
		{"no managed fields", "web", 3, annotation, nil, ""},
		{"data changed by another writer", "web", 3, annotation, []metav1.ManagedFieldsEntry{
			entry("barge", `{"f:data":{".":{}},"f:metadata":{"f:annotations":{".":{},"f:barge.dev/digest":{}}}}`),
			entry("kubectl-edit", `{"f:data":{"f:release":{}}}`),
		}, ""},
		{"data shared with a writer that did not write the digest", "web", 3, annotation, []metav1.ManagedFieldsEntry{
			entry("barge", bargeFields), entry("kubectl", `{"f:data":{"f:release":{}}}`),
		}, ""},
		{"data owned by nobody", "web", 3, annotation, []metav1.ManagedFieldsEntry{
			entry("barge", `{"f:metadata":{"f:annotations":{"f:barge.dev/digest":{}}}}`),
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := trustedDigest(tt.rel, tt.revision, tt.annotation, tt.managed); got != tt.want {
				t.Errorf("trustedDigest = %q, want %q", got, tt.want)
			}
		})
	}
}
