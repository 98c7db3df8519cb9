package cli

import "github.com/spf13/cobra"

func newRepoCmd(cfg *Config) *cobra.Command {
	_ = cfg
	return &cobra.Command{Use: "repo", Short: "Add, list, remove, update and index chart repositories", Hidden: true}
}
