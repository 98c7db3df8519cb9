package cli

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/bargehq/barge/pkg/diff"
	"github.com/bargehq/barge/pkg/release"
)

// diffFlags are the output flags of the diff and drift commands.
type diffFlags struct {
	// output is -o: table (a unified diff, or the --summary table), json
	// or yaml (the change set).
	output           *outputFormat
	color            string
	context          int
	summary          bool
	suppress         []string
	suppressLines    []string
	detailedExitcode bool
	showSecrets      bool
}

// Bind registers the diff output flags on fs. -o/--output is bound by the
// caller (the upgrade flags have it already).
func (f *diffFlags) Bind(fs *pflag.FlagSet) {
	fs.StringVar(&f.color, "color", "auto", "colour the diff: auto (on a terminal, unless NO_COLOR is set), always or never")
	fs.IntVarP(&f.context, "context", "C", 3, "lines of context around each change; -1 shows whole objects")
	fs.BoolVar(&f.summary, "summary", false, "print a table of the objects created, changed, deleted and unchanged per kind instead of the diff")
	fs.StringArrayVar(&f.suppress, "suppress", nil, "leave out the objects of this kind (can be repeated), e.g. --suppress Secret")
	fs.StringArrayVar(&f.suppressLines, "suppress-output-line-regex", nil, "leave out the lines of the objects' YAML that match this regular expression before comparing (can be repeated)")
	fs.BoolVar(&f.detailedExitcode, "detailed-exitcode", false, "exit with 2 when there are changes, 0 when there are none, 1 on error")
	fs.BoolVar(&f.showSecrets, "show-secrets", false, "show the values of Secrets' data and stringData; they are masked by default")
}

// options returns the engine's diff options from the flags.
func (f *diffFlags) options(force bool) (release.DiffOptions, error) {
	o := release.DiffOptions{ForceConflicts: force, ShowSecrets: f.showSecrets}
	for _, s := range f.suppressLines {
		re, err := regexp.Compile(s)
		if err != nil {
			return o, fmt.Errorf("--suppress-output-line-regex %q: not a valid regular expression: %w", s, err)
		}
		o.SuppressLines = append(o.SuppressLines, re)
	}
	return o, nil
}

// check validates the flags before any work.
func (f *diffFlags) check() error {
	switch f.color {
	case "auto", "always", "never":
	default:
		return fmt.Errorf("--color %q: use auto, always or never", f.color)
	}
	_, err := f.options(false)
	return err
}

// useColor says whether the text output is coloured.
func (f *diffFlags) useColor(cfg *Config) bool {
	switch f.color {
	case "always":
		return true
	case "never":
		return false
	}
	if cfg.Getenv("NO_COLOR") != "" {
		return false
	}
	file, ok := cfg.Out.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}

// write prints a change set, with before and after naming the two sides,
// and returns the exit status --detailed-exitcode asks for.
func (f *diffFlags) write(cfg *Config, cs *diff.ChangeSet, before, after string) error {
	cs.Suppress(f.suppress...)
	var err error
	switch *f.output {
	case outputJSON:
		err = diff.WriteJSON(cfg.Out, cs)
	case outputYAML:
		err = encodeYAML(cfg.Out, cs)
	default:
		err = f.writeTable(cfg, cs, before, after)
	}
	if err != nil {
		return err
	}
	return f.exit(cs.HasChanges())
}

// writeTable prints a change set as -o table does: a unified diff from
// before to after, or the --summary table.
func (f *diffFlags) writeTable(cfg *Config, cs *diff.ChangeSet, before, after string) error {
	if f.summary {
		return diff.WriteSummary(cfg.Out, cs)
	}
	return diff.WriteText(cfg.Out, cs, diff.TextOptions{Context: f.context, Color: f.useColor(cfg), BeforeLabel: before, AfterLabel: after})
}

// exit returns the --detailed-exitcode status for changed.
func (f *diffFlags) exit(changed bool) error {
	if f.detailedExitcode && changed {
		return &ExitError{Code: 2}
	}
	return nil
}

func newDiffCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "Show what an upgrade, a rollback or a revision changes in the cluster",
		Long: `Show what an operation would change in the cluster, object by object.

barge diffs against the live objects, not against the last rendered text:
for each object the operation would apply, a server-side apply dry run gives
the object as the operation would leave it, and it is compared with the
object as it is now, both without the fields the server owns (managedFields,
resourceVersion, uid, generation, creationTimestamp, status...). A release
diffed right after it was installed shows no change; a change made in the
cluster behind the release's back shows. Fields other field managers added
(a label set with kubectl label), which an apply leaves in place, are listed
under each object.

The values of Secrets are masked unless --show-secrets is given; which keys
are added, removed or changed still shows.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newDiffUpgradeCmd(cfg), newDiffRollbackCmd(cfg), newDiffRevisionCmd(cfg), newDiffReleaseCmd(cfg))
	return cmd
}

// diffUpgradeOptions are the flags of `barge diff upgrade`: upgrade's own and
// the diff output flags.
type diffUpgradeOptions struct {
	upgrade upgradeOptions
	diff    diffFlags
}

func newDiffUpgradeCmd(cfg *Config) *cobra.Command {
	o := &diffUpgradeOptions{}
	cmd := &cobra.Command{
		Use:   "upgrade RELEASE CHART",
		Short: "Show what `barge upgrade` would change in the cluster",
		Long: `Show what 'barge upgrade RELEASE CHART' with the same flags would change in
the cluster: the objects it would create, change and delete, and the hooks it
would run. It computes the upgrade's own plan, and asks the server what each
object would become. Nothing is changed.

Every flag of upgrade is accepted, so a pipeline can run the same command line
with 'diff' in front; those that only affect how the upgrade runs (--wait,
--timeout, --atomic, --history-max, --description...) change nothing here.
With --install, a release that does not exist shows as all additions.`,
		Example: `  barge diff upgrade joomla1 ./charts/joomla --reuse-values --set replicaCount=2
  barge diff upgrade web ./mychart -f prod.yaml --summary --detailed-exitcode
  barge diff upgrade web ./mychart -o json | jq '.changes[] | select(.action != "unchanged")'`,
		Args: releaseArgs(cobra.ExactArgs(2), 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), cfg, args[0], args[1])
		},
	}
	cmd.PreRunE = func(*cobra.Command, []string) error { return o.upgrade.deploy.notes(cfg) }
	f := cmd.Flags()
	o.upgrade.bind(f, true)
	_ = f.MarkHidden("dry-run")
	o.diff.output = &o.upgrade.deploy.output.format
	o.diff.Bind(f)
	return cmd
}

func (o *diffUpgradeOptions) run(ctx context.Context, cfg *Config, name, chartPath string) error {
	d := &o.upgrade.deploy
	if err := o.diff.check(); err != nil {
		return err
	}
	vals, ch, err := d.inputs(ctx, cfg, chartPath)
	if err != nil {
		return err
	}
	ns := cfg.Namespace()
	cc, err := cfg.connect(ctx, ns, true)
	if err != nil {
		return err
	}
	eng, err := cc.engine(ctx, cfg, ns, d.fieldManager, nil)
	if err != nil {
		return err
	}
	installing, replace := false, false
	if o.upgrade.install {
		next, err := eng.NextOperation(ctx, name)
		if err != nil {
			return err
		}
		installing, replace = next.Operation == release.OpInstall, next.Replace
	}
	var p *release.Plan
	if installing {
		opts := d.installPlanOptions()
		opts.Replace = replace
		p, err = eng.PlanInstall(ctx, name, ch, vals, opts)
	} else {
		p, err = eng.PlanUpgrade(ctx, name, ch, vals, o.upgrade.planOptions())
	}
	if err != nil {
		return err
	}
	for _, w := range p.Warnings {
		fmt.Fprintln(cfg.ErrOut, "WARNING:", w)
	}
	dopts, err := o.diff.options(d.forceConflicts)
	if err != nil {
		return err
	}
	cs, err := eng.DiffPlan(ctx, p, dopts)
	if err != nil {
		return err
	}
	after := "upgrade to revision " + strconv.Itoa(p.Release.Version)
	if installing {
		after = "install"
	}
	return o.diff.write(cfg, cs, "live", after)
}

// diffRollbackOptions are the flags of `barge diff rollback`: those of
// rollback that decide what it applies, and the diff output flags.
type diffRollbackOptions struct {
	rollback rollbackOptions
	output   outputFlags
	diff     diffFlags
}

func newDiffRollbackCmd(cfg *Config) *cobra.Command {
	o := &diffRollbackOptions{}
	cmd := &cobra.Command{
		Use:   "rollback RELEASE [REVISION]",
		Short: "Show what `barge rollback` would change in the cluster",
		Long: `Show what 'barge rollback RELEASE [REVISION]' would change in the cluster:
