package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/bargehq/barge/pkg/oci"
	"github.com/bargehq/barge/pkg/repo"
)

// registryClientFlags are the flags Helm's push, package and dependency
// commands take to reach an OCI registry.
type registryClientFlags struct {
	ref repo.Ref
}

// Bind registers the flags on fs.
func (f *registryClientFlags) Bind(fs *pflag.FlagSet) {
	r := &f.ref
	fs.StringVar(&r.CertFile, "cert-file", "", "identify registry client using this SSL certificate file")
	fs.StringVar(&r.KeyFile, "key-file", "", "identify registry client using this SSL key file")
	fs.StringVar(&r.CAFile, "ca-file", "", "verify certificates of HTTPS-enabled servers using this CA bundle")
	fs.BoolVar(&r.Insecure, "insecure-skip-tls-verify", false, "skip tls certificate checks for the chart upload")
	fs.BoolVar(&r.PlainHTTP, "plain-http", false, "use insecure HTTP connections for the chart upload")
	fs.StringVar(&r.Username, "username", "", "chart repository username where to locate the requested chart")
	fs.StringVar(&r.Password, "password", "", "chart repository password where to locate the requested chart")
}

// client returns an OCI client for the registry of ref with the flags.
func (f *registryClientFlags) client(cfg *Config, ref string) (*oci.Client, error) {
	r := f.ref
	r.Chart = ref
	return cfg.resolver().RegistryClient(r)
}

func newPushCmd(cfg *Config) *cobra.Command {
	var flags registryClientFlags
	cmd := &cobra.Command{
		Use:   "push [chart] [remote]",
		Short: "push a chart to remote",
		Long: `Upload a chart archive to an OCI registry, as oci://HOST/PATH/NAME:VERSION,
in Helm's format: Helm pulls what barge pushes, and the reverse. The archive's
provenance file (CHART.tgz.prov), if there is one, is pushed with it.

Credentials come from 'barge registry login' (Helm's registry config, shared
with Helm) or --username and --password, sent to that registry only.`,
		Example: `  barge package ./mychart
  barge push mychart-0.1.0.tgz oci://ghcr.io/example/charts`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !oci.IsReference(args[1]) {
				return fmt.Errorf("remote %s: push uploads to OCI registries: name one as oci://HOST/PATH (chart repositories are served from a directory indexed by 'barge repo index')", args[1])
			}
			c, err := flags.client(cfg, args[1])
			if err != nil {
				return err
			}
			p, err := c.Push(cmd.Context(), args[0], args[1], oci.PushOptions{})
			if err != nil {
				return err
			}
			fmt.Fprintf(cfg.Out, "Pushed: %s\nDigest: %s\n", p.Ref.Name(), p.ManifestDigest)
			return nil
		},
	}
	flags.Bind(cmd.Flags())
	return cmd
}
