package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/bargehq/barge/pkg/release"
)

// rollbackOptions are the flags of `barge rollback`.
type rollbackOptions struct {
	wait           release.WaitOptions
	dryRun         bool
	noHooks        bool
	cleanupOnFail  bool
	historyMax     int
	forceConflicts bool
	fieldManager   string
	takeOver       bool
	forceReplace   bool
	recreatePods   bool
	serverSide     string
	description    string
}

func newRollbackCmd(cfg *Config) *cobra.Command {
	o := &rollbackOptions{historyMax: cfg.maxHistory()}
	cmd := &cobra.Command{
		Use:   "rollback RELEASE [REVISION]",
		Short: "Roll back a release to a previous revision",
		Long: `Rollback makes a new revision of a release with the chart, values and
manifest of an earlier one (by default the one before the last), and applies
it. Use 'barge history RELEASE' to see the revisions.`,
		Example: `  barge rollback joomla1
  barge rollback joomla1 2 --wait`,
		Args: releaseArgs(cobra.RangeArgs(1, 2), 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			revision, err := rollbackRevision(args)
			if err != nil {
				return err
			}
			return o.run(cmd.Context(), cfg, args[0], revision)
		},
	}
	o.bind(cmd.Flags(), false)
	cmd.PreRunE = func(*cobra.Command, []string) error { return o.notes(cfg.ErrOut) }
	return cmd
}

// bind registers rollback's flags on fs. `barge diff rollback` binds only
// those that decide what the rollback applies (forDiff), worded for a diff.
func (o *rollbackOptions) bind(fs *pflag.FlagSet, forDiff bool) {
	noHooksHelp := "prevent hooks from running during rollback"
	forceHelp := "take over the fields other field managers own when applying, instead of failing on the conflict"
	if forDiff {
		noHooksHelp = "leave out the rollback hooks"
		forceHelp = "as rollback's --force-conflicts: without it, fields other managers own are reported as conflicts"
	}
	fs.BoolVar(&o.noHooks, "no-hooks", false, noHooksHelp)
	fs.BoolVar(&o.forceConflicts, "force-conflicts", false, forceHelp)
	fs.StringVar(&o.fieldManager, "field-manager", defaultFieldManager, fieldManagerHelp)
	if forDiff {
		return
	}
	(&waitFlags{opts: &o.wait, what: "rollback"}).Bind(fs)
	fs.BoolVar(&o.dryRun, "dry-run", false, "simulate a rollback")
	bindTakeOver(fs, &o.takeOver)
	fs.BoolVar(&o.cleanupOnFail, "cleanup-on-fail", false, "allow deletion of new resources created in this rollback when rollback fails")
	fs.IntVar(&o.historyMax, "history-max", o.historyMax, "limit the maximum number of revisions saved per release. Use 0 for no limit ($BARGE_MAX_HISTORY, $HELM_MAX_HISTORY)")
	fs.StringVar(&o.description, "description", "", "add a custom description for the rollback (max 256 characters)")
	bindForceReplace(fs, &o.forceReplace)
	bindServerSide(fs, &o.serverSide)
	bindRecreatePods(fs, &o.recreatePods, false)
}

// notes checks rollback's flags before it runs, and says on w what the
// flags barge accepts without Helm's effect do instead.
func (o *rollbackOptions) notes(w io.Writer) error {
	if n := utf8.RuneCountInString(o.description); n > maxRollbackDescription {
		return fmt.Errorf("--description: must be %d characters or less, got %d", maxRollbackDescription, n)
	}
	if o.recreatePods {
		fmt.Fprintln(w, recreatePodsNote)
	}
	return serverSideNote(w, o.serverSide)
}

// maxRollbackDescription is Helm's limit on --description of rollback.
const maxRollbackDescription = 256

// rollbackRevision reads the REVISION argument of rollback and diff rollback
// (args are RELEASE [REVISION]); 0, without one, is the revision before the
// last.
func rollbackRevision(args []string) (int, error) {
	if len(args) < 2 {
		return 0, nil
	}
	v, err := strconv.Atoi(args[1])
	if err != nil {
		return 0, fmt.Errorf("revision %q: not a number: give the revision to roll back to, as 'barge history %s' lists them", args[1], args[0])
	}
	return v, nil
}

// planOptions returns the options that decide what the rollback to revision
// applies: the plan that `barge diff rollback` shows and `barge rollback`
// applies.
func (o *rollbackOptions) planOptions(revision int) release.RollbackOptions {
	return release.RollbackOptions{Revision: revision, NoHooks: o.noHooks, ForceReplace: o.forceReplace, Description: o.description}
}

func (o *rollbackOptions) run(ctx context.Context, cfg *Config, name string, revision int) error {
	ctx, cancel := release.WithTimeout(ctx, o.wait.Timeout, false)
	defer cancel()
	ns := cfg.Namespace()
	cc, err := cfg.connect(ctx, ns, true)
	if err != nil {
		return err
	}
	eng, err := cc.engine(ctx, cfg, ns, o.fieldManager, nil)
	if err != nil {
		return err
	}
	opts := o.planOptions(revision)
	opts.WaitOptions = o.wait
	opts.DryRun = o.dryRun
	opts.CleanupOnFail = o.cleanupOnFail
	opts.HistoryMax = historyLimit(o.historyMax)
	opts.ForceConflicts = o.forceConflicts
	opts.HookLogs = cfg.ErrOut
	opts.TakeOver = o.takeOver
	done := showProgress(cfg, &opts.WaitOptions, ns, false)
	_, err = eng.Rollback(ctx, name, opts)
	done()
	if err != nil {
		return operationError(ctx, cfg, "ROLLBACK FAILED", name, err)
	}
	fmt.Fprintln(cfg.Out, "Rollback was a success! Happy Helming!")
	return nil
}
