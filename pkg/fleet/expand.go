package fleet

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/Masterminds/sprig/v3"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/bargehq/barge/pkg/chart/values"
	"github.com/bargehq/barge/pkg/release"
)

// Release is one desired release of a fleet, after stamping and templating.
type Release struct {
	// Name and Namespace identify the release.
	Name, Namespace string
	// Chart is the chart: a path (made absolute against the fleet file's
	// directory), repo/chart, or a chart URL. Version, when set, is the
	// version a local chart must have, or the version (or SemVer range) to
	// take from a repository.
	Chart, Version string
	// Repo is a repository URL to find Chart in (helm's --repo).
	Repo string
	// Values are the user values (values files, inline values and set
	// values merged), as `helm install -f ... --set ...` would give them.
	Values map[string]any
	// Labels are the release's labels, including FleetLabel and, for a
	// stamped release, TenantLabel.
	Labels map[string]string
	// Tenant is the tenant the release was stamped for ("" for others).
	Tenant string
	// CreateNamespace creates the namespace on install.
	CreateNamespace bool
	// PostRenderer, when set, rewrites the manifest before it is applied:
	// its Command made absolute against the fleet file's directory when
	// it is a relative path, its Args executed.
	PostRenderer *PostRendererSpec
	// Source says where the release is defined, for error messages:
	// "releases[0] (tenant acme)".
	Source string
	// Cluster names the cluster of the file's clusters the release is
	// placed on; "" when the file lists none.
	Cluster string
	// Needs are the IDs of the releases that must be deployed before this
	// one starts.
	Needs []string
	// Wait, WaitForJobs and Atomic, when set, are the definition's own
	// --wait, --wait-for-jobs and --atomic, over the command's.
	Wait, WaitForJobs, Atomic *bool
	// Timeout, when set, is the definition's own --timeout.
	Timeout *time.Duration
	// HistoryMax is how many revisions an upgrade keeps: zero means
	// release.DefaultHistoryMax, negative keeps all.
	HistoryMax int

	def      int      // the index of its definition in File.Releases
	needRefs []string // Needs as written, templates executed
}

// Key identifies a release on its cluster: namespace/name.
func (r *Release) Key() string { return r.Namespace + "/" + r.Name }

// ID identifies a release in the fleet: cluster/namespace/name, or
// namespace/name when the file lists no clusters.
func (r *Release) ID() string { return releaseID(r.Cluster, r.Namespace, r.Name) }

func releaseID(cluster, namespace, name string) string {
	if cluster == "" {
		return namespace + "/" + name
	}
	return cluster + "/" + namespace + "/" + name
}

// ExpandOptions tune Expand.
type ExpandOptions struct {
	// Environment names the environment of the file's environments whose
	// values templates see; empty means "default", which the file need
	// not define.
	Environment string
}

