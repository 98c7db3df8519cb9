package render

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	helmchart "helm.sh/helm/v3/pkg/chart"

	"github.com/bargehq/barge/pkg/chart"
)

// The golden files under testdata/golden are the output of Helm v3.22.0's
// `helm template` for the charts under testdata/charts (see
// testdata/golden/README.md). -update rewrites them with barge's output: only
// use it to add a case, then check the file against Helm's output.
var update = flag.Bool("update", false, "rewrite the golden files with barge's output")

// newChart returns an in-memory chart named c with the given templates.
func newChart(templates map[string]string) *helmchart.Chart {
	ch := &helmchart.Chart{Metadata: &helmchart.Metadata{APIVersion: "v2", Name: "c", Version: "0.1.0"}}
	for name, text := range templates {
		ch.Templates = append(ch.Templates, &helmchart.File{Name: name, Data: []byte(text)})
	}
	return ch
}

func render(t *testing.T, ch *helmchart.Chart, vals map[string]any) (*Result, error) {
	t.Helper()
	r, err := New(ch)
	if err != nil {
		t.Fatal(err)
	}
	return r.Render(context.Background(), Options{ReleaseName: "rel", Namespace: "default", Values: vals})
}

func TestRenderGolden(t *testing.T) {
	tests := []struct {
		name  string
		chart string
		out   OutputOptions
	}{
		{"features", "features", OutputOptions{}},
		{"features-crds", "features", OutputOptions{IncludeCRDs: true}},
		{"features-skip-tests", "features", OutputOptions{SkipTests: true}},
		{"features-no-hooks", "features", OutputOptions{DisableHooks: true}},
		{"features-show-only", "features", OutputOptions{ShowOnly: []string{"templates/service.yaml", "charts/sub/templates/*"}}},
		{"tricky", "tricky", OutputOptions{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := chart.Load(filepath.Join("testdata", "charts", tt.chart))
			if err != nil {
				t.Fatal(err)
			}
			res, err := render(t, ch, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := res.TemplateOutput(tt.out)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden", tt.name+".yaml")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("output differs from Helm's (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRenderResult(t *testing.T) {
	ch, err := chart.Load(filepath.Join("testdata", "charts", "features"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := render(t, ch, map[string]any{"name": "other"})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("notes are the top chart's", func(t *testing.T) {
		if want := "Thanks for installing features as rel.\n"; res.Notes != want {
			t.Errorf("Notes = %q, want %q", res.Notes, want)
		}
	})
	t.Run("hooks", func(t *testing.T) {
		type hook struct {
			Source, Kind, Name string
			Events, Delete     []string
			Weight             int
			Test               bool
		}
		var got []hook
		for _, h := range res.Hooks {
			got = append(got, hook{h.Source, h.Kind, h.Name, h.Events, h.DeletePolicies, h.Weight, h.IsTest()})
		}
		want := []hook{
			{"features/templates/hooks.yaml", "ConfigMap", "rel-hook-cm", []string{"post-install"}, []string{}, 0, false},
			{"features/templates/hooks.yaml", "Pod", "rel-test", []string{"test"}, []string{}, 0, true},
			{"features/templates/hooks.yaml", "Job", "rel-pre", []string{"pre-install", "post-upgrade"}, []string{"before-hook-creation", "hook-succeeded"}, -5, false},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("unknown hook is skipped with a warning", func(t *testing.T) {
		want := []string{`info: skipping unknown hook: "when-i-feel-like-it"`}
		if diff := cmp.Diff(want, res.Warnings); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("manifests carry kind, name and namespace", func(t *testing.T) {
		var got []string
		for _, m := range res.Manifests {
			got = append(got, fmt.Sprintf("%s %s %s/%s", m.Source, m.Kind, m.Namespace, m.Name))
		}
		want := []string{
			"features/templates/zz-kinds.yaml Namespace /ns",
			"features/templates/service.yaml ServiceAccount default/rel-features",
			"features/templates/zz-kinds.yaml Secret /s",
			"features/charts/sub/templates/cm.yaml ConfigMap /rel-sub",
			"features/templates/configmap.yaml ConfigMap /rel-features",
			"features/templates/hooks.yaml ConfigMap /rel-annotated",
			"features/templates/service.yaml Service /rel-features",
			"features/templates/zz-kinds.yaml Deployment /d",
			"features/templates/service.yaml  /",
			"features/templates/zz-kinds.yaml Gadget /g",
			"features/templates/zz-kinds.yaml Widget /w",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("release manifest joins the documents", func(t *testing.T) {
		if !strings.HasPrefix(res.Manifest, "---\n# Source: features/templates/zz-kinds.yaml\napiVersion: v1\nkind: Namespace\n") {
			t.Errorf("Manifest starts %q", res.Manifest[:80])
		}
		if strings.Contains(res.Manifest, "helm.sh/hook: test") {
			t.Error("Manifest holds a hook")
		}
	})
	t.Run("crds", func(t *testing.T) {
		if len(res.CRDs) != 1 || res.CRDs[0].Source != "features/crds/crd.yaml" {
			t.Errorf("CRDs = %+v, want features/crds/crd.yaml", res.CRDs)
		}
	})
	t.Run("subchart notes on request", func(t *testing.T) {
		r, _ := New(ch)
		res, err := r.Render(context.Background(), Options{ReleaseName: "rel", SubchartNotes: true})
		if err != nil {
			t.Fatal(err)
		}
		want := "Thanks for installing features as rel.\n\nSub notes for rel.\n"
		if res.Notes != want {
			t.Errorf("Notes = %q, want %q", res.Notes, want)
		}
	})
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name      string
		templates map[string]string
		kube      string
		want      string
		contains  bool
	}{
		{
			name:      "parse error names file and line",
			templates: map[string]string{"templates/x.yaml": "a: 1\n{{ .Values.a "},
			want:      "parse error at (c/templates/x.yaml:2): unclosed action",
		},
		{
			name:      "unknown function",
			templates: map[string]string{"templates/x.yaml": "{{ nope }}"},
			want:      `parse error at (c/templates/x.yaml:1): function "nope" not defined`,
		},
		{
			name:      "required names line and column",
			templates: map[string]string{"templates/x.yaml": "a: {{ required \"a is required\" .Values.a }}"},
			want:      "execution error at (c/templates/x.yaml:1:6): a is required",
		},
		{
			name: "fail in a partial is reported where it is included",
			templates: map[string]string{
				"templates/_h.tpl": `{{ define "h" }}{{ fail "boom" }}{{ end }}`,
				"templates/x.yaml": "line: 1\n{{ include \"h\" . }}",
			},
			want: "execution error at (c/templates/x.yaml:2:3): boom",
		},
		{
			name:      "nil pointer",
			templates: map[string]string{"templates/x.yaml": "{{ .Values.a.b }}"},
			want:      `template: c/templates/x.yaml:1:10: executing "c/templates/x.yaml" at <.Values.a.b>: nil pointer evaluating interface {}.b`,
		},
		{
			name:      "include of an unknown template",
			templates: map[string]string{"templates/x.yaml": `{{ include "nope" . }}`},
			want:      `template: c/templates/x.yaml:1:3: executing "c/templates/x.yaml" at <include "nope" .>: error calling include: template: no template "nope" associated with template "gotpl"`,
		},
		{
			name:      "tpl parse error",
			templates: map[string]string{"templates/x.yaml": `{{ tpl "{{ .x " . }}`},
			want:      `template: c/templates/x.yaml:1:3: executing "c/templates/x.yaml" at <tpl "{{ .x " .>: error calling tpl: cannot parse template "{{ .x ": template: gotpl:1: unclosed action`,
		},
		{
			name:      "invalid YAML output",
			templates: map[string]string{"templates/x.yaml": "a: b: c"},
			want:      "YAML parse error on c/templates/x.yaml: error converting YAML to JSON: yaml: mapping values are not allowed in this context",
		},
		{
			name: "endless include",
			templates: map[string]string{
				"templates/_r.tpl": `{{ define "r" }}{{ include "r" . }}{{ end }}`,
				"templates/x.yaml": `{{ include "r" . }}`,
			},
			want:     "rendering template has a nested reference name: r: unable to execute template",
			contains: true,
		},
		{
			name:      "kubeVersion",
			templates: map[string]string{"templates/x.yaml": "a: 1"},
			kube:      ">=1.40.0-0",
			want:      "chart requires kubeVersion: >=1.40.0-0 which is incompatible with Kubernetes v1.37.0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := newChart(tt.templates)
			ch.Metadata.KubeVersion = tt.kube
			_, err := render(t, ch, nil)
			if err == nil {
				t.Fatalf("Render succeeded, want error %q", tt.want)
			}
			if tt.contains {
				if !strings.Contains(err.Error(), tt.want) {
					t.Errorf("error = %q, want it to contain %q", err, tt.want)
				}
				return
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRenderErrorTypes(t *testing.T) {
	_, err := render(t, newChart(map[string]string{"templates/x.yaml": "{{ fail \"x\" }}"}), nil)
	var te *TemplateError
	if !errors.As(err, &te) || te.Template != "c/templates/x.yaml" {
		t.Errorf("error %v is not a TemplateError for c/templates/x.yaml", err)
	}
	_, err = render(t, newChart(map[string]string{"templates/x.yaml": "a: b: c"}), nil)
	var me *ManifestError
	if !errors.As(err, &me) || me.Template != "c/templates/x.yaml" {
		t.Errorf("error %v is not a ManifestError for c/templates/x.yaml", err)
	}
}

// stubLookup answers every lookup with one object naming what was asked.
type stubLookup struct{}

func (stubLookup) Lookup(_ context.Context, apiVersion, kind, namespace, name string) (map[string]any, error) {
	return map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": map[string]any{"namespace": namespace, "name": name}}, nil
}

func TestLookup(t *testing.T) {
	ch := newChart(map[string]string{"templates/x.yaml": `a: {{ dig "metadata" "name" "none" (lookup "v1" "Secret" "ns" "s") }}`})
	r, err := New(ch)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		lookup Lookuper
		want   string
	}{
		{"without a cluster lookup finds nothing", nil, "a: none"},
		{"with a Lookuper", stubLookup{}, "a: s"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := r.Render(context.Background(), Options{ReleaseName: "rel", Lookup: tt.lookup})
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Manifests[0].Content; got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// countingLookup answers like stubLookup and counts the calls.
type countingLookup struct{ calls atomic.Int32 }

func (c *countingLookup) Lookup(ctx context.Context, apiVersion, kind, namespace, name string) (map[string]any, error) {
	c.calls.Add(1)
	return stubLookup{}.Lookup(ctx, apiVersion, kind, namespace, name)
}

// TestLookupOncePerObject checks that a render asks the cluster once per
// object however often templates look it up, and that a template changing
// what one lookup returned does not change what the next one returns.
func TestLookupOncePerObject(t *testing.T) {
	ch := newChart(map[string]string{"templates/x.yaml": `{{- $s := lookup "v1" "Secret" "ns" "s" }}{{ $_ := set $s.metadata "name" "changed" }}
a: {{ $s.metadata.name }}
b: {{ (lookup "v1" "Secret" "ns" "s").metadata.name }}
c: {{ (lookup "v1" "Secret" "ns" "t").metadata.name }}`})
	r, err := New(ch)
	if err != nil {
		t.Fatal(err)
	}
	var lk countingLookup
	for range 2 {
		res, err := r.Render(context.Background(), Options{ReleaseName: "rel", Lookup: &lk})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := res.Manifests[0].Content, "a: changed\nb: s\nc: t"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	if got := lk.calls.Load(); got != 4 {
		t.Errorf("two renders asked the cluster %d times, want 4 (two objects each)", got)
	}
}

// TestRenderConcurrent renders one chart from several goroutines at once
// (run with -race) and checks each render against a sequential one.
func TestRenderConcurrent(t *testing.T) {
	ch, err := chart.Load(filepath.Join("testdata", "charts", "features"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(ch)
	if err != nil {
		t.Fatal(err)
	}
	opts := func(i int) Options {
		return Options{ReleaseName: fmt.Sprintf("rel-%d", i), Namespace: "ns", Values: map[string]any{"name": fmt.Sprint("n", i)}}
	}
	want := make([]string, 8)
	for i := range want {
		res, err := r.Render(context.Background(), opts(i))
		if err != nil {
			t.Fatal(err)
		}
		want[i] = res.Manifest
	}
	var wg sync.WaitGroup
	got := make([]string, len(want))
	for i := range want {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := r.Render(context.Background(), opts(i))
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = res.Manifest
		}()
	}
	wg.Wait()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("concurrent renders differ from sequential ones (-want +got):\n%s", diff)
	}
}

func TestRenderCancelled(t *testing.T) {
	r, err := New(newChart(map[string]string{"templates/x.yaml": "a: 1"}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Render(ctx, Options{ReleaseName: "rel"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Render with a cancelled context = %v, want context.Canceled", err)
	}
}

// TestRenderWarnings checks the warnings Helm v3.22.0 logs for the same
// values (there with its source position, e.g. "coalesce.go:237: ").
func TestRenderWarnings(t *testing.T) {
	ch, err := chart.Load(filepath.Join("testdata", "charts", "warnings"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		vals map[string]any
		want []string
	}{
		{"none", nil, nil},
		// Helm coalesces twice (for dependencies, then for rendering) and
		// warns each time.
		{"table over a scalar", map[string]any{"scalar": map[string]any{"a": 1}},
			[]string{"warning: skipped value for warnings.scalar: Not a table.", "warning: skipped value for warnings.scalar: Not a table."}},
		{"condition not a boolean", map[string]any{"sub": map[string]any{"enabled": "maybe"}},
			[]string{"Warning: Condition path 'sub.enabled' for chart sub returned non-bool value"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := render(t, ch, tt.vals)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, res.Warnings); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
