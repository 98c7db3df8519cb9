package cli

import "github.com/spf13/cobra"

func newPackageCmd(cfg *Config) *cobra.Command {
	_ = cfg
	return &cobra.Command{Use: "package", Short: "Package a chart directory into a chart archive", Hidden: true}
}
