package values

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ with the current output")

// describe renders the outcome of Resolve for golden files: the chart tree
// (children sorted by name, with their Chart.yaml dependency entries) and
// the values, or the error.
func describe(c *chart.Chart, vals map[string]any, err error) string {
	if err != nil {
		return "error: |\n  " + strings.ReplaceAll(strings.TrimRight(err.Error(), "\n"), "\n", "\n  ") + "\n"
	}
	var tree []string
	var walk func(c *chart.Chart, path string)
	walk = func(c *chart.Chart, path string) {
		line := path
		for _, d := range c.Metadata.Dependencies {
			line += fmt.Sprintf(" [%s alias=%q enabled=%v imports=%v]", d.Name, d.Alias, d.Enabled, d.ImportValues)
		}
		tree = append(tree, line)
		subs := slices.Clone(c.Dependencies())
		slices.SortFunc(subs, func(a, b *chart.Chart) int { return strings.Compare(a.Name(), b.Name()) })
		for _, s := range subs {
			walk(s, path+"/"+s.Name())
		}
	}
	walk(c, c.Name())
	out, merr := yaml.Marshal(map[string]any{"charts": tree, "values": vals})
	if merr != nil {
		return "marshal: " + merr.Error()
	}
	return string(out)
}

func loadChart(t testing.TB, dir string) *chart.Chart {
	t.Helper()
	ch, err := loader.Load(dir)
	if err != nil {
		t.Fatalf("load %s: %v", dir, err)
	}
	return ch
}

// TestResolveGolden resolves testdata/charts/app with each
// testdata/resolve/NAME.values.yaml and compares with NAME.golden, which
// was checked against Helm v3.22 (ProcessDependenciesWithMerge followed by
// ToRenderValuesWithSchemaValidation, as helm template does).
func TestResolveGolden(t *testing.T) {
	ch := loadChart(t, "testdata/charts/app")
	before := describe(ch, nil, nil)
	inputs, err := filepath.Glob("testdata/resolve/*.values.yaml")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no inputs: %v", err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".values.yaml")
		t.Run(name, func(t *testing.T) {
			user, err := ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got := describe(Resolve(ch, user))
			golden := strings.TrimSuffix(in, ".values.yaml") + ".golden"
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
				t.Errorf("Resolve with %s (-want +got):\n%s", in, diff)
			}
		})
	}
	if after := describe(ch, nil, nil); after != before {
		t.Errorf("Resolve modified its input chart (-before +after):\n%s", cmp.Diff(before, after))
	}
}

// TestResolveConcurrent resolves one chart from several goroutines (run
// with -race) and checks every result is the same and the values are not
// shared between results.
func TestResolveConcurrent(t *testing.T) {
	ch := loadChart(t, "testdata/charts/app")
	user := map[string]any{"web": map[string]any{"replicas": int64(2)}, "global": map[string]any{"region": "us"}}
	_, first, err := Resolve(ch, user)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([]map[string]any, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, v, err := Resolve(ch, user)
			if err != nil {
				t.Error(err)
				return
			}
			// A template may change its values (sprig's set); that must not
			// reach other releases.
			v["web"].(map[string]any)["config"].(map[string]any)["mutated"] = i
			results[i] = v
		}()
	}
	wg.Wait()
	for i, v := range results {
		delete(v["web"].(map[string]any)["config"].(map[string]any), "mutated")
		if diff := cmp.Diff(first, v); diff != "" {
			t.Errorf("result %d differs (-first +got):\n%s", i, diff)
		}
	}
}

// TestResolveCorpus resolves the charts of the shared conformance corpus
// with their values files and checks what Helm's output shows about them.
func TestResolveCorpus(t *testing.T) {
	root := "../../../../shared/corpus/cases"
	if _, err := os.Stat(root); err != nil {
		t.Fatalf("the conformance corpus must sit beside the repository (../shared/corpus): %v", err)
	}
	tests := []struct {
		name  string
		files []string
		check func(t *testing.T, c *chart.Chart, v map[string]any)
	}{
		{name: "helm__import-values-from-enabled-subchart", check: func(t *testing.T, c *chart.Chart, v map[string]any) {
			// The tags enable prod and disable dev.
			if got := names(c); !slices.Equal(got, []string{"prod"}) {
				t.Errorf("dependencies = %v, want [prod]", got)
			}
			if _, ok := v["dev"]; ok {
				t.Errorf("disabled subchart dev still has values")
			}
		}},
		{name: "helm__chart-with-dependency-aliased-twice", check: func(t *testing.T, c *chart.Chart, v map[string]any) {
			if got := names(c); !slices.Equal(got, []string{"bar", "foo"}) {
				t.Errorf("dependencies = %v, want [bar foo]", got)
			}
			want := map[string]any{"from": "foo", "global": map[string]any{}}
			if diff := cmp.Diff(want, v["foo"].(map[string]any)["grandchild"]); diff != "" {
				t.Errorf("foo.grandchild (-want +got):\n%s", diff)
			}
		}},
		{name: "helm__subpop"},
		{name: "bitnami__joomla", files: []string{"values/01.yaml"}},
		{name: "bitnami__redis"},
		{name: "prometheus-community__prometheus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(root, tt.name)
			if _, err := os.Stat(dir); err != nil {
				t.Skipf("case not present: %v", err)
			}
			var files []string
			for _, f := range tt.files {
				files = append(files, filepath.Join(dir, f))
			}
			user, err := Options{ValueFiles: files}.Merge(nil)
			if err != nil {
				t.Fatal(err)
			}
			c, v, err := Resolve(loadChart(t, filepath.Join(dir, "chart")), user)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if tt.check != nil {
				tt.check(t, c, v)
			}
		})
	}
}

func names(c *chart.Chart) []string {
	var n []string
	for _, d := range c.Dependencies() {
		n = append(n, d.Name())
	}
	slices.Sort(n)
	return n
}

func BenchmarkResolve(b *testing.B) {
	dir := "../../../../shared/corpus/cases/bitnami__joomla/chart"
	if _, err := os.Stat(dir); err != nil {
		dir = "testdata/charts/app"
	}
	ch := loadChart(b, dir)
	user := map[string]any{"global": map[string]any{"storageClass": "fast"}}
	var r Resolver
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := r.Resolve(ch, user); err != nil {
			b.Fatal(err)
		}
	}
}
