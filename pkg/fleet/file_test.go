package fleet

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, file string
		want       []string // substrings of the error
	}{
		{"no apiVersion", "kind: Fleet\nmetadata: {name: a}\nreleases: [{name: x, namespace: y, chart: c}]\n",
			[]string{"apiVersion is missing: set apiVersion: barge.dev/v1alpha1"}},
		{"wrong apiVersion", "apiVersion: barge.dev/v9\nkind: Fleet\nmetadata: {name: a}\nreleases: [{name: x}]\n",
			[]string{`apiVersion "barge.dev/v9" is not supported`}},
		{"unknown field", "apiVersion: barge.dev/v1alpha1\nkind: Fleet\nmetadata: {name: a}\nreleases: [{name: x, chrat: c}]\n",
			[]string{`unknown field "chrat"`}},
		{"bad fleet name", "apiVersion: barge.dev/v1alpha1\nkind: Fleet\nmetadata: {name: A_B}\nreleases: [{name: x}]\n",
			[]string{`metadata.name "A_B"`}},
		{"perTenant without tenants", "apiVersion: barge.dev/v1alpha1\nkind: Fleet\nmetadata: {name: a}\nreleases: [{name: x, perTenant: true}]\n",
			[]string{"releases[0]: perTenant is set but the file has no tenants"}},
		{"values of the wrong type", "apiVersion: barge.dev/v1alpha1\nkind: Fleet\nmetadata: {name: a}\nreleases: [{name: x, values: [3]}]\n",
			[]string{"releases[0].values[0]: must be a values file path or a map of values"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.file))
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestExpand(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"values-base.yaml", "tenants.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src := `apiVersion: barge.dev/v1alpha1
kind: Fleet
metadata:
  name: shop
tenants:
  file: tenants.yaml
  items:
    - name: initech
      host: initech.example.com
      tier: gold
defaults:
  chart: ./charts/web
  labels:
    team: web
releases:
  - name: "web-{{ .Tenant.name }}"
    namespace: "tenant-{{ .Tenant.name }}"
    perTenant: true
    values:
      - values-base.yaml
      - ingress:
          hosts: ["{{ .Tenant.host }}"]
    set:
      replicas: "{{ if eq .Tenant.tier \"gold\" }}3{{ else }}1{{ end }}"
    labels:
      tier: "{{ .Tenant.tier }}"
  - name: shared
    namespace: shared
    createNamespace: false
    setString:
      fleet: "{{ .Fleet.name }}"
`
	path := filepath.Join(dir, "fleet.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.Expand(ExpandOptions{})
	if err != nil {
		t.Fatal(err)
	}
	chart := filepath.Join(dir, "charts/web")
	tenant := func(name, host, tier string, replicas int64) *Release {
		return &Release{
			Name: "web-" + name, Namespace: "tenant-" + name, Chart: chart, Tenant: name, CreateNamespace: true,
			Source: "releases[0] (tenant " + name + ")",
			Values: map[string]any{
				"replicas": replicas,
				"ingress":  map[string]any{"enabled": true, "className": "nginx", "hosts": []any{host}},
			},
			Labels: map[string]string{FleetLabel: "shop", TenantLabel: name, "team": "web", "tier": tier},
		}
	}
	want := []*Release{
		tenant("acme", "acme.example.com", "gold", 3),
		tenant("globex", "globex.example.com", "silver", 1),
		tenant("initech", "initech.example.com", "gold", 3),
		{
			Name: "shared", Namespace: "shared", Chart: chart, Source: "releases[1]",
			Values: map[string]any{"fleet": "shop"},
			Labels: map[string]string{FleetLabel: "shop", "team": "web"},
		},
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(Release{})); diff != "" {
		t.Errorf("Expand (-want +got):\n%s", diff)
	}
}

func TestExpandErrors(t *testing.T) {
	head := "apiVersion: barge.dev/v1alpha1\nkind: Fleet\nmetadata: {name: f}\ntenants: {items: [{name: a}, {name: b}]}\n"
	tests := []struct {
		name, releases, want string
	}{
		{"a typo every tenant makes is said once", `releases: [{name: "x-{{ .Tenant.name }}", namespace: "{{ .Tenant.ns }}", chart: c, perTenant: true}]`,
			`releases[0] (2 tenants: a, b): namespace "{{ .Tenant.ns }}" uses a field that is not set`},
		{"same name twice", `releases: [{name: x, namespace: ns, chart: c, perTenant: true}]`,
			`releases[0] (tenant b): release ns/x is also defined by releases[0] (tenant a)`},
		{"invalid release name", `releases: [{name: "X_{{ .Tenant.name }}", namespace: ns, chart: c, perTenant: true}]`,
			`releases[0] (tenant a): release name "X_a"`},
		{"optional field with a default", `releases: [{name: "x-{{ .Tenant.name }}", namespace: "{{ .Tenant.ns | default \"shared\" }}", chart: c, perTenant: true, set: {a: "{{ .Tenant.size }}"}}]`,
			`releases[0] (2 tenants: a, b): set.a "{{ .Tenant.size }}" uses a field that is not set (got "<no value>")`},
		{"no namespace", `releases: [{name: x, chart: c}]`, "releases[0]: namespace is empty"},
		{"post-renderer without a command", `releases: [{name: x, namespace: ns, chart: c, postRenderer: {args: [a]}}]`, "releases[0]: postRenderer.command is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse([]byte(head + tc.releases + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.Expand(ExpandOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Expand error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestExpandPostRenderer checks a definition's post-renderer: a relative
// command is made absolute against the fleet file's directory, arguments
// are templates, and defaults pass it to every release.
func TestExpandPostRenderer(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "fleet.yaml")
	src := "apiVersion: barge.dev/v1alpha1\nkind: Fleet\nmetadata: {name: f}\ntenants: {items: [{name: a}]}\n" +
		"defaults: {postRenderer: {command: ./hack/label.sh, args: [\"{{ .Tenant.name }}\", fixed]}}\n" +
		"releases: [{name: \"x-{{ .Tenant.name }}\", namespace: ns, chart: c, perTenant: true}, {name: y, namespace: ns, chart: c, postRenderer: {command: kustomize}}]\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	rels, err := f.Expand(ExpandOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []*PostRendererSpec{
		{Command: filepath.Join(dir, "hack", "label.sh"), Args: []string{"a", "fixed"}},
		{Command: "kustomize"},
	}
	for i, r := range rels {
		if diff := cmp.Diff(want[i], r.PostRenderer); diff != "" {
			t.Errorf("release %s: post-renderer (-want +got):\n%s", r.Name, diff)
		}
	}
}

// TestExpandTypoOnceForManyTenants checks that a typo in a perTenant
// definition is one error for 100 tenants, naming how many and the first
// few, not 100 identical lines.
func TestExpandTypoOnceForManyTenants(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: barge.dev/v1alpha1\nkind: Fleet\nmetadata: {name: f}\ntenants:\n  items:\n")
	for i := range 100 {
		fmt.Fprintf(&b, "    - {name: t%03d}\n", i)
	}
	b.WriteString("releases: [{name: \"x-{{ .Tenant.name }}\", namespace: \"{{ .Tenant.nmae }}\", chart: c, perTenant: true}]\n")
	f, err := Parse([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Expand(ExpandOptions{})
	if err == nil {
		t.Fatal("Expand succeeded with a typo")
	}
	want := `releases[0] (100 tenants: t000, t001, t002, t003, t004, ...): namespace "{{ .Tenant.nmae }}" uses a field that is not set`
	if lines := strings.Split(err.Error(), "\n"); len(lines) != 1 || !strings.Contains(lines[0], want) {
		t.Errorf("want one line containing %q, got %d lines:\n%v", want, len(lines), err)
	}
}
