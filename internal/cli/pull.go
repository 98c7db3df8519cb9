package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bargehq/barge/pkg/chart/archive"
	"github.com/bargehq/barge/pkg/oci"
	"github.com/bargehq/barge/pkg/repo"
	"github.com/bargehq/barge/pkg/repo/getter"
)

// pullOptions are the flags of `barge pull`.
type pullOptions struct {
	chart    chartFlags
	untar    bool
	untarDir string
	dest     string
	prov     bool
}

func newPullCmd(cfg *Config) *cobra.Command {
	o := &pullOptions{}
	cmd := &cobra.Command{
		Use:     "pull [chart URL | repo/chartname] [...]",
		Aliases: []string{"fetch"},
		Short:   "Download a chart from a repository and (optionally) unpack it in local directory",
		Long: `Download a chart from a repository and save it as NAME-VERSION.tgz in the
destination directory (-d), or unpack it there with --untar.

CHART is repo/chart for a repository you have added, a chart name with
--repo URL, or the URL of a chart archive. The version is the newest stable
one, or the newest matching --version (a version or a SemVer range such as
^1.2); --devel admits pre-releases.

The archive is checked before anything is written: against the digest in the
repository's index, and entry by entry (no path leaving the chart's
directory, no links, bounded sizes). An archive that fails is refused, naming
the archive and the entry at fault.

--verify checks the chart's provenance file (the archive's URL with .prov
after it) against the keys of --keyring before anything is written, prints
who signed it, and saves the .prov beside the archive; --prov only saves it.`,
		Example: `  barge pull bitnami/nginx --version '^15'
  barge pull nginx --repo https://charts.bitnami.com/bitnami --untar --untardir ./vendor
  barge pull https://charts.example.com/web-1.2.0.tgz -d ./charts`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), cfg, args)
		},
	}
	f := cmd.Flags()
	o.chart.Bind(f, false)
	f.BoolVar(&o.untar, "untar", false, "if set to true, will untar the chart after downloading it")
	f.BoolVar(&o.prov, "prov", false, "fetch the provenance file, but don't perform verification")
	f.StringVar(&o.untarDir, "untardir", ".", "if untar is specified, this flag specifies the name of the directory into which the chart is expanded")
	f.StringVarP(&o.dest, "destination", "d", ".", "location to write the chart. If this and untardir are specified, untardir is appended to this")
	return cmd
}

func (o *pullOptions) run(ctx context.Context, cfg *Config, charts []string) error {
	resolver := cfg.resolver()
	for _, name := range charts {
		if filepath.IsAbs(name) || strings.HasPrefix(name, ".") {
			return fmt.Errorf("chart %s: pull downloads charts from repositories, not local paths; name the chart as repo/chart, as a name with --repo URL, or by its URL", name)
		}
		ref := o.chart.ref
		ref.Chart = name
		// As in Helm, pull takes no local chart: a directory called like
		// the chart (unpacked by an earlier pull) does not shadow it.
		ref.RemoteOnly = true
		loc, err := resolver.Locate(ctx, ref)
		if err != nil {
			return err
		}
		if loc.Manifest != "" {
			fmt.Fprintf(cfg.Out, "Pulled: %s\nDigest: %s\n", strings.TrimPrefix(loc.URL, oci.Scheme), loc.Manifest)
		}
		var prov []byte
		if o.chart.verify || o.prov {
			if prov, err = resolver.Provenance(ctx, loc); err != nil {
				return err
			}
		}
		if o.chart.verify {
			v, err := verifyLocated(ctx, cfg, loc, prov, o.chart.keyring)
			if err != nil {
				return err
			}
			writeVerification(cfg.Out, v)
		}
		if o.untar {
			err = o.unpack(loc)
		} else {
			err = o.save(loc, prov)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// unpack unpacks the downloaded archive into the untar directory: under
// the destination, unless it is absolute (as Helm does).
func (o *pullOptions) unpack(loc *repo.Located) error {
	dir := o.untarDir
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(o.dest, dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--untardir: %w", err)
	}
	f, err := os.Open(loc.Path)
	if err != nil {
		return fmt.Errorf("chart archive %s: %w", getter.Redact(loc.URL), err)
	}
	defer f.Close()
	_, err = archive.Untar(f, getter.Redact(loc.URL), dir, archive.Limits{})
	return err
}

// save copies the downloaded archive, once read and checked whole, into the
// destination as NAME-VERSION.tgz, the name and version of its Chart.yaml,
// and its provenance file prov, if not nil, beside it.
func (o *pullOptions) save(loc *repo.Located, prov []byte) error {
	label := getter.Redact(loc.URL)
	f, err := os.Open(loc.Path)
	if err != nil {
		return fmt.Errorf("chart archive %s: %w", label, err)
	}
	defer f.Close()
	ch, err := archive.Load(f, label, archive.Limits{})
	if err != nil {
		return err
	}
	file := ch.Metadata.Name + "-" + ch.Metadata.Version + ".tgz"
	if file != filepath.Base(file) || strings.ContainsAny(file, `/\`) || strings.HasPrefix(file, ".") {
		return fmt.Errorf("chart archive %s: its name %q and version %q do not make a file name; tell the repository's maintainers", label, ch.Metadata.Name, ch.Metadata.Version)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("chart archive %s: %w", label, err)
	}
	if err := os.MkdirAll(o.dest, 0o755); err != nil {
		return fmt.Errorf("--destination: %w", err)
	}
	if err := pullCopy(f, filepath.Join(o.dest, file)); err != nil {
		return err
	}
	if prov == nil {
		return nil
	}
	return pullCopy(bytes.NewReader(prov), filepath.Join(o.dest, file+".prov"))
}

// pullCopy writes r to path through a temporary file in the same
// directory, renamed into place once complete, so that an interrupted pull
// leaves no partial archive.
func pullCopy(r io.Reader, path string) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("saving %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := io.Copy(tmp, r); err != nil {
		return fmt.Errorf("saving %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("saving %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("saving %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("saving %s: %w", path, err)
	}
	return nil
}
