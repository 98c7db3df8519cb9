package release

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"helm.sh/helm/v3/pkg/chart"
)

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func compact(t *testing.T, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestDecodeHelmV3 reads a record laid out as Helm v3.22's json.Marshal of
// its release.Release writes it, and checks every field.
func TestDecodeHelmV3(t *testing.T) {
	plus1 := time.FixedZone("", 3600)
	want := &Release{
		Name: "greeter",
		Info: &Info{
			FirstDeployed: time.Date(2025, 3, 4, 10, 11, 12, 123456789, plus1),
			LastDeployed:  time.Date(2025, 3, 5, 8, 0, 1, 500000000, plus1),
			Description:   "Upgrade complete",
			Status:        StatusDeployed,
			Notes:         "Thanks for installing.",
		},
		Chart: &chart.Chart{
			Metadata: &chart.Metadata{
				Name:        "greeter",
				Home:        "https://example.com/greeter",
				Sources:     []string{"https://example.com/src"},
				Version:     "0.2.0",
				Description: "A tiny chart",
				Keywords:    []string{"demo"},
				Maintainers: []*chart.Maintainer{{Name: "Ada", Email: "ada@example.com", URL: "https://example.com/ada"}},
				Icon:        "https://example.com/icon.png",
				APIVersion:  "v2",
				AppVersion:  "1.16.0",
				Annotations: map[string]string{"category": "demo"},
				KubeVersion: ">=1.20.0-0",
				Dependencies: []*chart.Dependency{{
					Name: "common", Version: "1.x.x", Repository: "https://charts.example.com",
					Condition: "common.enabled", Tags: []string{"base"}, Enabled: true,
					ImportValues: []any{"defaults", map[string]any{"child": "a", "parent": "b"}}, Alias: "lib",
				}},
				Type: "application",
			},
			Lock: &chart.Lock{
				Generated:    time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
				Digest:       "sha256:0123456789abcdef",
				Dependencies: []*chart.Dependency{{Name: "common", Version: "1.2.3", Repository: "https://charts.example.com"}},
			},
			Templates: []*chart.File{
				{Name: "templates/configmap.yaml", Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  greeting: {{ .Values.greeting | quote }}\n")},
				{Name: "templates/NOTES.txt", Data: []byte("Thanks for installing.")},
			},
			Values: map[string]any{
				"greeting": "hello",
				"nested":   map[string]any{"list": []any{1.0, "two", true, nil}, "pi": 3.14},
				"replicas": 1.0,
			},
			Schema: []byte(`{"type":"object"}`),
			Files:  []*chart.File{{Name: "README.md", Data: []byte("greeting: hello\nreplicas: 1\n")}},
		},
		Config:   map[string]any{"big": 12345678901.0, "greeting": "hi", "nested": map[string]any{"flag": false}},
		Manifest: "---\n# Source: greeter/templates/configmap.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: greeter-cm\ndata:\n  greeting: \"hi\"\n",
		Hooks: []*Hook{
			{
				Name:     "greeter-test",
				Kind:     "Pod",
				Path:     "greeter/templates/tests/test.yaml",
				Manifest: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: greeter-test\n  annotations:\n    \"helm.sh/hook\": test,post-install\n",
				Events:   []HookEvent{HookTest, HookPostInstall},
				LastRun: HookExecution{
					StartedAt:   time.Date(2025, 3, 5, 8, 0, 2, 1, plus1),
					CompletedAt: time.Date(2025, 3, 5, 8, 0, 9, 250000000, plus1),
					Phase:       HookPhaseSucceeded,
				},
				Weight:            -5,
				DeletePolicies:    []HookDeletePolicy{HookBeforeHookCreation, HookSucceeded},
				OutputLogPolicies: []HookOutputLogPolicy{HookOutputOnFailed},
			},
			{Name: "greeter-migrate", Kind: "Job", Path: "greeter/templates/job.yaml", Manifest: "kind: Job\n", Events: []HookEvent{HookPreUpgrade}},
		},
		Version:   3,
		Namespace: "apps",
	}

	raw := mustRead(t, "testdata/helm-v3-release.json")
	var got Release
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if diff := cmp.Diff(want, &got, cmpopts.IgnoreUnexported(chart.Chart{})); diff != "" {
		t.Errorf("decoded release mismatch (-want +got):\n%s", diff)
	}
	// The offset Helm wrote survives (Helm prints times in the writer's zone).
	if _, off := got.Info.LastDeployed.Zone(); off != 3600 {
		t.Errorf("last_deployed offset = %d, want 3600", off)
	}

	t.Run("re-encodes byte for byte", func(t *testing.T) {
		out, err := json.Marshal(&got)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(compact(t, raw), string(out)); diff != "" {
			t.Errorf("encoded record mismatch (-want +got):\n%s", diff)
		}
	})
}

// TestDecodeHelmV4 reads a record laid out as Helm v4.3's release/v1 writes
// it: zero times omitted, rollback_revision and apply_method present, chart
// modification times (which barge's chart type does not carry).
func TestDecodeHelmV4(t *testing.T) {
	raw := mustRead(t, "testdata/helm-v4-release.json")
	var got Release
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("decode: %v", err)
	}
	want := &Release{
		Name: "greeter",
		Info: &Info{
			FirstDeployed:    time.Date(2025, 3, 4, 9, 11, 12, 123456789, time.UTC),
			LastDeployed:     time.Date(2025, 3, 5, 7, 0, 1, 500000000, time.UTC),
			Description:      "Rollback to 1",
			Status:           StatusDeployed,
			RollbackRevision: 1,
		},
		Chart: &chart.Chart{
			Metadata:  &chart.Metadata{Name: "greeter", Version: "0.2.0", APIVersion: "v2", AppVersion: "1.16.0"},
			Templates: []*chart.File{{Name: "templates/configmap.yaml", Data: []byte("kind: ConfigMap\n")}},
			Values:    map[string]any{"greeting": "hello"},
			Files:     []*chart.File{},
		},
		Manifest:    "kind: ConfigMap\n",
		Hooks:       []*Hook{{Name: "greeter-test", Kind: "Pod", Path: "greeter/templates/test.yaml", Manifest: "kind: Pod\n", Events: []HookEvent{HookTest}}},
		Version:     4,
		Namespace:   "apps",
		ApplyMethod: ApplyMethodServerSide,
	}
	if diff := cmp.Diff(want, &got, cmpopts.IgnoreUnexported(chart.Chart{})); diff != "" {
		t.Errorf("decoded release mismatch (-want +got):\n%s", diff)
	}

	// Written back, the v4-only fields survive and the zero times take
	// Helm v3's "" form, which both Helm versions read.
	out, err := json.Marshal(&got)
	if err != nil {
		t.Fatal(err)
	}
	var generic struct {
		Info        map[string]any `json:"info"`
		ApplyMethod string         `json:"apply_method"`
	}
	if err := json.Unmarshal(out, &generic); err != nil {
		t.Fatal(err)
	}
	wantInfo := map[string]any{
		"first_deployed":    "2025-03-04T09:11:12.123456789Z",
		"last_deployed":     "2025-03-05T07:00:01.5Z",
		"deleted":           "",
		"description":       "Rollback to 1",
		"status":            "deployed",
		"rollback_revision": 1.0,
	}
	if diff := cmp.Diff(wantInfo, generic.Info); diff != "" {
		t.Errorf("re-encoded info mismatch (-want +got):\n%s", diff)
	}
	if generic.ApplyMethod != "ssa" {
		t.Errorf("apply_method = %q, want ssa", generic.ApplyMethod)
	}
}

func TestTimeForms(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want time.Time
		err  bool
	}{
		{name: "empty string is zero", in: `{"first_deployed":""}`},
		{name: "null is zero", in: `{"first_deployed":null}`},
		{name: "absent is zero", in: `{}`},
		{name: "utc", in: `{"first_deployed":"2024-02-29T23:59:59Z"}`, want: time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC)},
		{name: "offset and nanoseconds", in: `{"first_deployed":"2024-02-29T23:59:59.000000007-07:00"}`, want: time.Date(2024, 3, 1, 6, 59, 59, 7, time.UTC)},
		{name: "not a time", in: `{"first_deployed":"yesterday"}`, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var info Info
			err := json.Unmarshal([]byte(tt.in), &info)
			if tt.err {
				if err == nil {
					t.Fatalf("want an error, got %v", info.FirstDeployed)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !info.FirstDeployed.Equal(tt.want) {
				t.Errorf("first_deployed = %v, want %v", info.FirstDeployed, tt.want)
			}
		})
	}
}

func TestStatus(t *testing.T) {
	want := []string{"unknown", "deployed", "uninstalled", "superseded", "failed", "uninstalling", "pending-install", "pending-upgrade", "pending-rollback"}
	var got []string
	var pending []Status
	for _, s := range Statuses() {
		got = append(got, s.String())
		if s.IsPending() {
			pending = append(pending, s)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Status{StatusPendingInstall, StatusPendingUpgrade, StatusPendingRollback}, pending); diff != "" {
		t.Errorf("pending statuses (-want +got):\n%s", diff)
	}
}

func TestLabelsNotInJSON(t *testing.T) {
	out, err := json.Marshal(&Release{Name: "a", Labels: map[string]string{"team": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(`{"name":"a"}`, string(out)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
