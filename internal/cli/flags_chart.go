package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/bargehq/barge/pkg/chart/provenance"
	"github.com/bargehq/barge/pkg/chart/source"
	"github.com/bargehq/barge/pkg/repo"
	"github.com/bargehq/barge/pkg/repo/getter"
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
	fs.BoolVar(&r.PlainHTTP, "plain-http", false, "use insecure HTTP connections for the chart download")
	fs.BoolVar(&c.verify, "verify", false, "verify the package before using it")
	fs.StringVar(&c.keyring, "keyring", "", "location of public keys used for verification (default: ~/.gnupg/pubring.gpg, as Helm's)")
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
	ref := c.ref
	ref.Chart = name
	res := cfg.resolver()
	opts := source.Options{Resolver: res, Installable: installable}
	if c.verify {
		opts.Verify = verifier(cfg, res, c.keyring)
	}
	if c.dependencyUpdate {
		out := cfg.Out
		if c.progress != nil {
			out = c.progress(cfg)
		}
		opts.UpdateDependencies = func(ctx context.Context, dir string) error { return updateDependencies(ctx, cfg, dir, ref, out) }
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

// verifier returns the check of --verify, with the keys of keyring ("" for
// the default): a local archive is verified with the .prov beside it, a
// downloaded one with the .prov beside it on its server.
func verifier(cfg *Config, res *repo.Resolver, keyring string) func(context.Context, *repo.Located) error {
	return func(ctx context.Context, loc *repo.Located) error {
		if loc.URL == "" {
			_, err := verifyChart(ctx, cfg, loc.Path, keyring)
			return err
		}
		prov, err := res.Provenance(ctx, loc)
		if err != nil {
			return err
		}
		_, err = verifyLocated(ctx, cfg, loc, prov, keyring)
		return err
	}
}

// verifyLocated verifies the chart archive loc downloaded with its
// provenance file prov and the keys of keyring ("" for the default); errors
// name the archive's URL rather than the cache's file.
func verifyLocated(ctx context.Context, cfg *Config, loc *repo.Located, prov []byte, keyring string) (*provenance.Verification, error) {
	v, err := verifyArchive(ctx, cfg, loc.Path, loc.FileName, prov, keyring)
	var pe *provenance.Error
	if errors.As(err, &pe) && pe.File == loc.Path {
		pe.File = getter.Redact(loc.URL)
	}
	return v, err
}
