package fleet

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// APIVersion is the version of the fleet file format this package reads.
const APIVersion = "barge.dev/v1alpha1"

// Kind is the kind of a fleet file.
const Kind = "Fleet"

// The storage labels that mark the releases of a fleet.
const (
	// FleetLabel names the fleet that owns a release; prune only touches
	// releases carrying the fleet's name here.
	FleetLabel = "barge.dev/fleet"
	// TenantLabel names the tenant a release was stamped for.
	TenantLabel = "barge.dev/tenant"
)

// File is a fleet file as written.
type File struct {
	// APIVersion must be APIVersion.
	APIVersion string `json:"apiVersion"`
	// Kind must be Kind.
	Kind string `json:"kind"`
	// Metadata names the fleet.
	Metadata Metadata `json:"metadata"`
	// Bases are fleet files laid under this one, in order: their
	// clusters, environments, tenants and releases come first, their
	// defaults under this file's. Relative to the file naming them.
	Bases []string `json:"bases,omitempty"`
	// Clusters are the clusters the releases are placed on; none means
	// the one cluster the command's kubeconfig and context give.
	Clusters []ClusterSpec `json:"clusters,omitempty"`
	// Environments are sets of values chosen with --environment, which
	// templates see as .Environment and .Values.
	Environments map[string]EnvironmentSpec `json:"environments,omitempty"`
	// Tenants are the tenants perTenant releases are stamped for.
	Tenants *Tenants `json:"tenants,omitempty"`
	// Defaults are laid under every release definition.
	Defaults *ReleaseSpec `json:"defaults,omitempty"`
	// Releases are the release definitions.
	Releases []ReleaseSpec `json:"releases"`

	// Path is where the file was read from ("" when parsed from memory);
	// relative chart and values paths are resolved from its directory.
	Path string `json:"-"`
}

// ClusterSpec names one cluster of the fleet and how to reach it.
type ClusterSpec struct {
	// Name is how releases place themselves on it (cluster:); a DNS label.
	Name string `json:"name"`
	// Kubeconfig is a kubeconfig file, relative to the fleet file; empty
	// means the command's (--kubeconfig, $KUBECONFIG, ~/.kube/config).
	Kubeconfig string `json:"kubeconfig,omitempty"`
	// Context is the kubeconfig's context to use; empty means its current
	// context.
	Context string `json:"context,omitempty"`
	// Concurrency bounds the releases worked on at once on this cluster;
	// zero means the command's --concurrency.
	Concurrency int `json:"concurrency,omitempty"`
	// QPS and Burst are the client-side rate limit of this cluster's
	// client; zero means the command's --qps and --burst-limit.
	QPS   float32 `json:"qps,omitempty"`
	Burst int     `json:"burst,omitempty"`
}

// EnvironmentSpec is one environment: values that templates see as
// .Values (and .Environment.values), merged in order as values files are.
type EnvironmentSpec struct {
	// Values are values files (paths relative to the fleet file; those
	// ending in .gotmpl are templates) and inline maps.
	Values []any `json:"values,omitempty"`
}

// Metadata names a fleet.
type Metadata struct {
	// Name identifies the fleet: releases it installs are labelled with it,
	// and prune and destroy only touch releases that carry it.
	Name string `json:"name"`
}

// Tenants lists tenants inline (Items), or names a YAML file holding a list
// of them (File), or both (the file's tenants come first).
type Tenants struct {
	// File is a YAML file whose top level is a list of tenants (or a map
	// with a "tenants" list); relative to the fleet file.
	File string `json:"file,omitempty"`
	// Items are tenants given inline.
	Items []Tenant `json:"items,omitempty"`
}

// Tenant is one tenant: a name and any fields templates may use, as
// {{ .Tenant.name }} and {{ .Tenant.<field> }}.
type Tenant map[string]any

// Name returns the tenant's name field.
func (t Tenant) Name() string {
	s, _ := t["name"].(string)
	return s
}

