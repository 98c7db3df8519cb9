package repo

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/bargehq/barge/pkg/oci"
)

// registryKey is what tells the registry clients of a Resolver apart: the
// flags of the references they serve.
type registryKey struct {
	host                                          string
	username, password, certFile, keyFile, caFile string
	insecure, plainHTTP                           bool
}

// registry returns the Resolver's OCI client for the flags of ref, made
// once per set of flags, so that the references of a fleet share its cache
// of pulls. Explicit credentials go to the registry of ref.Chart only.
func (r *Resolver) registry(ref Ref) (*oci.Client, error) {
	key := registryKey{"", ref.Username, ref.Password, ref.CertFile, ref.KeyFile, ref.CAFile, ref.Insecure, ref.PlainHTTP}
	if ref.Username != "" || ref.Password != "" {
		host, err := oci.RegistryHost(ref.Chart)
		if err != nil {
			return nil, err
		}
		key.host = host
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.registries[key]; ok {
		return c, nil
	}
	opts := r.Registry
	opts.Username, opts.Password, opts.CredentialsHost = ref.Username, ref.Password, key.host
	opts.CertFile, opts.KeyFile, opts.CAFile = ref.CertFile, ref.KeyFile, ref.CAFile
	opts.InsecureSkipTLSVerify, opts.PlainHTTP = ref.Insecure, ref.PlainHTTP
	if opts.CacheDir == "" {
		opts.CacheDir = r.Paths.ArchiveDir()
	}
	if opts.Logger == nil {
		opts.Logger = r.Logger
	}
	c, err := oci.New(opts)
	if err != nil {
		return nil, err
	}
	r.registries[key] = c
	return c, nil
}

// RegistryClient returns the OCI client Locate uses for references with the
// flags of ref (its credentials, for the registry of ref.Chart, TLS
// settings and PlainHTTP): for the commands that talk to a registry
// directly (push, registry login).
func (r *Resolver) RegistryClient(ref Ref) (*oci.Client, error) {
	r.init()
	return r.registry(ref)
}

// locateOCI pulls the chart of an oci:// reference, with its provenance
// layer when it has one.
func (r *Resolver) locateOCI(ctx context.Context, ref Ref, name, version string) (*Located, error) {
	if ref.RepoURL != "" {
		return nil, fmt.Errorf("chart %s: --repo does not apply to an oci:// reference: drop --repo", name)
	}
	c, err := r.registry(ref)
	if err != nil {
		return nil, err
	}
	p, err := c.Pull(ctx, name, oci.PullOptions{Version: version, Devel: ref.Devel, Prov: true})
	if err != nil {
		return nil, err
	}
	return &Located{
		Path:     p.Path,
		Version:  p.Version,
		URL:      oci.Scheme + p.Ref.Name(),
		Digest:   strings.TrimPrefix(p.ChartDigest, "sha256:"),
		FileName: p.Name + "-" + p.Version + ".tgz",
		Manifest: p.ManifestDigest,
		provPath: p.ProvPath,
	}, nil
}

// ociProvenance reads the provenance layer pulled with the chart loc.
func ociProvenance(loc *Located) ([]byte, error) {
	if loc.provPath == "" {
		return nil, fmt.Errorf("chart %s: the chart has no provenance layer: it is not signed; drop --verify to use it unsigned, or push it again with its .prov beside the archive", loc.URL)
	}
	b, err := os.ReadFile(loc.provPath)
	if err != nil {
		return nil, fmt.Errorf("chart %s: provenance: %w", loc.URL, err)
	}
	return b, nil
}

// Versions lists the versions of the chart ref names, newest first: those
// of an oci:// reference from the registry's tags (which Helm cannot
// list), those of repo/chart, or of a chart name with RepoURL, from the
// repository's index. Pre-releases are listed with ref.Devel only.
func (r *Resolver) Versions(ctx context.Context, ref Ref) ([]string, error) {
	r.init()
	name := strings.TrimSpace(ref.Chart)
	var all []string
	switch {
	case oci.IsReference(name):
		c, err := r.registry(ref)
		if err != nil {
			return nil, err
		}
		vs, err := c.Versions(ctx, name)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			all = append(all, v.Version.Original())
		}
	default:
		idx, chartName, err := r.chartIndex(ctx, ref, name)
		if err != nil {
			return nil, err
		}
		cvs := idx.Entries[chartName]
		if len(cvs) == 0 {
			return nil, fmt.Errorf("chart %q not found in %s: check the name with 'barge search repo %s'", chartName, idx.label(), chartName)
		}
		for _, cv := range cvs {
			all = append(all, cv.Version)
		}
	}
	var out []string
	for _, v := range all {
		sv, err := semver.NewVersion(v)
		if err != nil || (sv.Prerelease() != "" && !ref.Devel) {
			continue
		}
		out = append(out, v)
	}
	slices.SortStableFunc(out, func(a, b string) int {
		return semver.MustParse(b).Compare(semver.MustParse(a))
	})
	return out, nil
}

// chartIndex returns the index that lists the chart name (repo/chart, or a
// chart name with ref.RepoURL) and the chart's name in it.
func (r *Resolver) chartIndex(ctx context.Context, ref Ref, name string) (*Index, string, error) {
	if ref.RepoURL != "" {
		idx, err := r.urlIndex(ctx, refRepo(ref, ref.RepoURL))
		if err != nil {
			return nil, "", fmt.Errorf("looks like %q is not a valid chart repository or cannot be reached: %w", ref.RepoURL, err)
		}
		return idx, name, nil
	}
	repoName, chartName, ok := strings.Cut(name, "/")
	if !ok || repoName == "" || chartName == "" {
		return nil, "", fmt.Errorf("chart %q: name it as repo/chart, as a name with --repo URL, or as oci://HOST/PATH/CHART", name)
	}
	cfg, err := r.config()
	if err != nil {
		return nil, "", err
	}
	if cfg.Get(repoName) == nil {
		return nil, "", fmt.Errorf("repo %s not found: %w: add it with 'barge repo add %s URL'", repoName, ErrRepoNotFound, repoName)
	}
	idx, err := r.repoIndex(ctx, repoName)
	return idx, chartName, err
}
