package fleet

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// maxBaseDepth bounds how deep bases may include bases.
const maxBaseDepth = 10

// withBases lays f over its bases, read relative to dir, in order. seen
// holds the files being read, to refuse a base that includes itself.
func (f *File) withBases(dir string, seen []string) error {
	if len(f.Bases) == 0 {
		return nil
	}
	if len(seen) > maxBaseDepth {
		return fmt.Errorf("bases: more than %d levels of bases (%s)", maxBaseDepth, strings.Join(seen, " -> "))
	}
	merged := &File{}
	for i, b := range f.Bases {
		p := b
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return fmt.Errorf("bases[%d]: %w", i, err)
		}
		if slices.Contains(seen, abs) {
			return fmt.Errorf("bases[%d] %s: the file is its own base (%s -> %s)", i, b, strings.Join(seen, " -> "), abs)
		}
		base, err := readBase(abs, append(seen, abs))
		if err != nil {
			return fmt.Errorf("bases[%d]: %w", i, err)
		}
		merged = layer(merged, base)
	}
	*f = *layer(merged, f)
	f.Bases = nil
	return nil
}

// readBase reads the base file at path (absolute), its own bases laid
// under it, with its relative paths made absolute.
func readBase(path string, seen []string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var b File
	if err := yaml.UnmarshalStrict(data, &b); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if b.APIVersion != "" && b.APIVersion != APIVersion {
		return nil, fmt.Errorf("%s: apiVersion %q is not supported: this barge reads %s", path, b.APIVersion, APIVersion)
	}
	if b.Kind != "" && b.Kind != Kind {
		return nil, fmt.Errorf("%s: kind %q: must be %s", path, b.Kind, Kind)
	}
	dir := filepath.Dir(path)
	if err := b.withBases(dir, seen); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	b.Path = path
	b.absolute()
	return &b, nil
}

// absolute makes the relative paths of f absolute, against its directory,
// so that they keep their meaning once laid under another file.
func (f *File) absolute() {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		a, err := filepath.Abs(f.resolve(p))
		if err != nil {
			return f.resolve(p)
		}
		return a
	}
	if f.Tenants != nil {
		f.Tenants.File = abs(f.Tenants.File)
	}
	for i := range f.Clusters {
		f.Clusters[i].Kubeconfig = abs(f.Clusters[i].Kubeconfig)
	}
	for name, e := range f.Environments {
		e.Values = absoluteValues(e.Values, abs)
		f.Environments[name] = e
	}
	spec := func(s *ReleaseSpec) {
		if c := f.chart(s.Chart, s.Repo); c != s.Chart {
			s.Chart = abs(s.Chart)
		}
		s.Values = absoluteValues(s.Values, abs)
		if pr := s.PostRenderer; pr != nil && strings.Contains(pr.Command, "/") {
			s.PostRenderer = &PostRendererSpec{Command: abs(pr.Command), Args: pr.Args}
		}
	}
	if f.Defaults != nil {
		spec(f.Defaults)
	}
	for i := range f.Releases {
		spec(&f.Releases[i])
	}
}

// absoluteValues returns vals with its values file paths made absolute.
func absoluteValues(vals []any, abs func(string) string) []any {
	out := slices.Clone(vals)
	for i, v := range out {
		if p, ok := v.(string); ok {
			out[i] = abs(p)
		}
	}
	return out
}

// layer returns top laid over base: base's clusters, environments' values
// and releases first; top's defaults over base's; top's tenants, when it
// has some, instead of base's.
func layer(base, top *File) *File {
	out := *top
	out.Clusters = slices.Clone(base.Clusters)
	for _, c := range top.Clusters {
		if i := slices.IndexFunc(out.Clusters, func(b ClusterSpec) bool { return b.Name == c.Name }); i >= 0 {
			out.Clusters[i] = c
			continue
		}
		out.Clusters = append(out.Clusters, c)
	}
	if len(base.Environments) > 0 {
		out.Environments = map[string]EnvironmentSpec{}
		for name, e := range base.Environments {
			out.Environments[name] = EnvironmentSpec{Values: slices.Clone(e.Values)}
		}
		for name, e := range top.Environments {
			b := out.Environments[name]
			out.Environments[name] = EnvironmentSpec{Values: append(b.Values, e.Values...)}
		}
	}
	if out.Tenants == nil {
		out.Tenants = base.Tenants
	}
	switch {
	case top.Defaults == nil:
		out.Defaults = base.Defaults
	case base.Defaults != nil:
		d := withDefaults(*top.Defaults, base.Defaults)
		out.Defaults = &d
	}
	out.Releases = append(slices.Clone(base.Releases), top.Releases...)
	if out.Metadata.Name == "" {
		out.Metadata.Name = base.Metadata.Name
	}
	return &out
}
