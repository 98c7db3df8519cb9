package cli

import "github.com/spf13/cobra"

func newSearchCmd(cfg *Config) *cobra.Command {
	_ = cfg
	return &cobra.Command{Use: "search", Short: "Search for charts in repositories", Hidden: true}
}
