package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/bargehq/barge/pkg/repo"
)

func newRepoRemoveCmd(cfg *Config) *cobra.Command {
	return &cobra.Command{
		Use:     "remove REPO1 [REPO2 ...]",
		Aliases: []string{"rm"},
		Short:   "Remove one or more chart repositories",
		Long: `Remove chart repositories from repositories.yaml, and their cached indexes.

Every name must be configured: if one is not, nothing is removed.`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: repoNames(cfg),
		RunE: func(cmd *cobra.Command, args []string) error {
			return repoRemove(cmd.Context(), cfg, args)
		},
	}
}

func repoRemove(ctx context.Context, cfg *Config, names []string) error {
	paths := cfg.repoPaths()
	var removed []string
	lockCtx, cancel := context.WithTimeout(ctx, repoLockWait)
	defer cancel()
	err := repo.UpdateConfig(lockCtx, paths.Config, func(c *repo.Config) error {
		if len(c.Repositories) == 0 {
			return errors.New("no repositories configured")
		}
		for _, n := range names {
			if !c.Has(n) {
				return fmt.Errorf("no repo named %q found; nothing removed ('barge repo list' lists the configured repositories)", n)
			}
		}
		for _, n := range names {
			if !slices.Contains(removed, n) {
				c.Remove(n)
				removed = append(removed, n)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	cache := &repo.Cache{Paths: paths}
	for _, n := range removed {
		if err := cache.Remove(n); err != nil {
			return err
		}
		fmt.Fprintf(cfg.Out, "%q has been removed from your repositories\n", n)
	}
	return nil
}
