package cli

import "github.com/spf13/cobra"

func newPullCmd(cfg *Config) *cobra.Command {
	_ = cfg
	return &cobra.Command{Use: "pull", Short: "Download a chart from a repository and (optionally) unpack it in a local directory", Hidden: true}
}
