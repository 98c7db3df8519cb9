package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bargehq/barge/pkg/oci"
	"github.com/bargehq/barge/pkg/repo"
)

func newRegistryCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "registry",
		Short: "login to or logout from a registry",
		Long: `Log in to and out of OCI registries. Credentials are kept where Helm keeps
them (--registry-config, $HELM_REGISTRY_CONFIG, or registry/config.json in
Helm's config home, including the Docker credential helpers it names): a
'helm registry login' works for barge, and the reverse.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newRegistryLoginCmd(cfg), newRegistryLogoutCmd(cfg))
	return cmd
}

func newRegistryLoginCmd(cfg *Config) *cobra.Command {
	var (
		ref       repo.Ref
		fromStdin bool
	)
	cmd := &cobra.Command{
		Use:   "login [host]",
		Short: "login to a registry",
		Long: `Check the credentials against the registry at HOST, and store them.
Credentials the registry refuses are not stored.`,
		Example: `  echo "$TOKEN" | barge registry login ghcr.io -u octocat --password-stdin`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			host, err := oci.RegistryHost(args[0])
			if err != nil {
				return err
			}
			if ref.Username == "" {
				return fmt.Errorf("registry login %s: --username is required: pass -u NAME, and the password with -p or --password-stdin", host)
			}
			if err := readPassword(cfg, fromStdin, ref.Username, &ref.Password, "registry "+host); err != nil {
				return err
			}
			// The client sends no credentials of its own: Login checks
			// and stores these.
			user, pass := ref.Username, ref.Password
			ref.Username, ref.Password, ref.Chart = "", "", oci.Scheme+host
			c, err := cfg.resolver().RegistryClient(ref)
			if err != nil {
				return err
			}
			if err := c.Login(cmd.Context(), host, user, pass); err != nil {
				return err
			}
			fmt.Fprintln(cfg.Out, "Login Succeeded")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&ref.Username, "username", "u", "", "registry username")
	f.StringVarP(&ref.Password, "password", "p", "", "registry password or identity token")
	f.BoolVar(&fromStdin, "password-stdin", false, "read password or identity token from stdin")
	f.BoolVar(&ref.Insecure, "insecure", false, "allow connections to TLS registry without certs")
	f.StringVar(&ref.CertFile, "cert-file", "", "identify registry client using this SSL certificate file")
	f.StringVar(&ref.KeyFile, "key-file", "", "identify registry client using this SSL key file")
	f.StringVar(&ref.CAFile, "ca-file", "", "verify certificates of HTTPS-enabled servers using this CA bundle")
	f.BoolVar(&ref.PlainHTTP, "plain-http", false, "use insecure HTTP connections for the chart upload")
	return cmd
}

func newRegistryLogoutCmd(cfg *Config) *cobra.Command {
	return &cobra.Command{
		Use:   "logout [host]",
		Short: "logout from a registry",
		Long:  `Remove the credentials of the registry at HOST.`,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			host, err := oci.RegistryHost(args[0])
			if err != nil {
				return err
			}
			c, err := cfg.resolver().RegistryClient(repo.Ref{Chart: oci.Scheme + host})
			if err != nil {
				return err
			}
			// As Helm 3.22, logging out of a registry one is not logged in
			// to is not an error.
			if err := c.Logout(cmd.Context(), host); err != nil && !errors.Is(err, oci.ErrNotLoggedIn) {
				return err
			}
			fmt.Fprintf(cfg.Out, "Removing login credentials for %s\n", host)
			return nil
		},
	}
}
