package fleet

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bargehq/barge/pkg/release"
)

// writeFiles writes files (name -> content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// expandFile loads dir/fleet.yaml and expands it in environment env.
func expandFile(t *testing.T, dir, env string) ([]*Release, error) {
	t.Helper()
	f, err := Load(filepath.Join(dir, "fleet.yaml"))
	if err != nil {
		return nil, err
	}
	return f.Expand(ExpandOptions{Environment: env})
}

const clustersHead = `apiVersion: barge.dev/v1alpha1
kind: Fleet
metadata: {name: multi}
clusters:
  - {name: east, kubeconfig: east.kubeconfig}
  - {name: west, context: west-admin}
  - {name: north}
tenants:
  items:
    - {name: a, cluster: east}
    - {name: b, cluster: west}
`

func TestExpandPlacesReleasesOnClusters(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"fleet.yaml": clustersHead + `releases:
  - name: db
    namespace: shared
    chart: ./charts/db
    cluster: [east, west, north]
  - name: "app-{{ .Tenant.name }}"
    namespace: "t-{{ .Tenant.name }}"
    perTenant: true
    cluster: "{{ .Tenant.cluster }}"
    chart: ./charts/app
    needs: [shared/db, north/shared/db]
    values:
      - {where: "{{ .Cluster.name }}"}
`})
	rels, err := expandFile(t, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rels {
		ids = append(ids, r.ID())
	}
	want := []string{"east/shared/db", "west/shared/db", "north/shared/db", "east/t-a/app-a", "west/t-b/app-b"}
	if !slices.Equal(ids, want) {
		t.Fatalf("releases %v, want %v", ids, want)
	}
	if got := rels[1].Source; got != "releases[0] (cluster west)" {
		t.Errorf("source of the west copy: %q", got)
	}
	if got := rels[4].Needs; !slices.Equal(got, []string{"west/shared/db", "north/shared/db"}) {
		t.Errorf("needs of app-b: %v, want its own cluster's db then north's", got)
	}
	if got := rels[4].Values["where"]; got != "west" {
		t.Errorf(".Cluster.name in values: %v, want west", got)
	}
	f, err := Load(filepath.Join(dir, "fleet.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	specs := f.ClusterSpecs()
	if specs[0].Kubeconfig != filepath.Join(dir, "east.kubeconfig") || specs[1].Kubeconfig != "" || specs[1].Context != "west-admin" {
		t.Errorf("cluster specs: %+v", specs)
	}
}

func TestExpandClusterErrors(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
		{"not placed", `releases: [{name: x, namespace: y, chart: c}]`,
			[]string{"releases[0]: cluster is not set: the file lists 3 clusters (east, west, north)"}},
		{"unknown cluster", `releases: [{name: x, namespace: y, chart: c, cluster: south}]`,
			[]string{`releases[0]: cluster "south": no such cluster: the file lists east, west, north`}},
		{"tenant's unknown cluster", `releases: [{name: "x-{{ .Tenant.name }}", namespace: y, chart: c, perTenant: true, cluster: "{{ .Tenant.cluster }}x"}]`,
			[]string{`releases[0] (tenant a): cluster "eastx": no such cluster`, `releases[0] (tenant b): cluster "westx": no such cluster`}},
		{"need not in the fleet", `releases:
  - {name: db, namespace: shared, chart: c, cluster: east}
  - {name: "app-{{ .Tenant.name }}", namespace: t, chart: c, perTenant: true, cluster: "{{ .Tenant.cluster }}", needs: [shared/db]}`,
			[]string{`releases[1] (tenant b): needs "shared/db": the fleet has no release west/shared/db (releases of that name: east/shared/db)`}},
		{"cycle", `releases:
  - {name: a, namespace: ns, chart: c, cluster: east, needs: [b]}
  - {name: b, namespace: ns, chart: c, cluster: east, needs: [west/ns/c]}
  - {name: c, namespace: ns, chart: c, cluster: west, needs: [east/ns/a]}`,
			[]string{"needs form a cycle: east/ns/a -> east/ns/b -> west/ns/c -> east/ns/a (defined by releases[0], releases[1], releases[2])"}},
		{"needs itself", `releases: [{name: a, namespace: ns, chart: c, cluster: east, needs: [a]}]`,
			[]string{`releases[0]: needs "a": the release needs itself`}},
		{"bad need", `releases: [{name: a, namespace: ns, chart: c, cluster: east, needs: [x/y/z/w]}]`,
			[]string{`needs "x/y/z/w": write a release as name, namespace/name or cluster/namespace/name`}},
		{"same release twice on a cluster", `releases:
  - {name: a, namespace: ns, chart: c, cluster: [east, west]}
  - {name: a, namespace: ns, chart: c, cluster: west}`,
			[]string{"releases[1]: release west/ns/a is also defined by releases[0] (cluster west)"}},
		{"bad timeout", `releases: [{name: a, namespace: ns, chart: c, cluster: east, timeout: soon}]`,
			[]string{`releases[0]: timeout "soon": give a positive duration, such as 90s or 10m`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"fleet.yaml": clustersHead + tc.body + "\n"})
			_, err := expandFile(t, dir, "")
			if err == nil {
				t.Fatal("Expand succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseClusterErrors(t *testing.T) {
	_, err := Parse([]byte(`apiVersion: barge.dev/v1alpha1
kind: Fleet
metadata: {name: a}
clusters: [{name: East}, {name: west, concurrency: -1}, {name: west}]
releases: [{name: x, namespace: y, chart: c, cluster: 3}]
`))
	if err == nil || !strings.Contains(err.Error(), "cluster: give a cluster's name, or a list of names") {
		t.Fatalf("a number as cluster: %v", err)
	}
	_, err = Parse([]byte(`apiVersion: barge.dev/v1alpha1
kind: Fleet
metadata: {name: a}
clusters: [{name: East}, {name: west, concurrency: -1}, {name: west}]
releases: [{name: x, namespace: y, chart: c}]
`))
	for _, w := range []string{`clusters[0].name "East"`, "clusters[1] (west): concurrency, qps and burst must not be negative", `clusters[2].name "west": the name is listed twice`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v does not contain %q", err, w)
		}
	}
}

func TestExpandNoClusters(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"fleet.yaml": `apiVersion: barge.dev/v1alpha1
kind: Fleet
metadata: {name: one}
releases:
  - {name: db, namespace: shared, chart: c}
  - {name: app, namespace: t, chart: c, needs: [shared/db]}
  - {name: bad, namespace: t, chart: c, needs: [east/shared/db]}
`})
	_, err := expandFile(t, dir, "")
	if err == nil || !strings.Contains(err.Error(), `releases[2]: needs "east/shared/db" names a cluster, but the file lists no clusters`) {
		t.Fatalf("error: %v", err)
	}
	writeFiles(t, dir, map[string]string{"fleet.yaml": `apiVersion: barge.dev/v1alpha1
kind: Fleet
metadata: {name: one}
releases:
  - {name: db, namespace: shared, chart: c}
  - {name: app, namespace: t, chart: c, needs: [shared/db], cluster: east}
`})
	_, err = expandFile(t, dir, "")
	if err == nil || !strings.Contains(err.Error(), `releases[1]: cluster "east": the file lists no clusters`) {
		t.Fatalf("error: %v", err)
	}
}

func TestExpandEnvironmentsAndValueTemplates(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"fleet.yaml": `apiVersion: barge.dev/v1alpha1
kind: Fleet
metadata: {name: envs}
environments:
  default:
    values: [{replicas: 1, domain: dev.example}]
  prod:
    values:
      - env/prod.yaml
      - env/prod-extra.yaml.gotmpl
tenants:
  items: [{name: acme, plan: gold}]
releases:
  - name: "web-{{ .Tenant.name }}"
    namespace: "{{ .Environment.name }}-{{ .Tenant.name }}"
    perTenant: true
    chart: c
    values:
      - values/tenant.yaml.gotmpl
      - {host: "{{ .Tenant.name }}.{{ .Values.domain }}"}
`,
		"env/prod.yaml":              "replicas: 3\ndomain: example.com\n",
		"env/prod-extra.yaml.gotmpl": "region: {{ .Environment.name }}-eu\n",
		"values/tenant.yaml.gotmpl": `replicas: {{ .Values.replicas }}
release: {{ .Release.name }} in {{ .Release.namespace }}
plan: {{ .Tenant.plan | upper }}
{{- if eq .Environment.name "prod" }}
region: {{ .Values.region }}
{{- end }}
`,
	})
	rels, err := expandFile(t, dir, "prod")
	if err != nil {
		t.Fatal(err)
	}
	r := rels[0]
	if r.Namespace != "prod-acme" {
		t.Errorf("namespace %q, want prod-acme", r.Namespace)
	}
	want := map[string]any{"replicas": float64(3), "release": "web-acme in prod-acme", "plan": "GOLD", "region": "prod-eu", "host": "acme.example.com"}
	for k, v := range want {
		if r.Values[k] != v {
			t.Errorf("values.%s = %#v, want %#v", k, r.Values[k], v)
		}
	}
	rels, err = expandFile(t, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if r := rels[0]; r.Namespace != "default-acme" || r.Values["replicas"] != float64(1) || r.Values["host"] != "acme.dev.example" {
		t.Errorf("default environment: %s %v", r.Namespace, r.Values)
	}
	_, err = expandFile(t, dir, "staging")
	if err == nil || !strings.Contains(err.Error(), `environment "staging": the fleet file does not define it; it defines default, prod`) {
		t.Errorf("unknown environment: %v", err)
	}
	writeFiles(t, dir, map[string]string{"values/tenant.yaml.gotmpl": "a: 1\nb: {{ .Tenant.plna }}\n"})
	_, err = expandFile(t, dir, "prod")
	if err == nil || !strings.Contains(err.Error(), "tenant.yaml.gotmpl: line 2 of its output uses a field that is not set") {
		t.Errorf("a misspelt field in a values template: %v", err)
	}
}

