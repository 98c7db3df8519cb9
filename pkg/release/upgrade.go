package release

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"

	helmchart "helm.sh/helm/v3/pkg/chart"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/bargehq/barge/pkg/chart/values"
	"github.com/bargehq/barge/pkg/diff"
)

// UpgradeOptions tune Upgrade. The zero value upgrades without waiting,
// keeping DefaultHistoryMax revisions.
type UpgradeOptions struct {
	WaitOptions
	CheckOptions
	// TakeOver recovers at once a pending or uninstalling revision that no
	// barge lock covers, instead of taking it for another client's live
	// operation while it is younger than ForeignPendingAge.
	TakeOver bool
	// DryRun only pretends; nothing is stored or changed.
	DryRun DryRun
	// Install installs the release if it does not exist, or if its last
	// revision is uninstalled (--install).
	Install bool
	// CreateNamespace, SkipCRDs and Replace apply when Install installs.
	CreateNamespace, SkipCRDs bool
	// NoHooks skips the chart's hooks.
	NoHooks bool
	// TakeOwnership adopts existing objects that belong to another release
	// or to none.
	TakeOwnership bool
	// ReuseValues lays vals over the last release's values, rendering with
	// the last release's chart defaults (--reuse-values).
	ReuseValues bool
	// ResetValues uses only vals and the new chart's defaults (--reset-values).
	ResetValues bool
	// ResetThenReuseValues lays vals over the last release's values, with
	// the new chart's defaults (--reset-then-reuse-values).
	ResetThenReuseValues bool
	// HistoryMax is how many revisions to keep; zero means
	// DefaultHistoryMax and a negative number keeps all (Helm's
	// --history-max 0).
	HistoryMax int
	// CleanupOnFail deletes the objects the failed upgrade created.
	CleanupOnFail bool
	// Atomic rolls back to the previous successful revision if the upgrade
	// fails; it implies Wait.
	Atomic bool
	// ForceConflicts takes over fields other field managers own.
	ForceConflicts bool
	// ForceReplace deletes and recreates the objects whose change the
	// server refuses because it touches immutable fields (--force-replace).
	ForceReplace bool
	// PostRenderOptions change the rendered manifest before it is planned.
	PostRenderOptions
	// Description replaces "Upgrade complete" in the record.
	Description string
	// Labels are merged into the release's labels; an empty value removes
	// a label.
	Labels map[string]string
	// SubchartNotes renders the subcharts' NOTES.txt too.
	SubchartNotes bool
	// HookLogs receives the logs of hook Pods whose output log policy asks.
	HookLogs io.Writer
	// Changes, with DryRun DryRunServer, receives the upgrade's change
	// set: the server dry run is then done by DiffPlan, so that the dry
	// run and `diff upgrade` show the same plan.
	Changes func(*diff.ChangeSet)
}

// errPending is Helm's message for a release an operation is working on.
var errPending = errors.New("another operation (install/upgrade/rollback) is in progress")