// Expand stamps out the fleet's releases: each definition once, or once per
// tenant with perTenant, and once per cluster it is placed on, with its
// templates executed and its values files read and merged, and its needs
// resolved. Names must be unique per cluster and namespace, and needs must
// not form a cycle. Every error found is returned, each naming the
// definition and the tenant at fault.
func (f *File) Expand(opts ExpandOptions) ([]*Release, error) {
	tenants, err := f.tenants()
	if err != nil {
		return nil, err
	}
	x := &expander{file: f, files: map[string]map[string]any{}, tpls: map[string]*template.Template{}, fileTpls: map[string]*template.Template{}}
	env, err := x.environment(opts.Environment)
	if err != nil {
		return nil, err
	}
	var (
		out  []*Release
		errs []error
		seen = map[string]string{}
	)
	for i, spec := range f.Releases {
		spec = withDefaults(spec, f.Defaults)
		if !spec.PerTenant {
			rs, err := x.placed(spec, i, fmt.Sprintf("releases[%d]", i), nil, env)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			out = append(out, rs...)
			continue
		}
		var failed tenantErrors
		for _, t := range tenants {
			rs, err := x.placed(spec, i, fmt.Sprintf("releases[%d] (tenant %s)", i, t.Name()), t, env)
			if err != nil {
				failed.add(t.Name(), err)
				continue
			}
			out = append(out, rs...)
		}
		errs = append(errs, failed.errors(fmt.Sprintf("releases[%d]", i))...)
	}
	for _, r := range out {
		if prev, dup := seen[r.ID()]; dup {
			errs = append(errs, fmt.Errorf("%s: release %s is also defined by %s; give each release its own name (use {{ .Tenant.name }})", r.Source, r.ID(), prev))
			continue
		}
		seen[r.ID()] = r.Source
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := resolveNeeds(out); err != nil {
		return nil, err
	}
	return out, nil
}

// placed stamps spec for tenant t once per cluster its cluster field
// names (once when the file lists no clusters).
func (x *expander) placed(spec ReleaseSpec, def int, source string, t Tenant, env map[string]any) ([]*Release, error) {
	data := x.data(t, env)
	clusters, err := x.placement(spec, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	out := make([]*Release, 0, len(clusters))
	for _, c := range clusters {
		src := source
		if len(clusters) > 1 {
			src = fmt.Sprintf("%s (cluster %s)", source, c)
		}
		if c != "" {
			data["Cluster"] = map[string]any{"name": c}
		}
		r, err := x.release(spec, src, t, data)
		if err != nil {
			return nil, err
		}
		r.Cluster, r.def = c, def
		out = append(out, r)
	}
	return out, nil
}

// data is what a release's templates see for tenant t (nil for a release
// of no tenant) in the environment whose values are env.
func (x *expander) data(t Tenant, env map[string]any) map[string]any {
	data := map[string]any{
		"Fleet":       map[string]any{"name": x.file.Metadata.Name},
		"Environment": map[string]any{"name": x.env, "values": env},
		"Values":      env,
	}
	if t != nil {
		data["Tenant"] = map[string]any(t)
	}
	return data
}

// placement returns the clusters spec's cluster field places it on: its
// names, templates executed, each a cluster of the file; the file's one
// cluster when the field is empty; "" when the file lists no clusters.
func (x *expander) placement(spec ReleaseSpec, data map[string]any) ([]string, error) {
	clusters := x.file.Clusters
	if len(spec.Cluster) == 0 {
		switch len(clusters) {
		case 0:
			return []string{""}, nil
		case 1:
			return []string{clusters[0].Name}, nil
		}
		return nil, fmt.Errorf("cluster is not set: the file lists %d clusters (%s); place the release with cluster: NAME, a list of names, or a template such as \"{{ .Tenant.cluster }}\"", len(clusters), clusterNames(clusters))
	}
	if len(clusters) == 0 {
		return nil, fmt.Errorf("cluster %q: the file lists no clusters; list them in clusters, or remove the cluster field", strings.Join(spec.Cluster, ", "))
	}
	var out []string
	for i, c := range spec.Cluster {
		field := "cluster"
		if len(spec.Cluster) > 1 {
			field = fmt.Sprintf("cluster[%d]", i)
		}
		name, err := x.exec(field, c, data)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(clusters, func(c ClusterSpec) bool { return c.Name == name }) {
			return nil, fmt.Errorf("%s %q: no such cluster: the file lists %s", field, name, clusterNames(clusters))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}

func clusterNames(cs []ClusterSpec) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// withDefaults lays spec over d: fields spec leaves empty come from d;
// values lists are d's then spec's; maps are merged with spec winning.
func withDefaults(spec ReleaseSpec, d *ReleaseSpec) ReleaseSpec {
	if d == nil {
		return spec
	}
	out := spec
	if out.Name == "" {
		out.Name = d.Name
	}
	if out.Namespace == "" {
		out.Namespace = d.Namespace
	}
	if out.Chart == "" {
		out.Chart = d.Chart
	}
	if out.Version == "" {
		out.Version = d.Version
	}
	if out.Repo == "" {
		out.Repo = d.Repo
	}
	if out.CreateNamespace == nil {
		out.CreateNamespace = d.CreateNamespace
	}
	if out.PostRenderer == nil {
		out.PostRenderer = d.PostRenderer
	}
	if len(out.Cluster) == 0 {
		out.Cluster = d.Cluster
	}
	if out.Needs == nil {
		out.Needs = d.Needs
	}
	if out.Timeout == "" {
		out.Timeout = d.Timeout
	}
	out.Wait = cmp.Or(out.Wait, d.Wait)
	out.WaitForJobs = cmp.Or(out.WaitForJobs, d.WaitForJobs)
	out.Atomic = cmp.Or(out.Atomic, d.Atomic)
	out.HistoryMax = cmp.Or(out.HistoryMax, d.HistoryMax)
	out.Values = append(slices.Clone(d.Values), spec.Values...)
	out.Set = mergeStrings(d.Set, spec.Set)
	out.SetString = mergeStrings(d.SetString, spec.SetString)
	out.Labels = mergeStrings(d.Labels, spec.Labels)
	return out
}

func mergeStrings(a, b map[string]string) map[string]string {
	if len(a) == 0 && len(b) == 0 {
		return nil
	}
	out := maps.Clone(a)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, b)
	return out
}

// expander executes a fleet's templates. It caches parsed templates and
// values files, which many tenants share. It is used by one goroutine.
type expander struct {
	file  *File
	env   string // the environment's name
	files map[string]map[string]any
	tpls  map[string]*template.Template
	// fileTpls are the parsed .gotmpl values files, by path.
	fileTpls map[string]*template.Template
}

// exec executes text as a template with data; field names the field in errors.
func (x *expander) exec(field, text string, data map[string]any) (string, error) {
	if !strings.Contains(text, "{{") {
		return text, nil
	}
	t, ok := x.tpls[text]
	if !ok {
		var err error
		t, err = template.New(field).Funcs(sprig.TxtFuncMap()).Parse(text)
		if err != nil {
			return "", fmt.Errorf("%s: %w", field, err)
		}
		x.tpls[text] = t
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("%s %q: %w", field, text, err)
	}
	// A field the tenant lacks prints as <no value>: a typo, or an optional
	// field that needs a default.
	if strings.Contains(b.String(), "<no value>") {
		return "", fmt.Errorf("%s %q uses a field that is not set (got %q): check its spelling, or give it a default: {{ .Tenant.field | default \"x\" }}", field, text, b.String())
	}
	return b.String(), nil
}

// release stamps spec for tenant t (nil for a release of no tenant),
// its templates seeing data.
func (x *expander) release(spec ReleaseSpec, source string, t Tenant, data map[string]any) (*Release, error) {
	fail := func(err error) error { return fmt.Errorf("%s: %w", source, err) }
	name, err := x.exec("name", spec.Name, data)
	if err != nil {
		return nil, fail(err)
	}
	if err := release.ValidateName(name); err != nil {
		return nil, fail(err)
	}
	ns, err := x.exec("namespace", spec.Namespace, data)
	if err != nil {
		return nil, fail(err)
	}
	if ns == "" {
		return nil, fail(errors.New("namespace is empty: give each release a namespace (for example tenant-{{ .Tenant.name }})"))
	}
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return nil, fail(fmt.Errorf("namespace %q: %s", ns, strings.Join(errs, "; ")))
	}
	if spec.Chart == "" {
		return nil, fail(errors.New("chart is empty: give the chart's path, relative to the fleet file, or repo/chart, or a chart URL"))
	}
	r := &Release{
		Name: name, Namespace: ns, Source: source,
		Chart: x.file.chart(spec.Chart, spec.Repo), Version: spec.Version, Repo: spec.Repo,
		CreateNamespace: spec.CreateNamespace == nil || *spec.CreateNamespace,
		Labels:          map[string]string{FleetLabel: x.file.Metadata.Name},
	}
	if t != nil {
		r.Tenant = t.Name()
		r.Labels[TenantLabel] = t.Name()
	}
	if pr := spec.PostRenderer; pr != nil {
		if pr.Command == "" {
			return nil, fail(errors.New("postRenderer.command is empty: give a program (a path relative to the fleet file, or a name in $PATH) or a postrenderer plugin's name"))
		}
		out := &PostRendererSpec{Command: pr.Command}
		if strings.Contains(pr.Command, "/") && !filepath.IsAbs(pr.Command) {
			out.Command = x.file.resolve(pr.Command)
		}
		for i, a := range pr.Args {
			v, err := x.exec(fmt.Sprintf("postRenderer.args[%d]", i), a, data)
			if err != nil {
				return nil, fail(err)
			}
			out.Args = append(out.Args, v)
		}
		r.PostRenderer = out
	}
	for k, v := range spec.Labels {
		v, err := x.exec("labels."+k, v, data)
		if err != nil {
			return nil, fail(err)
		}
		r.Labels[k] = v
	}
	for i, n := range spec.Needs {
		v, err := x.exec(fmt.Sprintf("needs[%d]", i), n, data)
		if err != nil {
			return nil, fail(err)
		}
		r.needRefs = append(r.needRefs, v)
	}
	if err := settings(spec, r); err != nil {
		return nil, fail(err)
	}
	data["Release"] = map[string]any{"name": name, "namespace": ns, "cluster": data["Cluster"]}
	defer delete(data, "Release")
	if r.Values, err = x.values(spec, data); err != nil {
		return nil, fail(err)
	}
	return r, nil
}

// values merges the values files, inline values and set values of spec.
func (x *expander) values(spec ReleaseSpec, data map[string]any) (map[string]any, error) {
	vals := map[string]any{}
	for i, v := range spec.Values {
		field := fmt.Sprintf("values[%d]", i)
		switch v := v.(type) {
		case string:
			p, err := x.exec(field, v, data)
			if err != nil {
				return nil, err
			}
			m, err := x.valuesFile(x.file.resolve(p), data)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", field, err)
			}
			vals = mergeValues(vals, m)
		case map[string]any:
			m, err := x.templateValue(field, v, data)
			if err != nil {
				return nil, err
			}
			vals = mergeValues(vals, m.(map[string]any))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(spec.Set)) {
		v, err := x.exec("set."+k, spec.Set[k], data)
		if err != nil {
			return nil, err
		}
		if err := values.ParseSet(k+"="+v, vals); err != nil {
			return nil, fmt.Errorf("set.%s: %w", k, err)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(spec.SetString)) {
		v, err := x.exec("setString."+k, spec.SetString[k], data)
		if err != nil {
			return nil, err
		}
		if err := values.ParseSetString(k+"="+v, vals); err != nil {
			return nil, fmt.Errorf("setString.%s: %w", k, err)
		}
	}
	return vals, nil
}

// valuesFile reads a values file once and returns a copy of it. A file
// whose name ends in .gotmpl is a template, executed with data each time.
func (x *expander) valuesFile(path string, data map[string]any) (map[string]any, error) {
	if strings.HasSuffix(path, ".gotmpl") {
		return x.templateFile(path, data)
	}
	m, ok := x.files[path]
	if !ok {
		var err error
		if m, err = values.ReadFile(path); err != nil {
			return nil, err
		}
		x.files[path] = m
	}
	return values.Copy(m), nil
}

// templateFile executes the values template at path with data and parses
// what it gives.
func (x *expander) templateFile(path string, data map[string]any) (map[string]any, error) {
	t, ok := x.fileTpls[path]
	if !ok {
		text, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("values file %w", err)
		}
		t, err = template.New(path).Funcs(sprig.TxtFuncMap()).Parse(string(text))
		if err != nil {
			return nil, fmt.Errorf("values template %w", err)
		}
		x.fileTpls[path] = t
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("values template %w", err)
	}
	if i := strings.Index(b.String(), "<no value>"); i >= 0 {
		line := strings.Count(b.String()[:i], "\n") + 1
		return nil, fmt.Errorf("values template %s: line %d of its output uses a field that is not set: check its spelling, or give it a default: {{ .Tenant.field | default \"x\" }}", path, line)
	}
	return values.Parse(path, []byte(b.String()))
}

// settings sets r's wait, timeout, atomic and history settings from spec.
func settings(spec ReleaseSpec, r *Release) error {
	r.Wait, r.WaitForJobs, r.Atomic = spec.Wait, spec.WaitForJobs, spec.Atomic
	if spec.Timeout != "" {
		d, err := time.ParseDuration(spec.Timeout)
		if err != nil || d <= 0 {
			return fmt.Errorf("timeout %q: give a positive duration, such as 90s or 10m", spec.Timeout)
		}
		r.Timeout = &d
	}
	if spec.HistoryMax != nil {
		r.HistoryMax = *spec.HistoryMax
	}
	return nil
}

// templateValue copies v, executing the templates in its strings.
func (x *expander) templateValue(field string, v any, data map[string]any) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			c, err := x.templateValue(field+"."+k, e, data)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			c, err := x.templateValue(fmt.Sprintf("%s[%d]", field, i), e, data)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case string:
		return x.exec(field, v, data)
	}
	return v, nil
}

