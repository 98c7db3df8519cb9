package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/bargehq/barge/pkg/chart/archive"
)

// packageFlags are the flags of package.
type packageFlags struct {
	dest             string
	opts             archive.PackageOptions
	dependencyUpdate bool
	sign             bool
	key              string
	keyring          string
	passphraseFile   string
	registry         registryClientFlags
}

// Bind registers the flags on fs.
func (f *packageFlags) Bind(fs *pflag.FlagSet) {
	fs.StringVarP(&f.dest, "destination", "d", ".", "location to write the chart.")
	fs.StringVar(&f.opts.Version, "version", "", "set the version on the chart to this semver version")
	fs.StringVar(&f.opts.AppVersion, "app-version", "", "set the appVersion on the chart to this version")
	fs.BoolVarP(&f.dependencyUpdate, "dependency-update", "u", false, `update dependencies from "Chart.yaml" to dir "charts/" before packaging`)
	fs.BoolVar(&f.sign, "sign", false, "use a PGP private key to sign this package")
	fs.StringVar(&f.key, "key", "", "name of the key to use when signing. Used if --sign is true")
	fs.StringVar(&f.keyring, "keyring", "", "location of a keyring holding the signing key (default: ~/.gnupg/pubring.gpg, as Helm's)")
	fs.StringVar(&f.passphraseFile, "passphrase-file", "", "location of a file which contains the passphrase for the signing key. Use \"-\" in order to read from stdin")
	f.registry.Bind(fs)
}

func newPackageCmd(cfg *Config) *cobra.Command {
	var flags packageFlags
	cmd := &cobra.Command{
		Use:   "package [CHART_PATH] [...]",
		Short: "Package a chart directory into a chart archive",
		Long: `Package each chart directory given into a versioned chart archive,
NAME-VERSION.tgz, in the current directory or in --destination: the archive
'barge repo index', chart repositories, 'barge install' and Helm take.

The chart's files are packaged as they are (those .helmignore names are left
out), and the same chart always makes the same archive. Every dependency
Chart.yaml lists must be in charts/: -u fetches them first, as
'barge dependency update' does. --version and --app-version change only
those lines of the packaged Chart.yaml.

--sign signs each archive with the key --key names in --keyring, writing
NAME-VERSION.tgz.prov beside it, in Helm's provenance format: 'barge verify',
'helm verify' and --verify check it. The key is unlocked (with
--passphrase-file, or a prompt at a terminal) before anything is written.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return errors.New("need at least one argument, the path to the chart")
			}
			signer, err := newPackageSigner(cmd.Context(), cfg, flags.sign, flags.key, flags.keyring, flags.passphraseFile)
			if err != nil {
				return err
			}
			dest := flags.dest
			if dest == "." {
				// Helm prints where the archive went in full.
				wd, err := os.Getwd()
				if err != nil {
					return err
				}
				dest = wd
			}
			for _, arg := range args {
				p, err := packageChart(cmd.Context(), cfg, arg, dest, &flags)
				if err != nil {
					return err
				}
				if err := signPackage(cmd.Context(), signer, p); err != nil {
					return err
				}
				fmt.Fprintf(cfg.Out, "Successfully packaged chart and saved it to: %s\n", p)
			}
			return nil
		},
	}
	flags.Bind(cmd.Flags())
	return cmd
}

// packageChart packages the chart directory at path into dest, fetching its
// dependencies first with -u, and returns the archive's path.
func packageChart(ctx context.Context, cfg *Config, path, dest string, flags *packageFlags) (string, error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("chart %s: no such directory; give the path of a chart directory", path)
	case err != nil:
		return "", fmt.Errorf("chart %s: %w", path, err)
	case !fi.IsDir():
		return "", fmt.Errorf("chart %s is not a directory: package takes a chart directory (an archive is packaged already)", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("chart %s: %w", path, err)
	}
	if flags.dependencyUpdate {
		// Helm prints nothing of the update here either.
		if err := updateDependencies(ctx, cfg, abs, flags.registry.ref, io.Discard); err != nil {
			return "", err
		}
	}
	return archive.Package(abs, dest, flags.opts)
}