// PlanUpgrade computes what Upgrade would do: the next revision rendered
// from ch with the values the options select, the objects to apply, the
// objects of the current revision it drops, and its hooks. It reads the
// store and talks to no cluster. A release that does not exist is an error
// wrapping ErrNoDeployed.
func (e *Engine) PlanUpgrade(ctx context.Context, name string, ch *helmchart.Chart, vals map[string]any, opts UpgradeOptions) (*Plan, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	if ch == nil {
		return nil, fmt.Errorf("release %q: no chart given", name)
	}
	if err := checkLabels(opts.Labels); err != nil {
		return nil, err
	}
	last, err := e.store.Last(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%q %w", name, ErrNoDeployed)
	}
	if err != nil {
		return nil, err
	}
	if last.Info.Status.IsPending() {
		return nil, fmt.Errorf("release %q: %w (revision %d is %s)", name, errPending, last.Version, last.Info.Status)
	}
	current := last
	if last.Info.Status != StatusDeployed {
		current, err = e.store.Deployed(ctx, name)
		if errors.Is(err, ErrNoDeployed) && (last.Info.Status == StatusFailed || last.Info.Status == StatusSuperseded) {
			current, err = last, nil
		}
		if err != nil {
			return nil, err
		}
	}
	ch, vals, err = upgradeValues(ch, current, vals, opts)
	if err != nil {
		return nil, fmt.Errorf("release %q: %w", name, err)
	}
	revision := last.Version + 1
	res, err := e.renderRelease(ctx, name, revision, true, ch, vals, opts.SubchartNotes, opts.DryRun != DryRunClient, opts.CheckOptions)
	if err != nil {
		return nil, err
	}
	if err := opts.finishRender(ctx, name, res, opts.DryRun); err != nil {
		return nil, err
	}
	p := &Plan{Operation: OpUpgrade, Current: current, Warnings: res.Warnings,
		ClientSide: AppliedClientSide(current) || AppliedClientSide(last)}
	p.Release = &Release{
		Name:      name,
		Namespace: current.Namespace,
		Chart:     res.Chart,
		Config:    vals,
		Manifest:  res.Manifest,
		Hooks:     hooksFromRender(res.Hooks),
		Version:   revision,
		Labels:    mergeLabels(last.Labels, opts.Labels),
		Info: &Info{
			FirstDeployed: current.Info.FirstDeployed,
			LastDeployed:  e.now(),
			Status:        StatusPendingUpgrade,
			Description:   "Preparing upgrade",
			Notes:         res.Notes,
		},
		ApplyMethod: ApplyMethodServerSide,
	}
	if err := e.planReplacement(p, current, opts.NoHooks, HookPreUpgrade, HookPostUpgrade); err != nil {
		return nil, err
	}
	return p, nil
}

// upgradeValues picks the values of an upgrade as Helm does: ResetValues
// takes vals alone; ReuseValues lays vals over the current values and
// renders with the current chart's defaults; ResetThenReuseValues lays vals
// over the current values with the new chart's defaults; otherwise, no
// vals at all reuses the current values. It returns the chart to render.
func upgradeValues(ch *helmchart.Chart, current *Release, vals map[string]any, opts UpgradeOptions) (*helmchart.Chart, map[string]any, error) {
	switch {
	case opts.ResetValues:
		return ch, vals, nil
	case opts.ReuseValues:
		var oldDefaults map[string]any
		if current.Chart != nil {
			var err error
			if oldDefaults, err = values.Coalesce(current.Chart, current.Config); err != nil {
				return nil, nil, fmt.Errorf("failed to rebuild old values: %w", err)
			}
		}
		merged := values.CoalesceTables(values.Copy(vals), values.Copy(current.Config))
		withOld := *ch
		withOld.Values = oldDefaults
		return &withOld, merged, nil
	case opts.ResetThenReuseValues:
		return ch, values.CoalesceTables(values.Copy(vals), values.Copy(current.Config)), nil
	case len(vals) == 0 && len(current.Config) > 0:
		return ch, current.Config, nil
	}
	return ch, vals, nil
}

// mergeLabels lays desired over current, dropping labels set to "".
func mergeLabels(current, desired map[string]string) map[string]string {
	out := maps.Clone(current)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, desired)
	for k, v := range out {
		if v == "" {
			delete(out, k)
		}
	}
	return out
}

