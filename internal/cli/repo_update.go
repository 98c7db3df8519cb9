package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bargehq/barge/pkg/repo"
	"github.com/bargehq/barge/pkg/repo/getter"
)

// repoUpdateParallel bounds the indexes downloaded at once.
const repoUpdateParallel = 8

// repoUpdateOptions are the flags of `barge repo update`.
type repoUpdateOptions struct {
	timeout time.Duration
	// failOnError is Helm 3's --fail-on-repo-update-fail, which barge
	// always does.
	failOnError bool
}

func newRepoUpdateCmd(cfg *Config) *cobra.Command {
	o := &repoUpdateOptions{}
	cmd := &cobra.Command{
		Use:     "update [REPO1 [REPO2 ...]]",
		Aliases: []string{"up"},
		Short:   "Update information of available charts locally from chart repositories",
		Long: `Download the latest index of the configured chart repositories (or of those
named) into the cache, where 'barge search repo', 'pull' and 'install' read it.

Repositories are updated in parallel and reported in the order of
repositories.yaml. A repository that fails keeps its previous index, and the
command exits non-zero once the others are done (Helm 3 does so only with
--fail-on-repo-update-fail, Helm 4 always).`,
		ValidArgsFunction: repoNames(cfg),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), cfg, args)
		},
	}
	f := cmd.Flags()
	f.DurationVar(&o.timeout, "timeout", getter.DefaultTimeout, "time to wait for the index file download to complete")
	f.BoolVar(&o.failOnError, "fail-on-repo-update-fail", true, "update fails if any of the repository updates fail (always true in barge; accepted for Helm 3's scripts)")
	return cmd
}

// repoUpdateResult is the outcome of one repository's update.
type repoUpdateResult struct {
	idx *repo.Index
	err error
}

func (o *repoUpdateOptions) run(ctx context.Context, cfg *Config, names []string) error {
	paths := cfg.repoPaths()
	c, err := repo.LoadConfig(paths.Config)
	if err != nil {
		return err
	}
	if len(c.Repositories) == 0 {
		return errors.New("no repositories found. You must add one before updating; add one with 'barge repo add NAME URL'")
	}
	entries := c.Repositories
	if len(names) > 0 {
		wanted := map[string]bool{}
		for _, n := range names {
			if !c.Has(n) {
				return fmt.Errorf("no repositories found matching '%s'. Nothing will be updated; 'barge repo list' lists the configured repositories", n)
			}
			wanted[n] = true
		}
		entries = nil
		for _, e := range c.Repositories {
			if wanted[e.Name] {
				entries = append(entries, e)
			}
		}
	}

	client := cfg.getter()
	client.Timeout = o.timeout
	cache := &repo.Cache{Paths: paths, Client: client, Logger: cfg.Logger()}
	fmt.Fprintln(cfg.Out, "Hang tight while we grab the latest from your chart repositories...")
	done := make([]chan repoUpdateResult, len(entries))
	slots := make(chan struct{}, repoUpdateParallel)
	for i, e := range entries {
		done[i] = make(chan repoUpdateResult, 1)
		go func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			idx, err := cache.Update(ctx, e)
			done[i] <- repoUpdateResult{idx, err}
		}()
	}
	var failed []string
	for i, e := range entries {
		res := <-done[i]
		if res.err != nil {
			fmt.Fprintf(cfg.Out, "...Unable to get an update from the %q chart repository (%s):\n\t%s\n", e.Name, shownURL(e.URL), res.err)
			failed = append(failed, e.Name)
			continue
		}
		for _, s := range res.idx.Skipped {
			cfg.warn(s.Error())
		}
		fmt.Fprintf(cfg.Out, "...Successfully got an update from the %q chart repository\n", e.Name)
	}
	if len(failed) > 0 {
		return fmt.Errorf("failed to update the following repositories: %s; their cached indexes are unchanged", strings.Join(failed, ", "))
	}
	fmt.Fprintln(cfg.Out, "Update Complete. ⎈Happy Helming!⎈")
	return nil
}
