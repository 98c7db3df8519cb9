package repo

import (
	"context"
	"fmt"
	"os"
	"strings"

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
		oci:      true,
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