// Upgrade upgrades release name to ch with the user values vals.
//
// It works from the last deployed revision: it records the new revision
// pending-upgrade, runs the pre-upgrade hooks, applies the objects with
// server-side apply (refusing new objects that belong to another release or
// to none, unless opts.TakeOwnership), deletes the objects the new revision
// drops (except those annotated helm.sh/resource-policy: keep), waits if
// asked, runs the post-upgrade hooks, marks the previous revision
// superseded and the new one deployed. On failure the new revision is
// recorded failed; opts.CleanupOnFail deletes what it created and
// opts.Atomic rolls back to the last successful revision. With
// opts.Install, a release that does not exist is installed. It holds the
// release's lock throughout.
func (e *Engine) Upgrade(ctx context.Context, name string, ch *helmchart.Chart, vals map[string]any, opts UpgradeOptions) (*Release, error) {
	if opts.DryRun == DryRunClient {
		if opts.Install {
			if d, err := e.NextOperation(ctx, name); err != nil {
				return nil, err
			} else if d.Operation == OpInstall {
				return e.Install(ctx, name, ch, vals, opts.installOptions(d.Replace))
			}
		}
		p, err := e.PlanUpgrade(ctx, name, ch, vals, opts)
		if err != nil {
			return nil, err
		}
		p.Release.Info.Description = dryRunDescription(opts.Description)
		return p.Release, nil
	}
	if err := e.needCluster("upgrade"); err != nil {
		return nil, err
	}
	if opts.DryRun == DryRunServer {
		return e.upgrade(ctx, name, ch, vals, opts)
	}
	if opts.Install && opts.CreateNamespace {
		if d, err := e.NextOperation(ctx, name); err == nil && d.Operation == OpInstall {
			return e.Install(ctx, name, ch, vals, opts.installOptions(d.Replace))
		}
	}
	lctx := ctx
	op, ctx, unlock, err := e.lock(ctx, name, opts.TakeOver)
	if err != nil {
		return nil, outOfTime(lctx, "taking the release's lock", err)
	}
	defer unlock()
	rls, err := op.upgrade(ctx, name, ch, vals, opts)
	return rls, op.stopped(ctx, name, outOfTime(ctx, "preparing the upgrade", err))
}

func dryRunDescription(desc string) string {
	if desc != "" {
		return desc
	}
	return "Dry run complete"
}

func (o UpgradeOptions) installOptions(replace bool) InstallOptions {
	return InstallOptions{
		WaitOptions: o.WaitOptions, DryRun: o.DryRun, NoHooks: o.NoHooks, SkipCRDs: o.SkipCRDs,
		CreateNamespace: o.CreateNamespace, TakeOwnership: o.TakeOwnership, Replace: replace,
		Atomic: o.Atomic, ForceConflicts: o.ForceConflicts, Description: o.Description,
		Labels: o.Labels, SubchartNotes: o.SubchartNotes, HookLogs: o.HookLogs, TakeOver: o.TakeOver,
		CheckOptions: o.CheckOptions, ForceReplace: o.ForceReplace, PostRenderOptions: o.PostRenderOptions,
	}
}

// upgrade is Upgrade with the lock held.
func (e *Engine) upgrade(ctx context.Context, name string, ch *helmchart.Chart, vals map[string]any, opts UpgradeOptions) (*Release, error) {
	if opts.Install {
		d, err := e.NextOperation(ctx, name)
		if err != nil {
			return nil, err
		}
		if d.Operation == OpInstall {
			e.logger.InfoContext(ctx, "release does not exist; installing it", "release", name)
			return e.install(ctx, name, ch, vals, opts.installOptions(d.Replace))
		}
	}
	p, err := e.PlanUpgrade(ctx, name, ch, vals, opts)
	if err != nil {
		return nil, err
	}
	opts.ForceConflicts = opts.ForceConflicts || p.ClientSide
	rls := p.Release
	current, err := parseObjects("current manifest", p.Current.Manifest, p.Current.Namespace)
	if err != nil {
		return rls, err
	}
	existed, err := e.preflight(ctx, p, current, opts.TakeOwnership)
	if err != nil {
		return rls, fmt.Errorf("release %q: unable to continue with update: %w", name, err)
	}
	if opts.DryRun == DryRunServer {
		if opts.Changes != nil {
			if err := e.diffDryRun(ctx, p, opts.ForceConflicts, opts.Changes); err != nil {
				return rls, err
			}
		} else if err := e.serverDryRun(ctx, p, opts.ForceConflicts); err != nil {
			return rls, err
		}
		rls.Info.Description = dryRunDescription(opts.Description)
		return rls, nil
	}
	if err := e.checkRecord(rls); err != nil {
		return rls, err
	}
	e.prune(ctx, name, opts.HistoryMax)
	if err := e.store.Create(ctx, rls); err != nil {
		return rls, atStage(fmt.Sprintf("recording revision %d %s", rls.Version, rls.Info.Status), 0, 0, err)
	}
	wait := opts.WaitOptions
	wait.Wait = wait.Wait || opts.Atomic
	created, err := e.execute(ctx, p, execOptions{
		WaitOptions: wait, pre: HookPreUpgrade, post: HookPostUpgrade,
		force: opts.ForceConflicts, replace: opts.ForceReplace, existed: existed, hookLogs: opts.HookLogs,
	})
	fctx, cancel := finalContext(ctx)
	defer cancel()
	if err != nil {
		return e.failUpgrade(ctx, fctx, rls, created, err, opts)
	}
	if err := e.supersedeDeployed(fctx, name, rls.Version); err != nil {
		e.logger.WarnContext(ctx, "marking previous revisions superseded failed", "release", name, "error", err)
	}
	rls.Info.Status = StatusDeployed
	rls.Info.Description = "Upgrade complete"
	if opts.Description != "" {
		rls.Info.Description = opts.Description
	}
	if err := e.store.Update(fctx, rls); err != nil {
		return rls, fmt.Errorf("release %q: upgraded, but recording it deployed failed: %w", name, err)
	}
	return rls, nil
}