// mergeValues lays src over dst as helm merges -f files: maps are merged
// key by key, anything else in src replaces what dst has.
func mergeValues(dst, src map[string]any) map[string]any {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				dst[k] = mergeValues(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
	return dst
}

// tenantErrors gathers the errors of one definition's tenants, so that a
// mistake every tenant makes (a typo in a template) is reported once, with
// the tenants it concerns, rather than once per tenant.
type tenantErrors struct {
	order   []string            // the distinct messages, in the order met
	tenants map[string][]string // tenants by message
	first   map[string]error    // the first error of each message
}

// add records tenant's error err, whose message starts with its source.
func (e *tenantErrors) add(tenant string, err error) {
	msg := err.Error()
	if inner := errors.Unwrap(err); inner != nil {
		msg = inner.Error()
	}
	if e.tenants == nil {
		e.tenants, e.first = map[string][]string{}, map[string]error{}
	}
	if _, seen := e.tenants[msg]; !seen {
		e.order = append(e.order, msg)
		e.first[msg] = err
	}
	e.tenants[msg] = append(e.tenants[msg], tenant)
}

// maxTenantsNamed bounds the tenants an error names.
const maxTenantsNamed = 5

// errors returns one error per distinct message: the tenant's own error
// when one tenant made it, else the definition (source), how many tenants
// and the first few of them, and the message.
func (e *tenantErrors) errors(source string) []error {
	var out []error
	for _, msg := range e.order {
		ts := e.tenants[msg]
		if len(ts) == 1 {
			out = append(out, e.first[msg])
			continue
		}
		named := strings.Join(ts[:min(len(ts), maxTenantsNamed)], ", ")
		if len(ts) > maxTenantsNamed {
			named += ", ..."
		}
		out = append(out, fmt.Errorf("%s (%d tenants: %s): %s", source, len(ts), named, msg))
	}
	return out
}
