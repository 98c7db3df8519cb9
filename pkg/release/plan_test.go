package release_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	helmchart "helm.sh/helm/v3/pkg/chart"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/bargehq/barge/pkg/chart"
	"github.com/bargehq/barge/pkg/kube"
	"github.com/bargehq/barge/pkg/release"
	"github.com/bargehq/barge/pkg/release/storage"
)

// fixedNow is the clock of the plan tests.
func fixedNow() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

// memoryEngine returns an engine without a cluster over a memory store.
func memoryEngine(t *testing.T) (*release.Engine, *storage.Memory) {
	t.Helper()
	store := storage.NewMemory("apps", storage.Options{Now: fixedNow})
	e, err := release.New(release.Config{Namespace: "apps", Store: store, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	return e, store
}

func loadChart(t *testing.T, name string) *helmchart.Chart {
	t.Helper()
	ch, err := chart.Load("testdata/charts/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func refs(objs []*unstructured.Unstructured) []string {
	var out []string
	for _, o := range objs {
		out = append(out, fmt.Sprintf("%s/%s/%s", o.GetKind(), o.GetNamespace(), o.GetName()))
	}
	return out
}

// store puts a plan's release in the store as deployed, as a finished
// operation would.
func storeDeployed(t *testing.T, s *storage.Memory, p *release.Plan) {
	t.Helper()
	p.Release.Info.Status = release.StatusDeployed
	if err := s.Create(context.Background(), p.Release); err != nil {
		t.Fatal(err)
	}
}

func TestPlanInstall(t *testing.T) {
	ctx := context.Background()
	e, _ := memoryEngine(t)
	p, err := e.PlanInstall(ctx, "web", loadChart(t, "app"), map[string]any{"extra": true, "deployment": true}, release.InstallOptions{CreateNamespace: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ConfigMap/apps/web-main", "ConfigMap/apps/web-extra", "Deployment/apps/web-web"}
	if diff := cmp.Diff(want, refs(p.Apply)); diff != "" {
		t.Errorf("objects to apply (-want +got):\n%s", diff)
	}
	for _, o := range p.Apply {
		got := []string{o.GetLabels()[release.ManagedByLabel], o.GetAnnotations()[release.ReleaseNameAnnotation], o.GetAnnotations()[release.ReleaseNamespaceAnnotation]}
		if diff := cmp.Diff([]string{"Helm", "web", "apps"}, got); diff != "" {
			t.Errorf("%s ownership metadata (-want +got):\n%s", o.GetName(), diff)
		}
	}
	if p.Namespace == nil || p.Namespace.GetName() != "apps" {
		t.Errorf("namespace to create = %v, want apps", p.Namespace)
	}
	r := p.Release
	if r.Version != 1 || r.Info.Status != release.StatusPendingInstall || r.Info.Description != "Initial install underway" {
		t.Errorf("record = revision %d %s %q, want revision 1 pending-install \"Initial install underway\"", r.Version, r.Info.Status, r.Info.Description)
	}
	if diff := cmp.Diff(map[string]any{"extra": true, "deployment": true}, r.Config); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}

func TestPlanInstallRefusesNameInUse(t *testing.T) {
	ctx := context.Background()
	e, s := memoryEngine(t)
	ch := loadChart(t, "app")
	p, err := e.PlanInstall(ctx, "web", ch, nil, release.InstallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	storeDeployed(t, s, p)
	if _, err := e.PlanInstall(ctx, "web", ch, nil, release.InstallOptions{}); err == nil {
		t.Fatal("install over a deployed release: no error")
	}
	if _, err := e.PlanInstall(ctx, "web", ch, nil, release.InstallOptions{Replace: true}); err == nil {
		t.Fatal("install --replace over a deployed release: no error")
	}
	p.Release.Info.Status = release.StatusUninstalled
	if err := s.Update(ctx, p.Release); err != nil {
		t.Fatal(err)
	}
	p2, err := e.PlanInstall(ctx, "web", ch, nil, release.InstallOptions{Replace: true})
	if err != nil {
		t.Fatalf("install --replace over an uninstalled release: %v", err)
	}
	if p2.Release.Version != 2 {
		t.Errorf("replacing revision = %d, want 2", p2.Release.Version)
	}
}

func TestPlanUpgradeDeletesDroppedObjectsAndKeeps(t *testing.T) {
	ctx := context.Background()
	e, s := memoryEngine(t)
	ch := loadChart(t, "app")
	p1, err := e.PlanInstall(ctx, "web", ch, map[string]any{"extra": true, "keep": true}, release.InstallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	storeDeployed(t, s, p1)
	p2, err := e.PlanUpgrade(ctx, "web", ch, map[string]any{"version": "2"}, release.UpgradeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"ConfigMap/apps/web-main"}, refs(p2.Apply)); diff != "" {
		t.Errorf("apply (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ConfigMap/apps/web-extra"}, refs(p2.Delete)); diff != "" {
		t.Errorf("delete (-want +got):\n%s", diff)
	}
	wantKept := []kube.ObjectRef{{APIVersion: "v1", Kind: "ConfigMap", Namespace: "apps", Name: "web-kept"}}
	if diff := cmp.Diff(wantKept, p2.Kept); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	if p2.Release.Version != 2 || p2.Release.Info.Status != release.StatusPendingUpgrade || p2.Current.Version != 1 {
		t.Errorf("upgrade record: revision %d %s from %d, want 2 pending-upgrade from 1", p2.Release.Version, p2.Release.Info.Status, p2.Current.Version)
	}
}

func TestPlanUpgradeValues(t *testing.T) {
	ctx := context.Background()
	ch := loadChart(t, "app")
	tests := []struct {
		name string
		opts release.UpgradeOptions
		vals map[string]any
		want map[string]any
	}{
		{"no values reuses the last", release.UpgradeOptions{}, nil, map[string]any{"extra": true, "version": "1b"}},
		{"values replace the last", release.UpgradeOptions{}, map[string]any{"keep": true}, map[string]any{"keep": true}},
		{"reset values", release.UpgradeOptions{ResetValues: true}, nil, nil},
		{"reuse values", release.UpgradeOptions{ReuseValues: true}, map[string]any{"version": "2"}, map[string]any{"extra": true, "version": "2"}},
		{"reset then reuse values", release.UpgradeOptions{ResetThenReuseValues: true}, map[string]any{"keep": true}, map[string]any{"extra": true, "keep": true, "version": "1b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, s := memoryEngine(t)
			p1, err := e.PlanInstall(ctx, "web", ch, map[string]any{"extra": true, "version": "1b"}, release.InstallOptions{})
			if err != nil {
				t.Fatal(err)
			}
			storeDeployed(t, s, p1)
			p, err := e.PlanUpgrade(ctx, "web", ch, tt.vals, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, p.Release.Config); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanHookOrder(t *testing.T) {
	ctx := context.Background()
	e, s := memoryEngine(t)
	ch := loadChart(t, "hooks")
	p, err := e.PlanInstall(ctx, "h", ch, nil, release.InstallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	names := func(hs []*release.Hook) []string {
		var out []string
		for _, h := range hs {
			out = append(out, h.Name)
		}
		return out
	}
	if diff := cmp.Diff([]string{"h-pre-install-early", "h-pre-install-late"}, names(p.HooksFor(release.HookPreInstall))); diff != "" {
		t.Errorf("pre-install hooks (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"h-post-install"}, names(p.HooksFor(release.HookPostInstall))); diff != "" {
		t.Errorf("post-install hooks (-want +got):\n%s", diff)
	}
	if len(p.Release.Hooks) != 10 {
		t.Errorf("recorded hooks = %d, want 10", len(p.Release.Hooks))
	}
	storeDeployed(t, s, p)
	pr, err := e.PlanRollback(ctx, "h", release.RollbackOptions{Revision: 1})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"h-pre-rollback"}, names(pr.HooksFor(release.HookPreRollback))); diff != "" {
		t.Errorf("pre-rollback hooks (-want +got):\n%s", diff)
	}
	if pr.Release.Info.Description != "Rollback to 1" || pr.Release.Version != 2 {
		t.Errorf("rollback record = revision %d %q, want 2 \"Rollback to 1\"", pr.Release.Version, pr.Release.Info.Description)
	}
	pn, err := e.PlanUpgrade(ctx, "h", ch, nil, release.UpgradeOptions{NoHooks: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(pn.Hooks) != 0 || len(pn.Release.Hooks) != 10 {
		t.Errorf("with NoHooks: %d hooks to run and %d recorded, want 0 and 10", len(pn.Hooks), len(pn.Release.Hooks))
	}
}

func TestClientDryRunWritesNothing(t *testing.T) {
	ctx := context.Background()
	e, s := memoryEngine(t)
	rls, err := e.Install(ctx, "web", loadChart(t, "app"), nil, release.InstallOptions{DryRun: release.DryRunClient})
	if err != nil {
		t.Fatal(err)
	}
	if rls.Info.Description != "Dry run complete" || rls.Manifest == "" {
		t.Errorf("dry run release: description %q, manifest %d bytes", rls.Info.Description, len(rls.Manifest))
	}
	if got, err := s.List(ctx, storage.ListOptions{}); err != nil || len(got) != 0 {
		t.Errorf("store after a client dry run: %v, %v; want empty", got, err)
	}
	if _, err := e.Install(ctx, "web", loadChart(t, "app"), nil, release.InstallOptions{}); err == nil {
		t.Error("install without a cluster: no error")
	}
}
