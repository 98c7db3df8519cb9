package fleet

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bargehq/barge/pkg/diff"
	"github.com/bargehq/barge/pkg/release"
	"github.com/bargehq/barge/pkg/release/storage"
)

// secretChart writes a chart of a ConfigMap holding .Values.greeting and a
// Secret holding .Values.password, and returns its directory.
func secretChart(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"Chart.yaml":  "apiVersion: v2\nname: secretive\nversion: 0.1.0\n",
		"values.yaml": "greeting: hello\npassword: s3cret-one\n",
		"templates/app.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
data:
  greeting: {{ .Values.greeting | quote }}
---
apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-auth
stringData:
  password: {{ .Values.password | quote }}
`,
	}
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// pathChange is what the tests check of an object's change.
type pathChange struct {
	Ref    string
	Action diff.Action
	Paths  []diff.PathChange
}

func pathChanges(cs *diff.ChangeSet) []pathChange {
	var out []pathChange
	for _, c := range cs.Changes {
		out = append(out, pathChange{Ref: c.Kind + "/" + c.Name, Action: c.Action, Paths: c.Paths})
	}
	return out
}

// TestPlanDiff plans releases of the secretive chart from records in the
// in-memory store, asking for diffs: an upgrade shows the fields that
// change, with the Secret's values masked unless asked for; an install
// shows every object created; an unchanged release, a release whose last
// revision is still pending and a plan that asks for no diff have none.
func TestPlanDiff(t *testing.T) {
	oldValues := map[string]any{"greeting": "hello", "password": "s3cret-one"}
	newValues := map[string]any{"greeting": "bonjour", "password": "s3cret-two"}
	fleetLabels := map[string]string{FleetLabel: "shop"}
	deployed := record{values: oldValues, status: release.StatusDeployed, labels: fleetLabels}
	tests := []struct {
		name    string
		records []record
		values  map[string]any
		opts    *release.DiffOptions
		action  Action
		want    []pathChange // nil: no diff
		secrets []string     // in the text and JSON of the diff
		hidden  []string     // not in them
	}{
		{
			name:    "upgrade masks the secret",
			records: []record{deployed},
			values:  newValues,
			opts:    &release.DiffOptions{},
			action:  ActionUpgrade,
			want: []pathChange{
				{Ref: "Secret/web-auth", Action: diff.Change, Paths: []diff.PathChange{
					{Path: ".stringData.password", Before: diff.MaskedBefore, After: diff.MaskedAfter},
				}},
				{Ref: "ConfigMap/web-config", Action: diff.Change, Paths: []diff.PathChange{
					{Path: ".data.greeting", Before: "hello", After: "bonjour"},
				}},
			},
			hidden: []string{"s3cret-one", "s3cret-two"},
		},
		{
			name:    "upgrade shows secrets when asked",
			records: []record{deployed},
			values:  newValues,
			opts:    &release.DiffOptions{ShowSecrets: true},
			action:  ActionUpgrade,
			want: []pathChange{
				{Ref: "Secret/web-auth", Action: diff.Change, Paths: []diff.PathChange{
					{Path: ".stringData.password", Before: "s3cret-one", After: "s3cret-two"},
				}},
				{Ref: "ConfigMap/web-config", Action: diff.Change, Paths: []diff.PathChange{
					{Path: ".data.greeting", Before: "hello", After: "bonjour"},
				}},
			},
			secrets: []string{"s3cret-one", "s3cret-two"},
		},
		{
			name:   "install creates every object",
			values: newValues,
			opts:   &release.DiffOptions{},
			action: ActionInstall,
			want: []pathChange{
				{Ref: "Secret/web-auth", Action: diff.Create},
				{Ref: "ConfigMap/web-config", Action: diff.Create},
			},
			secrets: []string{"bonjour"},
			hidden:  []string{"s3cret-two"},
		},
		{
			name:    "unchanged",
			records: []record{deployed},
			values:  oldValues,
			opts:    &release.DiffOptions{},
			action:  ActionUnchanged,
		},
		{
			name: "pending upgrade",
			records: []record{
				deployed,
				{values: newValues, status: release.StatusPendingUpgrade, labels: fleetLabels},
			},
			values: newValues,
			opts:   &release.DiffOptions{},
			action: ActionUpgrade,
		},
		{
			name:    "no diff asked",
			records: []record{deployed},
			values:  newValues,
			action:  ActionUpgrade,
		},
	}
	ctx := context.Background()
	r := planRunner()
	chartPath := secretChart(t)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := storage.NewMemory("", storage.Options{Now: fixedNow})
			ns := "diff-" + string(rune('a'+i))
			rel := &Release{Name: "web", Namespace: ns, Chart: chartPath, Values: tt.values, Labels: fleetLabels, Source: "releases[0]"}
			ch, err := r.chart(ctx, rel)
			if err != nil {
				t.Fatal(err)
			}
			eng := memoryEngine(t, store, ns)
			for v, rec := range tt.records {
				storeRevision(t, eng, store.InNamespace(ns), ch, v+1, rec)
			}
			last, err := store.InNamespace(ns).Last(ctx, rel.Name)
			in := planInput{rel: rel, chart: ch, engine: eng, last: last, lastErr: err, diff: tt.opts}
			got := r.planRecord(ctx, in, nil, false, false)
			if got.Err != nil {
				t.Fatalf("plan: %v", got.Err)
			}
			if got.Action != tt.action {
				t.Errorf("action = %s, want %s", got.Action, tt.action)
			}
			if tt.want == nil {
				if got.Diff != nil {
					t.Errorf("diff = %+v, want none", pathChanges(got.Diff))
				}
				return
			}
			if got.Diff == nil {
				t.Fatal("no diff")
			}
			if d := cmp.Diff(tt.want, pathChanges(got.Diff)); d != "" {
				t.Errorf("diff (-want +got):\n%s", d)
			}
			var out bytes.Buffer
			if err := diff.WriteText(&out, got.Diff, diff.TextOptions{Context: 3}); err != nil {
				t.Fatal(err)
			}
			if err := diff.WriteJSON(&out, got.Diff); err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.secrets {
				if !strings.Contains(out.String(), s) {
					t.Errorf("the diff lacks %q:\n%s", s, &out)
				}
			}
			for _, s := range tt.hidden {
				if strings.Contains(out.String(), s) {
					t.Errorf("the diff shows %q:\n%s", s, &out)
				}
			}
		})
	}
}

// TestPlanOptionsDiff checks that only a plan asking for diffs asks
// planRecord for them, with its choice of showing Secrets.
func TestPlanOptionsDiff(t *testing.T) {
	if got := (PlanOptions{ShowSecrets: true}).diffOptions(); got != nil {
		t.Errorf("without Diff: %+v, want nil", got)
	}
	got := (PlanOptions{Diff: true, ShowSecrets: true}).diffOptions()
	if got == nil || !got.ShowSecrets {
		t.Errorf("with Diff and ShowSecrets: %+v, want secrets shown", got)
	}
}
