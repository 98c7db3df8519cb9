package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/bargehq/barge/pkg/chart/source"
	"github.com/bargehq/barge/pkg/repo"
)

// chartFlags are Helm's flags that say where a command's CHART comes from:
// its version, a repository URL, and how to reach it.
type chartFlags struct {
	ref              repo.Ref
	verify           bool
	keyring          string
	dependencyUpdate bool
	// progress receives the progress lines of --dependency-update: stdout,
	// or stderr for template, whose stdout is the rendered YAML.
	progress func(cfg *Config) io.Writer
}

// Bind registers the flags on fs; withDeps adds --dependency-update.
func (c *chartFlags) Bind(fs *pflag.FlagSet, withDeps bool) {
	r := &c.ref
	fs.StringVar(&r.Version, "version", "", "specify a version constraint for the chart version to use. This constraint can be a specific tag (e.g. 1.1.1) or it may reference a valid range (e.g. ^2.0.0). If this is not specified, the latest version is used")
	fs.BoolVar(&r.Devel, "devel", false, "use development versions, too. Equivalent to version '>0.0.0-0'. If --version is set, this is ignored")
	fs.StringVar(&r.RepoURL, "repo", "", "chart repository url where to locate the requested chart")
	fs.StringVar(&r.Username, "username", "", "chart repository username where to locate the requested chart")
	fs.StringVar(&r.Password, "password", "", "chart repository password where to locate the requested chart")
	bindTLSFiles(fs, &r.CertFile, &r.KeyFile, &r.CAFile)
	fs.BoolVar(&r.Insecure, "insecure-skip-tls-verify", false, "skip tls certificate checks for the chart download")
	fs.BoolVar(&r.PassCredentials, "pass-credentials", false, "pass credentials to all domains")
	fs.BoolVar(&c.verify, "verify", false, "verify the package before using it (not supported yet)")
	fs.StringVar(&c.keyring, "keyring", "", "location of public keys used for verification (not supported yet)")
	if withDeps {
		fs.BoolVar(&c.dependencyUpdate, "dependency-update", false, "update dependencies if they are missing before installing the chart")
	}
}

// bindTLSFiles registers Helm's --cert-file, --key-file and --ca-file, for
// a chart repository's HTTPS, on fs.
func bindTLSFiles(fs *pflag.FlagSet, cert, key, ca *string) {
	fs.StringVar(cert, "cert-file", "", "identify HTTPS client using this SSL certificate file")
	fs.StringVar(key, "key-file", "", "identify HTTPS client using this SSL key file")
	fs.StringVar(ca, "ca-file", "", "verify certificates of HTTPS-enabled servers using this CA bundle")
}

// open finds, loads and checks the chart name with the flags.
func (c *chartFlags) open(ctx context.Context, cfg *Config, name string, installable bool) (*source.Opened, error) {
	if c.verify {
		return nil, errors.New("--verify: verifying a chart's provenance is not supported yet; drop --verify")
	}
	ref := c.ref
	ref.Chart = name
	opts := source.Options{Resolver: cfg.resolver(), Installable: installable}
	if c.dependencyUpdate {
		out := cfg.Out
		if c.progress != nil {
			out = c.progress(cfg)
		}
		opts.UpdateDependencies = func(ctx context.Context, dir string) error { return updateDependencies(ctx, cfg, dir, out) }
	}
	o, err := source.Open(ctx, ref, opts)
	if err != nil {
		return nil, err
	}
	if o.Chart.Metadata.Deprecated {
		fmt.Fprintln(cfg.ErrOut, "WARNING: This chart is deprecated")
	}
	return o, nil
}
