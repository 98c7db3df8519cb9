package cli

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/bargehq/barge/pkg/diff"
	"github.com/bargehq/barge/pkg/kubeschema"
	"github.com/bargehq/barge/pkg/release"
)

// upgradeOptions are the flags of `barge upgrade`.
type upgradeOptions struct {
	deploy               deployFlags
	install              bool
	reuseValues          bool
	resetValues          bool
	resetThenReuseValues bool
	historyMax           int
	cleanupOnFail        bool
}

func newUpgradeCmd(cfg *Config) *cobra.Command {
	o := &upgradeOptions{historyMax: cfg.maxHistory()}
	cmd := &cobra.Command{
		Use:   "upgrade RELEASE CHART",
		Short: "Upgrade a release",
		Long: `Upgrade a release to a new chart or new values.

The new revision's objects are applied with server-side apply; the objects
the previous revision had and the new one drops are deleted. Values come from
the chart, then -f/--values files, then the --set flags; --reuse-values lays
them over the last release's values, --reset-then-reuse-values does so with
the new chart's defaults, and --reset-values ignores the last release's.

With --install, a release that does not exist is installed. With --atomic
(or --rollback-on-failure), a failed upgrade is rolled back to the last
successful revision.`,
		Example: `  barge upgrade joomla1 ./charts/joomla --reuse-values --set replicaCount=2 --wait
  barge upgrade --install web ./mychart -f prod.yaml --atomic --timeout 10m`,
		Args: releaseArgs(cobra.ExactArgs(2), 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), cfg, args[0], args[1])
		},
	}
	o.bind(cmd.Flags(), false)
	cmd.PreRunE = func(*cobra.Command, []string) error { return o.deploy.notes(cfg) }
	return cmd
}

// bind registers upgrade's flags on fs. `barge diff upgrade` binds the same
// (forDiff), so that any upgrade command line can be diffed; its help then
// says which flags only change how an upgrade runs.
func (o *upgradeOptions) bind(fs *pflag.FlagSet, forDiff bool) {
	installHelp := "if a release by this name doesn't already exist, run an install"
	historyMaxHelp := "limit the maximum number of revisions saved per release. Use 0 for no limit ($BARGE_MAX_HISTORY, $HELM_MAX_HISTORY)"
	cleanupHelp := "allow deletion of new resources created in this upgrade when upgrade fails"
	if forDiff {
		installHelp = "if a release by this name doesn't already exist, show what an install would create"
		historyMaxHelp = "accepted as upgrade accepts it; changes nothing in a diff"
		cleanupHelp = historyMaxHelp
	}
	o.deploy.what = "upgrade"
	o.deploy.Bind(fs)
	fs.BoolVarP(&o.install, "install", "i", false, installHelp)
	fs.BoolVar(&o.reuseValues, "reuse-values", false, "when upgrading, reuse the last release's values and merge in any overrides from the command line via --set and -f. If '--reset-values' is specified, this is ignored")
	fs.BoolVar(&o.resetValues, "reset-values", false, "when upgrading, reset the values to the ones built into the chart")
	fs.BoolVar(&o.resetThenReuseValues, "reset-then-reuse-values", false, "when upgrading, reset the values to the ones built into the chart, apply the last release's values and merge in any overrides from the command line via --set and -f. If '--reset-values' or '--reuse-values' is specified, this is ignored")
	fs.IntVar(&o.historyMax, "history-max", o.historyMax, historyMaxHelp)
	fs.BoolVar(&o.cleanupOnFail, "cleanup-on-fail", false, cleanupHelp)
}

// planOptions returns the options that decide what the upgrade does: the
// plan that `barge diff upgrade` shows and `barge upgrade` applies.
func (o *upgradeOptions) planOptions() release.UpgradeOptions {
	d := &o.deploy
	return release.UpgradeOptions{
		Install:              o.install,
		CreateNamespace:      d.createNamespace,
		SkipCRDs:             d.skipCRDs,
		NoHooks:              d.noHooks,
		TakeOwnership:        d.takeOwnership,
		TakeOver:             d.takeOver,
		ReuseValues:          o.reuseValues,
		ResetValues:          o.resetValues,
		ResetThenReuseValues: o.resetThenReuseValues,
		Labels:               d.labels,
		CheckOptions:         d.checkOptions(),
		SubchartNotes:        d.subchartNotes,
		ForceReplace:         d.forceReplace,
		PostRenderOptions:    d.postRenderOptions(),
	}
}

func (o *upgradeOptions) run(ctx context.Context, cfg *Config, name, chartPath string) error {
	d := &o.deploy
	ctx, cancel := release.WithTimeout(ctx, d.wait.Timeout, d.atomic)
	defer cancel()
	dry, err := d.dryRunMode()
	if err != nil {
		return err
	}
	vals, ch, err := d.inputs(ctx, cfg, chartPath)
	if err != nil {
		return err
	}
	early := parseEarly(ch)
	ns := cfg.Namespace()
	// Even a client-side dry run reads the release it upgrades.
	cc, err := cfg.connect(ctx, ns, dry != release.DryRunClient)
	if err != nil {
		return err
	}
	var eng *release.Engine
	if dry == release.DryRunClient {
		var schema *kubeschema.Schema
		if schema, err = kubeschema.Embedded(); err != nil {
			return err
		}
		eng, err = release.New(release.Config{Namespace: ns, Store: cc.store, Logger: cfg.Logger(), Renderer: early.renderer, Schema: schema})
	} else {
		eng, err = cc.engine(ctx, cfg, ns, d.fieldManager, early)
	}
	if err != nil {
		return err
	}
	installing := false
	if o.install {
		next, err := eng.NextOperation(ctx, name)
		if err != nil {
			return err
		}
		installing = next.Operation == release.OpInstall
		if installing && d.output.format == outputTable {
			fmt.Fprintf(cfg.Out, "Release %q does not exist. Installing it now.\n", name)
		}
	}
	opts := o.planOptions()
	opts.WaitOptions = d.wait
	opts.DryRun = dry
	opts.HistoryMax = historyLimit(o.historyMax)
	opts.CleanupOnFail = o.cleanupOnFail
	opts.Atomic = d.atomic
	opts.ForceConflicts = d.forceConflicts
	opts.Description = d.description
	opts.HookLogs = cfg.ErrOut
	var changes *diff.ChangeSet
	if dry == release.DryRunServer && d.output.format == outputTable {
		opts.Changes = func(cs *diff.ChangeSet) { changes = cs }
	}
	done := showProgress(cfg, &opts.WaitOptions, ns, d.atomic)
	rls, err := eng.Upgrade(ctx, name, ch, vals, opts)
	done()
	if err != nil {
		return operationError(ctx, cfg, "UPGRADE FAILED", name, err)
	}
	if d.output.format == outputTable && !installing {
		fmt.Fprintf(cfg.Out, "Release %q has been upgraded. Happy Helming!\n", name)
	}
	if err := d.print(cfg, rls); err != nil || changes == nil {
		return err
	}
	// The plan, as `barge diff upgrade` shows it.
	fmt.Fprintln(cfg.Out, "CHANGES:")
	return diff.WriteText(cfg.Out, changes, diff.TextOptions{Context: 3, BeforeLabel: "live", AfterLabel: "upgrade to revision " + strconv.Itoa(rls.Version)})
}