// ReleaseSpec defines one release, or one per tenant with PerTenant. Every
// string in it (name, namespace, values file paths, inline values, set
// values, labels) is a Go template with Sprig's functions, seeing .Tenant
// (the tenant's fields, with .Tenant.name) and .Fleet (with .Fleet.name).
type ReleaseSpec struct {
	// Name is the release name.
	Name string `json:"name,omitempty"`
	// Namespace is the release namespace.
	Namespace string `json:"namespace,omitempty"`
	// Chart is a chart directory or archive, relative to the fleet file;
	// or repo/chart from a repository added with `barge repo add`; or a
	// chart name with Repo; or the URL of a chart archive. A local path
	// wins, as in Helm.
	Chart string `json:"chart,omitempty"`
	// Version, when set, must be a local chart's version; for a chart from
	// a repository, it is the version or SemVer range to take (the newest
	// stable version when empty).
	Version string `json:"version,omitempty"`
	// Repo is the URL of a chart repository to find Chart in, without
	// adding it (helm's --repo).
	Repo string `json:"repo,omitempty"`
	// Values are values files (strings: paths relative to the fleet file)
	// and inline values (maps), merged in order, later ones winning, as
	// helm's -f flags are.
	Values []any `json:"values,omitempty"`
	// Set are --set values, applied after Values, in key order.
	Set map[string]string `json:"set,omitempty"`
	// SetString are --set-string values, applied after Set.
	SetString map[string]string `json:"setString,omitempty"`
	// Labels are the release's own labels, stored with its records.
	Labels map[string]string `json:"labels,omitempty"`
	// CreateNamespace creates the release namespace if it is missing; the
	// default is true.
	CreateNamespace *bool `json:"createNamespace,omitempty"`
	// PostRenderer runs the release's manifest through a program before it
	// is applied, as --post-renderer does.
	PostRenderer *PostRendererSpec `json:"postRenderer,omitempty"`
	// PerTenant stamps the definition out once per tenant.
	PerTenant bool `json:"perTenant,omitempty"`
	// Cluster places the release on one cluster of Clusters, or on
	// several (a list): each gets its own copy. Each name is a template.
	Cluster Placement `json:"cluster,omitempty"`
	// Needs are the releases that must be deployed before this one starts,
	// as [cluster/][namespace/]name: the release's own cluster and
	// namespace when left out. Each is a template.
	Needs []string `json:"needs,omitempty"`
	// Wait, WaitForJobs, Timeout and Atomic are the release's own --wait,
	// --wait-for-jobs, --timeout (a duration: 10m) and --atomic, over the
	// command's flags.
	Wait        *bool  `json:"wait,omitempty"`
	WaitForJobs *bool  `json:"waitForJobs,omitempty"`
	Timeout     string `json:"timeout,omitempty"`
	Atomic      *bool  `json:"atomic,omitempty"`
	// HistoryMax is how many revisions an upgrade keeps (--history-max);
	// zero or unset means 10, negative keeps all.
	HistoryMax *int `json:"historyMax,omitempty"`
}

// Placement is the cluster field of a release definition: one cluster
// name, or a list of them.
type Placement []string

// UnmarshalJSON reads a string or a list of strings.
func (p *Placement) UnmarshalJSON(data []byte) error {
	var one string
	if err := json.Unmarshal(data, &one); err == nil {
		if one == "" {
			*p = nil
		} else {
			*p = Placement{one}
		}
		return nil
	}
	var many []string
	if err := json.Unmarshal(data, &many); err != nil {
		return errors.New("cluster: give a cluster's name, or a list of names")
	}
	*p = many
	return nil
}

// PostRendererSpec names a post-renderer: the manifest is given to Command
// on its standard input, and what it prints replaces it.
type PostRendererSpec struct {
	// Command is a path relative to the fleet file (when it holds a
	// slash), an absolute path, a name in $PATH, or the name of a
	// postrenderer plugin, as --post-renderer takes it.
	Command string `json:"command"`
	// Args are its arguments, templates like the definition's strings.
	Args []string `json:"args,omitempty"`
}

// dnsLabel is the rule for fleet names (they become label values).
var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// Load reads and checks a fleet file.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("fleet file: %w", err)
	}
	f, err := parse(data, func(f *File) error {
		f.Path = path
		abs, err := filepath.Abs(path)
		if err != nil {
			return err
		}
		return f.withBases(filepath.Dir(path), []string{abs})
	})
	if err != nil {
		return nil, fmt.Errorf("fleet file %s: %w", path, err)
	}
	return f, nil
}

// Parse reads and checks a fleet file's content. Unknown fields are errors,
// so that a misspelt key does not silently do nothing.
// Bases are read relative to the working directory.
func Parse(data []byte) (*File, error) {
	return parse(data, func(f *File) error { return f.withBases(".", nil) })
}

// parse reads data, lays it over its bases with bases, and checks it.
func parse(data []byte, bases func(*File) error) (*File, error) {
	var f File
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		return nil, err
	}
	if err := bases(&f); err != nil {
		return nil, err
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	return &f, nil
}

