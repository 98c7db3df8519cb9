package fleet

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	helmchart "helm.sh/helm/v3/pkg/chart"

	"github.com/bargehq/barge/pkg/chart/render"
	"github.com/bargehq/barge/pkg/release"
	"github.com/bargehq/barge/pkg/release/storage"
)

// fixedNow is the clock of the plan tests.
func fixedNow() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

// keptToken serves the tenant chart's lookup of its ConfigMap as if it
// existed with a token, so that its renders do not differ by a random one.
type keptToken struct{}

func (keptToken) Lookup(ctx context.Context, apiVersion, kind, namespace, name string) (map[string]any, error) {
	return map[string]any{"data": map[string]any{"token": "kept"}}, nil
}

// record is a revision the test stores before planning.
type record struct {
	values map[string]any
	status release.Status
	labels map[string]string
}

// TestPlanRecord plans releases of a fleet from records in the in-memory
// store, without a cluster: what the fleet does to each, and why.
func TestPlanRecord(t *testing.T) {
	fleetLabels := map[string]string{FleetLabel: "shop"}
	hello := map[string]any{"greeting": "hello"}
	tests := []struct {
		name    string
		records []record // revisions 1, 2, ... of the release, oldest first
		want    Change
	}{
		{name: "new", want: Change{Action: ActionInstall}},
		{
			name:    "unchanged",
			records: []record{{values: hello, status: release.StatusDeployed, labels: fleetLabels}},
			want:    Change{Action: ActionUnchanged, Revision: 1},
		},
		{
			name:    "changed values",
			records: []record{{values: map[string]any{"greeting": "bye"}, status: release.StatusDeployed, labels: fleetLabels}},
			want:    Change{Action: ActionUpgrade, Revision: 1, Reasons: []string{"values", "manifest"}},
		},
		{
			name:    "changed labels",
			records: []record{{values: hello, status: release.StatusDeployed}},
			want:    Change{Action: ActionUpgrade, Revision: 1, Reasons: []string{"labels"}},
		},
		{
			name: "uninstalled with history",
			records: []record{
				{values: hello, status: release.StatusSuperseded, labels: fleetLabels},
				{values: hello, status: release.StatusUninstalled, labels: fleetLabels},
			},
			want: Change{Action: ActionInstall, Revision: 2, replace: true},
		},
		{
			name: "failed over deployed",
			records: []record{
				{values: hello, status: release.StatusDeployed, labels: fleetLabels},
				{values: hello, status: release.StatusFailed, labels: fleetLabels},
			},
			want: Change{Action: ActionUpgrade, Revision: 2, Reasons: []string{"last revision 2 is failed"}},
		},
		{
			name:    "failed first install",
			records: []record{{values: hello, status: release.StatusFailed, labels: fleetLabels}},
			want:    Change{Action: ActionUpgrade, Revision: 1, Reasons: []string{"last revision 1 is failed"}},
		},
		{
			name: "pending upgrade",
			records: []record{
				{values: hello, status: release.StatusDeployed, labels: fleetLabels},
				{values: hello, status: release.StatusPendingUpgrade, labels: fleetLabels},
			},
			want: Change{Action: ActionUpgrade, Revision: 2, Reasons: []string{"last revision 2 is pending-upgrade"}},
		},
		{
			name:    "uninstalling",
			records: []record{{values: hello, status: release.StatusUninstalling, labels: fleetLabels}},
			want:    Change{Action: ActionUpgrade, Revision: 1, Reasons: []string{"last revision 1 is uninstalling"}},
		},
	}
	ctx := context.Background()
	r := planRunner()
	chartPath, err := filepath.Abs("testdata/charts/tenant")
	if err != nil {
		t.Fatal(err)
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := storage.NewMemory("", storage.Options{Now: fixedNow})
			ns := "tenant-" + string(rune('a'+i))
			rel := &Release{Name: "web", Namespace: ns, Chart: chartPath, Values: hello, Labels: fleetLabels, Source: "releases[0]"}
			ch, err := r.chart(ctx, rel)
			if err != nil {
				t.Fatal(err)
			}
			eng := memoryEngine(t, store, ns)
			for v, rec := range tt.records {
				storeRevision(t, eng, store.InNamespace(ns), ch, v+1, rec)
			}
			last, err := store.InNamespace(ns).Last(ctx, rel.Name)
			got := r.planRecord(ctx, planInput{rel: rel, chart: ch, engine: eng, last: last, lastErr: err}, keptToken{}, false, false)
			if got.Err != nil {
				t.Fatalf("plan: %v", got.Err)
			}
			tt.want.Name, tt.want.Namespace, tt.want.Release = rel.Name, ns, rel
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(Change{}, Release{})); diff != "" {
				t.Errorf("change (-want +got):\n%s", diff)
			}
		})
	}
}

// planRunner returns a Runner that plans without a cluster: local charts,
// no lookups of its own.
func planRunner() *Runner {
	return &Runner{
		cfg:    Config{Logger: slog.New(slog.DiscardHandler), FieldManager: release.DefaultFieldManager},
		charts: &chartCache{charts: map[string]*loadedChart{}, renderers: map[*helmchart.Chart]*render.Renderer{}},
	}
}

// memoryEngine returns an engine over namespace ns of store, without a
// cluster.
func memoryEngine(t *testing.T, store *storage.Memory, ns string) *release.Engine {
	t.Helper()
	eng, err := release.New(release.Config{Namespace: ns, Store: store.InNamespace(ns), Now: fixedNow, Lookup: keptToken{}})
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// storeRevision stores revision v of release web, planned as an install
// (v 1) or an upgrade would plan it, with status rec.status.
func storeRevision(t *testing.T, eng *release.Engine, s *storage.Memory, ch *helmchart.Chart, v int, rec record) {
	t.Helper()
	ctx := context.Background()
	var p *release.Plan
	var err error
	if v == 1 {
		p, err = eng.PlanInstall(ctx, "web", ch, rec.values, release.InstallOptions{Labels: rec.labels})
	} else {
		p, err = eng.PlanUpgrade(ctx, "web", ch, rec.values, release.UpgradeOptions{ResetValues: true, Labels: rec.labels})
	}
	if err != nil {
		t.Fatal(err)
	}
	p.Release.Info.Status = rec.status
	if err := s.Create(ctx, p.Release); err != nil {
		t.Fatal(err)
	}
}
