package release

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
)

// RollbackOptions tune Rollback. The zero value rolls back to the previous
// revision without waiting.
type RollbackOptions struct {
	WaitOptions
	// TakeOver recovers at once a pending or uninstalling revision that no
	// barge lock covers, instead of taking it for another client's live
	// operation while it is younger than ForeignPendingAge.
	TakeOver bool
	// Revision is the revision to roll back to; zero means the one before
	// the last.
	Revision int
	// DryRun only computes the new revision; nothing is stored or changed.
	DryRun bool
	// NoHooks skips the rollback hooks.
	NoHooks bool
	// CleanupOnFail deletes the objects the failed rollback created.
	CleanupOnFail bool
	// HistoryMax is how many revisions to keep; zero means
	// DefaultHistoryMax, negative keeps all.
	HistoryMax int
	// ForceConflicts takes over fields other field managers own.
	ForceConflicts bool
	// ForceReplace deletes and recreates the objects whose change the
	// server refuses because it touches immutable fields (--force-replace).
	ForceReplace bool
	// Description replaces "Rollback to N" in the record.
	Description string
	// HookLogs receives the logs of hook Pods whose output log policy asks.
	HookLogs io.Writer
}

// PlanRollback computes what Rollback would do: a new revision copying the
// chart, values, manifest and hooks of the target revision, the objects to
// apply, and the objects of the last revision it drops. It reads the store
// and talks to no cluster.
func (e *Engine) PlanRollback(ctx context.Context, name string, opts RollbackOptions) (*Plan, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	if opts.Revision < 0 {
		return nil, fmt.Errorf("release %q: invalid revision %d: revisions start at 1", name, opts.Revision)
	}
	current, err := e.store.Last(ctx, name)
	if err != nil {
		return nil, err
	}
	target := opts.Revision
	if target == 0 {
		target = current.Version - 1
	}
	prev, err := e.store.Get(ctx, name, target)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("release %q has no revision %d (its last is %d): %w", name, target, current.Version, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	hooks := make([]*Hook, len(prev.Hooks))
	for i, h := range prev.Hooks {
		c := *h
		hooks[i] = &c
	}
	p := &Plan{Operation: OpRollback, Current: current, ClientSide: AppliedClientSide(current)}
	p.Release = &Release{
		Name:      name,
		Namespace: current.Namespace,
		Chart:     prev.Chart,
		Config:    prev.Config,
		Manifest:  prev.Manifest,
		Hooks:     hooks,
		Version:   current.Version + 1,
		Labels:    maps.Clone(prev.Labels),
		Info: &Info{
			FirstDeployed:    current.Info.FirstDeployed,
			LastDeployed:     e.now(),
			Status:           StatusPendingRollback,
			Notes:            prev.Info.Notes,
			Description:      cmp.Or(opts.Description, fmt.Sprintf("Rollback to %d", target)),
			RollbackRevision: target,
		},
		ApplyMethod: ApplyMethodServerSide,
	}
	if err := e.planReplacement(p, current, opts.NoHooks, HookPreRollback, HookPostRollback); err != nil {
		return nil, err
	}
	return p, nil
}

// Rollback rolls release name back to an earlier revision: it records a
// new revision ("Rollback to N") pending-rollback with that revision's
// chart, values and manifest, runs the pre-rollback hooks, applies the
// objects, deletes those the last revision had and the target lacks,
// waits if asked, runs the post-rollback hooks, and marks the new revision
// deployed and every earlier deployed one superseded. It holds the
// release's lock throughout.
func (e *Engine) Rollback(ctx context.Context, name string, opts RollbackOptions) (*Release, error) {
	if opts.DryRun {
		p, err := e.PlanRollback(ctx, name, opts)
		if err != nil {
			return nil, err
		}
		return p.Release, nil
	}
	if err := e.needCluster("rollback"); err != nil {
		return nil, err
	}
	lctx := ctx
	op, ctx, unlock, err := e.lock(ctx, name, opts.TakeOver)
	if err != nil {
		return nil, outOfTime(lctx, "taking the release's lock", err)
	}
	defer unlock()
	rls, err := op.rollback(ctx, name, opts)
	return rls, op.stopped(ctx, name, outOfTime(ctx, "preparing the rollback", err))
}

// rollback is Rollback with the lock held.
func (e *Engine) rollback(ctx context.Context, name string, opts RollbackOptions) (*Release, error) {
	p, err := e.PlanRollback(ctx, name, opts)
	if err != nil {
		return nil, err
	}
	opts.ForceConflicts = opts.ForceConflicts || p.ClientSide
	rls := p.Release
	current, err := parseObjects("current manifest", p.Current.Manifest, p.Current.Namespace)
	if err != nil {
		return rls, err
	}
	// Objects of the target revision were the release's; take them back.
	existed, err := e.preflight(ctx, p, current, true)
	if err != nil {
		return rls, err
	}
	if err := e.checkRecord(rls); err != nil {
		return rls, err
	}
	e.prune(ctx, name, opts.HistoryMax)
	if err := e.store.Create(ctx, rls); err != nil {
		return rls, atStage(fmt.Sprintf("recording revision %d %s", rls.Version, rls.Info.Status), 0, 0, err)
	}
	created, err := e.execute(ctx, p, execOptions{
		WaitOptions: opts.WaitOptions, pre: HookPreRollback, post: HookPostRollback,
		force: opts.ForceConflicts, replace: opts.ForceReplace, existed: existed, hookLogs: opts.HookLogs,
	})
	fctx, cancel := finalContext(ctx)
	defer cancel()
	if err != nil {
		err = interrupted(ctx, outOfTime(ctx, "", err))
		rls.Info.Status = StatusFailed
		rls.Info.Description = fmt.Sprintf("Rollback %q failed: %s", name, err)
		uerr := e.store.Update(fctx, rls)
		if uerr != nil {
			e.logger.WarnContext(ctx, "recording the failed rollback failed", "release", name, "error", uerr)
		}
		noteRecord(err, rls, uerr)
		if opts.CleanupOnFail && len(created) > 0 {
			if cerr := e.cleanup(fctx, created); cerr != nil {
				return rls, fmt.Errorf("release %q: rollback failed (%w), and cleaning up the objects it created failed: %v", name, err, cerr)
			}
		}
		return rls, fmt.Errorf("release %q: %w", name, err)
	}
	if err := e.supersedeDeployed(fctx, name, rls.Version); err != nil {
		e.logger.WarnContext(ctx, "marking previous revisions superseded failed", "release", name, "error", err)
	}
	rls.Info.Status = StatusDeployed
	if err := e.store.Update(fctx, rls); err != nil {
		return rls, fmt.Errorf("release %q: rolled back, but recording it deployed failed: %w", name, err)
	}
	return rls, nil
}