func (f *File) check() error {
	var errs []error
	switch {
	case f.APIVersion == "":
		errs = append(errs, fmt.Errorf("apiVersion is missing: set apiVersion: %s", APIVersion))
	case f.APIVersion != APIVersion:
		errs = append(errs, fmt.Errorf("apiVersion %q is not supported: this barge reads %s", f.APIVersion, APIVersion))
	}
	if f.Kind != Kind {
		errs = append(errs, fmt.Errorf("kind %q: must be %s", f.Kind, Kind))
	}
	if !dnsLabel.MatchString(f.Metadata.Name) || len(f.Metadata.Name) > 63 {
		errs = append(errs, fmt.Errorf("metadata.name %q: give the fleet a name of lowercase letters, digits and '-' (at most 63), it marks the releases the fleet owns", f.Metadata.Name))
	}
	if len(f.Releases) == 0 {
		errs = append(errs, errors.New("releases: the fleet defines no release"))
	}
	seen := map[string]bool{}
	for i, c := range f.Clusters {
		if !dnsLabel.MatchString(c.Name) || len(c.Name) > 63 {
			errs = append(errs, fmt.Errorf("clusters[%d].name %q: give the cluster a name of lowercase letters, digits and '-' (at most 63)", i, c.Name))
		}
		if seen[c.Name] {
			errs = append(errs, fmt.Errorf("clusters[%d].name %q: the name is listed twice", i, c.Name))
		}
		seen[c.Name] = true
		if c.Concurrency < 0 || c.QPS < 0 || c.Burst < 0 {
			errs = append(errs, fmt.Errorf("clusters[%d] (%s): concurrency, qps and burst must not be negative", i, c.Name))
		}
	}
	for name, e := range f.Environments {
		for j, v := range e.Values {
			switch v.(type) {
			case string, map[string]any:
			default:
				errs = append(errs, fmt.Errorf("environments.%s.values[%d]: must be a values file path or a map of values, not %T", name, j, v))
			}
		}
	}
	for i, r := range f.Releases {
		if r.PerTenant && f.Tenants == nil {
			errs = append(errs, fmt.Errorf("releases[%d]: perTenant is set but the file has no tenants: add tenants.items or tenants.file", i))
		}
		for j, v := range r.Values {
			switch v.(type) {
			case string, map[string]any:
			default:
				errs = append(errs, fmt.Errorf("releases[%d].values[%d]: must be a values file path or a map of values, not %T", i, j, v))
			}
		}
	}
	return errors.Join(errs...)
}

// ClusterSpecs returns the file's clusters, each Kubeconfig made relative
// to the working directory (it is relative to the file as written).
func (f *File) ClusterSpecs() []ClusterSpec {
	out := slices.Clone(f.Clusters)
	for i := range out {
		out[i].Kubeconfig = f.resolve(out[i].Kubeconfig)
	}
	return out
}

// dir is the directory relative paths are read from.
func (f *File) dir() string {
	if f.Path == "" {
		return "."
	}
	return filepath.Dir(f.Path)
}

// resolve makes p relative to the fleet file's directory.
func (f *File) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(f.dir(), p)
}

// chart returns the chart reference c as the releases take it: a path
// that exists relative to the file, or starts with ".", is made relative
// to the file; repo/chart and URLs are left as they are.
func (f *File) chart(c, repoURL string) string {
	if c == "" || filepath.IsAbs(c) || strings.Contains(c, "://") {
		return c
	}
	p := f.resolve(c)
	if _, err := os.Stat(p); err == nil || strings.HasPrefix(c, ".") || repoURL == "" && !strings.Contains(c, "/") {
		return p
	}
	return c
}

// tenants returns the tenants of the file: those of Tenants.File, then the
// inline ones. Names must be set and unique.
func (f *File) tenants() ([]Tenant, error) {
	if f.Tenants == nil {
		return nil, nil
	}
	var out []Tenant
	if f.Tenants.File != "" {
		p := f.resolve(f.Tenants.File)
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("tenants.file: %w", err)
		}
		ts, err := parseTenants(data)
		if err != nil {
			return nil, fmt.Errorf("tenants.file %s: %w", p, err)
		}
		out = append(out, ts...)
	}
	out = append(out, f.Tenants.Items...)
	seen := map[string]int{}
	for i, t := range out {
		n := t.Name()
		if !dnsLabel.MatchString(n) || len(n) > 63 {
			return nil, fmt.Errorf("tenant %d (%v): name %q must be set, of lowercase letters, digits and '-' (at most 63)", i+1, shortTenant(t), n)
		}
		if j, dup := seen[n]; dup {
			return nil, fmt.Errorf("tenant %q is listed twice (tenants %d and %d)", n, j+1, i+1)
		}
		seen[n] = i
	}
	return out, nil
}

// parseTenants reads a tenants file: a list of tenants, or a map whose
// "tenants" key holds one.
func parseTenants(data []byte) ([]Tenant, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, nil
	}
	var list []Tenant
	if err := yaml.Unmarshal(data, &list); err == nil {
		return list, nil
	}
	var wrapped struct {
		Tenants []Tenant `json:"tenants"`
	}
	if err := yaml.UnmarshalStrict(data, &wrapped); err != nil {
		return nil, fmt.Errorf("want a list of tenants (each a map with a name), or a map with a tenants list: %w", err)
	}
	return wrapped.Tenants, nil
}

func shortTenant(t Tenant) string {
	s := fmt.Sprint(map[string]any(t))
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return strings.TrimPrefix(s, "map")
}