func TestLoadBases(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"common/base.yaml": `clusters:
  - {name: east, kubeconfig: east.kubeconfig}
environments:
  prod: {values: [prod.yaml]}
defaults:
  chart: ./charts/app
  labels: {team: web}
  wait: true
  historyMax: 3
releases:
  - {name: db, namespace: shared, chart: ./charts/db}
`,
		"common/prod.yaml":             "size: large\n",
		"common/charts/app/Chart.yaml": "name: app\n",
		"common/charts/db/Chart.yaml":  "name: db\n",
		"fleet/fleet.yaml": `apiVersion: barge.dev/v1alpha1
kind: Fleet
metadata: {name: layered}
bases: [../common/base.yaml]
defaults:
  labels: {tier: front}
  wait: false
releases:
  - {name: web, namespace: web, needs: [shared/db], values: ["{{ .Values.size }}.yaml"]}
`,
		"fleet/large.yaml": "big: true\n",
	})
	f, err := Load(filepath.Join(dir, "fleet", "fleet.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if specs := f.ClusterSpecs(); len(specs) != 1 || specs[0].Kubeconfig != filepath.Join(dir, "common", "east.kubeconfig") {
		t.Errorf("clusters from the base: %+v", specs)
	}
	rels, err := f.Expand(ExpandOptions{Environment: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rels) != 2 || rels[0].ID() != "east/shared/db" || rels[1].ID() != "east/web/web" {
		t.Fatalf("releases: %v", rels)
	}
	db, web := rels[0], rels[1]
	if db.Chart != filepath.Join(dir, "common", "charts", "db") || web.Chart != filepath.Join(dir, "common", "charts", "app") {
		t.Errorf("charts relative to the base: %s, %s", db.Chart, web.Chart)
	}
	if web.Labels["team"] != "web" || web.Labels["tier"] != "front" {
		t.Errorf("labels laid over the base's: %v", web.Labels)
	}
	if web.Wait == nil || *web.Wait || web.HistoryMax != 3 {
		t.Errorf("settings: wait %v (want false, the file's over the base's), historyMax %d (want the base's 3)", web.Wait, web.HistoryMax)
	}
	if web.Values["big"] != true {
		t.Errorf("a values file named from the base environment's values: %v", web.Values)
	}

	writeFiles(t, dir, map[string]string{"common/base.yaml": "bases: [../fleet/fleet.yaml]\n"})
	_, err = Load(filepath.Join(dir, "fleet", "fleet.yaml"))
	if err == nil || !strings.Contains(err.Error(), "the file is its own base") {
		t.Errorf("a base that includes the file: %v", err)
	}
}

func TestExpandReleaseSettings(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"fleet.yaml": `apiVersion: barge.dev/v1alpha1
kind: Fleet
metadata: {name: s}
defaults: {timeout: 2m, atomic: true}
releases:
  - {name: a, namespace: ns, chart: c, wait: true, waitForJobs: true, historyMax: -1}
  - {name: b, namespace: ns, chart: c, timeout: 30s, createNamespace: false}
`})
	rels, err := expandFile(t, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	a, b := rels[0], rels[1]
	if *a.Timeout != 2*time.Minute || !*a.Atomic || !*a.Wait || !*a.WaitForJobs || a.HistoryMax != -1 {
		t.Errorf("a: timeout %v atomic %v wait %v jobs %v history %d", *a.Timeout, *a.Atomic, *a.Wait, *a.WaitForJobs, a.HistoryMax)
	}
	if *b.Timeout != 30*time.Second || b.Wait != nil || b.CreateNamespace {
		t.Errorf("b: timeout %v wait %v createNamespace %v", *b.Timeout, b.Wait, b.CreateNamespace)
	}
	o := releaseOptions(ApplyOptions{Concurrency: 4}, a)
	if !o.Wait || !o.WaitForJobs || !o.Atomic || o.Timeout != 2*time.Minute || o.Concurrency != 4 {
		t.Errorf("a's options over the command's: %+v", o)
	}
	o = releaseOptions(ApplyOptions{WaitOptions: release.WaitOptions{Wait: true, Timeout: time.Hour}}, b)
	if !o.Wait || o.Timeout != 30*time.Second {
		t.Errorf("b's options over --wait --timeout 1h: %+v", o)
	}
}
