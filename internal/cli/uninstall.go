package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bargehq/barge/pkg/kube"
	"github.com/bargehq/barge/pkg/release"
)

// uninstallOptions are the flags of `barge uninstall`.
type uninstallOptions struct {
	wait           release.WaitOptions
	dryRun         bool
	noHooks        bool
	ignoreNotFound bool
	keepHistory    bool
	cascade        string
	description    string
	purge          bool
	takeOver       bool
}

func newUninstallCmd(cfg *Config) *cobra.Command {
	o := &uninstallOptions{}
	cmd := &cobra.Command{
		Use:     "uninstall RELEASE_NAME [...]",
		Aliases: []string{"del", "delete", "un"},
		Short:   "Uninstall a release",
		Long: `Uninstall deletes a release's objects (except those annotated
helm.sh/resource-policy: keep) and its history. With --keep-history the
history stays, the last revision marked uninstalled.

--purge is accepted for Helm 2 habits: it is what uninstall always does.`,
		Example: `  barge uninstall joomla1
  barge delete --purge joomla1
  barge uninstall web --keep-history --wait`,
		Args: releaseArgs(cobra.MinimumNArgs(1), allArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), cfg, args)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.wait.Wait, "wait", false, "if set, will wait until all the resources are deleted before returning. It will wait for as long as --timeout")
	f.DurationVar(&o.wait.Timeout, "timeout", release.DefaultTimeout, "time the whole command may take: connecting, hooks, deleting and --wait; when it runs out, barge stops and says what it had done")
	f.BoolVar(&o.dryRun, "dry-run", false, "simulate a uninstall")
	f.BoolVar(&o.noHooks, "no-hooks", false, "prevent hooks from running during uninstallation")
	bindTakeOver(f, &o.takeOver)
	f.BoolVar(&o.ignoreNotFound, "ignore-not-found", false, `treat "release not found" as a successful uninstall`)
	f.BoolVar(&o.keepHistory, "keep-history", false, "remove all associated resources and mark the release as deleted, but retain the release history")
	f.StringVar(&o.cascade, "cascade", "background", `must be "background", "orphan", or "foreground". Selects the deletion cascading strategy for the dependents. Defaults to background.`)
	f.StringVar(&o.description, "description", "", "add a custom description")
	f.BoolVar(&o.purge, "purge", false, "accepted for Helm 2 habits; purging the history is already the default (see --keep-history)")
	return cmd
}

func (o *uninstallOptions) run(ctx context.Context, cfg *Config, names []string) error {
	ctx, cancel := release.WithTimeout(ctx, o.wait.Timeout, false)
	defer cancel()
	cascade, err := kube.ParsePropagation(o.cascade)
	if err != nil {
		return fmt.Errorf("invalid --cascade %q: must be background, orphan or foreground", o.cascade)
	}
	if o.purge && o.keepHistory {
		return fmt.Errorf("--purge and --keep-history contradict each other: drop one")
	}
	if o.purge {
		fmt.Fprintln(cfg.ErrOut, "Note: --purge is the default since Helm 3; the release history is deleted (use --keep-history to keep it)")
	}
	ns := cfg.Namespace()
	cc, err := cfg.connect(ctx, ns, true)
	if err != nil {
		return err
	}
	eng, err := cc.engine(ctx, cfg, ns, "", nil)
	if err != nil {
		return err
	}
	opts := release.UninstallOptions{
		WaitOptions:    o.wait,
		DryRun:         o.dryRun,
		KeepHistory:    o.keepHistory,
		Cascade:        cascade,
		NoHooks:        o.noHooks,
		IgnoreNotFound: o.ignoreNotFound,
		Description:    o.description,
		HookLogs:       cfg.ErrOut,
		TakeOver:       o.takeOver,
	}
	for _, name := range names {
		res, err := eng.Uninstall(ctx, name, opts)
		if err != nil {
			return operationError(ctx, cfg, "uninstall", name, err)
		}
		if res == nil {
			continue // not found, with --ignore-not-found
		}
		if o.dryRun {
			for _, r := range res.Deleted {
				fmt.Fprintf(cfg.Out, "would delete %s\n", shortRef(r, ns))
			}
		}
		if len(res.Kept) > 0 {
			var b strings.Builder
			b.WriteString("These resources were kept due to the resource policy:\n")
			for _, r := range res.Kept {
				fmt.Fprintf(&b, "[%s] %s\n", r.Kind, r.Name)
			}
			fmt.Fprintln(cfg.Out, b.String())
		}
		if o.dryRun {
			fmt.Fprintf(cfg.Out, "release \"%s\" would be uninstalled (dry run: nothing was changed)\n", name)
			continue
		}
		fmt.Fprintf(cfg.Out, "release \"%s\" uninstalled\n", name)
	}
	return nil
}