// failUpgrade records a failed upgrade, cleans up with CleanupOnFail, and
// rolls back with Atomic.
func (e *Engine) failUpgrade(ctx, fctx context.Context, rls *Release, created []*unstructured.Unstructured, err error, opts UpgradeOptions) (*Release, error) {
	err = interrupted(ctx, outOfTime(ctx, "", err))
	rls.Info.Status = StatusFailed
	rls.Info.Description = fmt.Sprintf("Upgrade %q failed: %s", rls.Name, err)
	uerr := e.store.Update(fctx, rls)
	if uerr != nil {
		e.logger.WarnContext(ctx, "recording the failed upgrade failed", "release", rls.Name, "error", uerr)
	}
	noteRecord(err, rls, uerr)
	if opts.CleanupOnFail && len(created) > 0 {
		e.logger.InfoContext(ctx, "cleanup on fail: deleting created objects", "release", rls.Name, "objects", len(created))
		if cerr := e.cleanup(fctx, created); cerr != nil {
			return rls, fmt.Errorf("release %q: upgrade failed (%w), and cleaning up the objects it created failed: %v", rls.Name, err, cerr)
		}
	}
	if !opts.Atomic {
		return rls, fmt.Errorf("release %q: %w", rls.Name, err)
	}
	if ctx.Err() != nil {
		return rls, fmt.Errorf("release %q: %w (atomic rollback skipped: the operation was interrupted)", rls.Name, err)
	}
	target, ferr := e.lastSuccessful(ctx, rls.Name, rls.Version)
	if ferr != nil {
		return rls, fmt.Errorf("release %q: upgrade failed (%w), and no previous successful revision to roll back to: %v", rls.Name, err, ferr)
	}
	e.logger.WarnContext(ctx, "upgrade failed and atomic is set: rolling back", "release", rls.Name, "to", target, "error", err)
	_, rerr := e.rollback(ctx, rls.Name, RollbackOptions{
		Revision:       target,
		WaitOptions:    WaitOptions{Wait: true, WaitForJobs: opts.WaitForJobs, Timeout: opts.Timeout, Progress: opts.Progress},
		NoHooks:        opts.NoHooks,
		HistoryMax:     opts.HistoryMax,
		ForceConflicts: opts.ForceConflicts,
		HookLogs:       opts.HookLogs,
	})
	if rerr != nil {
		return rls, fmt.Errorf("release %q: upgrade failed (%w), and rolling back to revision %d failed too: %v", rls.Name, err, target, rerr)
	}
	return rls, fmt.Errorf("release %s failed, and has been rolled back to revision %d due to atomic being set: %w", rls.Name, target, err)
}

// lastSuccessful returns the highest revision below rev that is deployed or
// superseded.
func (e *Engine) lastSuccessful(ctx context.Context, name string, rev int) (int, error) {
	for v := rev - 1; v >= 1; v-- {
		r, err := e.store.Get(ctx, name, v)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return 0, err
		}
		if r.Info != nil && (r.Info.Status == StatusDeployed || r.Info.Status == StatusSuperseded) {
			return v, nil
		}
	}
	return 0, fmt.Errorf("release %q: no deployed or superseded revision", name)
}