the live objects against the objects of the revision rolled back to (by
default the one before the last), as the server would make them. Nothing is
changed.`,
		Example: `  barge diff rollback joomla1
  barge diff rollback joomla1 2 --summary`,
		Args: releaseArgs(cobra.RangeArgs(1, 2), 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			revision, err := rollbackRevision(args)
			if err != nil {
				return err
			}
			return o.run(cmd.Context(), cfg, args[0], revision)
		},
	}
	f := cmd.Flags()
	o.rollback.bind(f, true)
	o.output.Bind(f)
	o.diff.output = &o.output.format
	o.diff.Bind(f)
	return cmd
}

func (o *diffRollbackOptions) run(ctx context.Context, cfg *Config, name string, revision int) error {
	if err := o.diff.check(); err != nil {
		return err
	}
	ns := cfg.Namespace()
	cc, err := cfg.connect(ctx, ns, true)
	if err != nil {
		return err
	}
	eng, err := releaseEngine(cfg, cc, ns, o.rollback.fieldManager)
	if err != nil {
		return err
	}
	p, err := eng.PlanRollback(ctx, name, o.rollback.planOptions(revision))
	if err != nil {
		return err
	}
	dopts, err := o.diff.options(o.rollback.forceConflicts)
	if err != nil {
		return err
	}
	cs, err := eng.DiffPlan(ctx, p, dopts)
	if err != nil {
		return err
	}
	return o.diff.write(cfg, cs, "live", fmt.Sprintf("rollback to revision %d", p.Release.Info.RollbackRevision))
}

// releaseEngine returns an engine on the connected cluster that renders
// nothing (rollback and drift reuse stored manifests), so it skips asking
// the cluster for its capabilities.
func releaseEngine(cfg *Config, cc *clusterClients, ns, fieldManager string) (*release.Engine, error) {
	return release.New(release.Config{
		Namespace:    ns,
		Store:        cc.store.InNamespace(ns),
		Cluster:      cc.kube,
		Logger:       cfg.Logger(),
		FieldManager: fieldManager,
	})
}

// diffRevisionOptions are the flags of `barge diff revision`.
type diffRevisionOptions struct {
	output outputFlags
	diff   diffFlags
}

func newDiffRevisionCmd(cfg *Config) *cobra.Command {
	o := &diffRevisionOptions{}
	cmd := &cobra.Command{
		Use:   "revision RELEASE REVISION1 [REVISION2]",
		Short: "Compare the manifests of two revisions of a release",
		Long: `Compare the stored manifests of two revisions of a release, as they were
rendered (without server defaults). Without REVISION2, REVISION1 is compared
with the last revision. The cluster's objects are not read.`,
		Example: `  barge diff revision joomla1 2 3
  barge diff revision joomla1 1 -o json`,
		Args: releaseArgs(cobra.RangeArgs(2, 3), 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			revs := make([]int, 0, 2)
			for _, a := range args[1:] {
				v, err := strconv.Atoi(a)
				if err != nil || v < 1 {
					return fmt.Errorf("revision %q: not a revision number: give revisions as 'barge history %s' lists them", a, args[0])
				}
				revs = append(revs, v)
			}
			if len(revs) == 1 {
				revs = append(revs, 0)
			}
			return o.run(cmd.Context(), cfg, args[0], revs[0], revs[1])
		},
	}
	f := cmd.Flags()
	o.output.Bind(f)
	o.diff.output = &o.output.format
	o.diff.Bind(f)
	return cmd
}

func (o *diffRevisionOptions) run(ctx context.Context, cfg *Config, name string, from, to int) error {
	if err := o.diff.check(); err != nil {
		return err
	}
	ns := cfg.Namespace()
	cc, err := cfg.connect(ctx, ns, false)
	if err != nil {
		return err
	}
	eng, err := release.New(release.Config{Namespace: ns, Store: cc.store.InNamespace(ns), Logger: cfg.Logger()})
	if err != nil {
		return err
	}
	dopts, err := o.diff.options(false)
	if err != nil {
		return err
	}
	cs, err := eng.DiffRevisions(ctx, name, from, to, dopts)
	if err != nil {
		return err
	}
	toLabel := "last revision"
	if to != 0 {
		toLabel = "revision " + strconv.Itoa(to)
	}
	return o.diff.write(cfg, cs, "revision "+strconv.Itoa(from), toLabel)
}

func newDiffReleaseCmd(cfg *Config) *cobra.Command {
	o := &driftOptions{}
	cmd := &cobra.Command{
		Use:   "release RELEASE",
		Short: "Compare a release's live objects with what it last applied",
		Long: `Compare the live objects of a release with what its last deployed revision
applied, to find changes made behind its back: what the next apply would
revert (a forced server-side apply dry run of the stored manifest), objects
deleted from the cluster, and fields other field managers added, which an
apply would keep. 'barge drift' does the same for several releases.`,
		Example: `  barge diff release joomla1
  barge diff release joomla1 --detailed-exitcode`,
		Args: releaseArgs(cobra.ExactArgs(1), 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), cfg, args)
		},
	}
	o.bind(cmd.Flags(), false)
	return cmd
}
