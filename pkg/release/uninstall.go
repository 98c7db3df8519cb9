package release

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/bargehq/barge/pkg/kube"
)

// UninstallOptions tune Uninstall. The zero value deletes the release's
// objects in the background and all its records, as Helm 3 does.
type UninstallOptions struct {
	// Wait waits until the deleted objects are gone; Timeout bounds it and
	// each hook.
	WaitOptions
	// TakeOver recovers at once a pending or uninstalling revision that no
	// barge lock covers, instead of taking it for another client's live
	// operation while it is younger than ForeignPendingAge.
	TakeOver bool
	// DryRun only reports what would be deleted.
	DryRun bool
	// KeepHistory keeps the records, the last one marked uninstalled.
	KeepHistory bool
	// Cascade is what happens to the dependents of deleted objects; empty
	// means kube.PropagationBackground.
	Cascade kube.Propagation
	// NoHooks skips the delete hooks.
	NoHooks bool
	// IgnoreNotFound makes a missing release no error.
	IgnoreNotFound bool
	// Description replaces "Uninstallation complete" in a kept record.
	Description string
	// HookLogs receives the logs of hook Pods whose output log policy asks.
	HookLogs io.Writer
}

// UninstallResult is what Uninstall did.
type UninstallResult struct {
	// Release is the last revision, marked uninstalled.
	Release *Release
	// Deleted are the objects deleted.
	Deleted []kube.ObjectRef
	// Kept are the objects kept by helm.sh/resource-policy: keep.
	Kept []kube.ObjectRef
}

// PlanUninstall computes what Uninstall would do: the objects of the last
// revision to delete, in Helm's uninstall order, those kept by policy, and
// the delete hooks.
func (e *Engine) PlanUninstall(ctx context.Context, name string, opts UninstallOptions) (*Plan, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	last, err := e.store.Last(ctx, name)
	if err != nil {
		return nil, err
	}
	p := &Plan{Operation: OpUninstall, Release: last}
	if p.Delete, p.Kept, err = droppedObjects(last, nil); err != nil {
		return nil, fmt.Errorf("release %q: corrupted release record, delete its objects by hand: %w", name, err)
	}
	if !opts.NoHooks {
		p.Hooks = hooksByEvent(last.Hooks, HookPreDelete, HookPostDelete)
	}
	return p, nil
}

// Uninstall deletes release name: it runs the pre-delete hooks, deletes the
// objects of the last revision in Helm's uninstall order (except those
// annotated helm.sh/resource-policy: keep), waits until they are gone if
// asked, runs the post-delete hooks, and deletes every record of the
// release, or with opts.KeepHistory marks the last one uninstalled. It
// holds the release's lock throughout.
func (e *Engine) Uninstall(ctx context.Context, name string, opts UninstallOptions) (*UninstallResult, error) {
	if opts.DryRun {
		p, err := e.PlanUninstall(ctx, name, opts)
		if err != nil {
			if opts.IgnoreNotFound && errors.Is(err, ErrNotFound) {
				return nil, nil
			}
			return nil, err
		}
		res := &UninstallResult{Release: p.Release, Kept: p.Kept}
		for _, o := range p.Delete {
			res.Deleted = append(res.Deleted, kube.RefOf(o))
		}
		return res, nil
	}
	if err := e.needCluster("uninstall"); err != nil {
		return nil, err
	}
	op, ctx, unlock, err := e.lock(ctx, name, opts.TakeOver)
	if err != nil {
		return nil, err
	}
	defer unlock()
	res, err := op.uninstall(ctx, name, opts)
	return res, op.stopped(ctx, name, err)
}

// uninstall is Uninstall with the lock held.
func (e *Engine) uninstall(ctx context.Context, name string, opts UninstallOptions) (*UninstallResult, error) {
	p, err := e.PlanUninstall(ctx, name, opts)
	if err != nil {
		if opts.IgnoreNotFound && errors.Is(err, ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	rls := p.Release
	res := &UninstallResult{Release: rls, Kept: p.Kept}
	if rls.Info.Status == StatusUninstalled {
		if opts.KeepHistory {
			return nil, fmt.Errorf("the release named %q is already deleted", name)
		}
		if err := e.purge(ctx, name, rls.Version); err != nil {
			return nil, fmt.Errorf("uninstall: failed to purge the release %q: %w", name, err)
		}
		return res, nil
	}
	before := *rls.Info
	rls.Info.Status = StatusUninstalling
	rls.Info.Deleted = e.now()
	rls.Info.Description = "Deletion in progress (or silently failed)"
	timeout := opts.timeout()
	if err := e.runHooks(ctx, rls, HookPreDelete, p.Hooks[HookPreDelete], timeout, opts.HookLogs, nil); err != nil {
		e.restore(ctx, rls, before)
		return res, fmt.Errorf("release %q: uninstall stopped, nothing deleted: pre-delete hooks failed: %w", name, err)
	}
	if err := e.store.Update(ctx, rls); err != nil {
		if errors.Is(err, ErrLockLost) || errors.Is(err, ErrChanged) {
			return res, fmt.Errorf("release %q: uninstall stopped, nothing deleted: %w", name, err)
		}
		e.logger.WarnContext(ctx, "recording the uninstall in progress failed", "release", name, "error", err)
	}
	// Helm takes no lock: an upgrade it began just before this uninstall
	// marked the release may have written its revision since. Leave the
	// release to it rather than delete what it deploys.
	if newer, err := e.newerRevision(ctx, rls); err != nil || newer != nil {
		e.restore(ctx, rls, before)
		if err != nil {
			return res, fmt.Errorf("release %q: uninstall stopped, nothing deleted: %w", name, err)
		}
		return res, fmt.Errorf("release %q: uninstall stopped, nothing deleted: %w", name,
			&BusyError{Release: name, Namespace: e.namespace, Revision: newer.Version, Status: newer.Info.Status, Age: e.now().Sub(newer.Info.LastDeployed)})
	}

	var errs []error
	for _, o := range p.Delete {
		if err := e.cluster.Delete(ctx, o, kube.DeleteOptions{Propagation: opts.Cascade}); err != nil {
			var uk *kube.UnknownKindError
			if errors.As(err, &uk) {
				continue // its CRD is gone, and the object with it
			}
			errs = append(errs, err)
			continue
		}
		res.Deleted = append(res.Deleted, kube.RefOf(o))
	}
	if len(errs) > 0 {
		err := interrupted(ctx, fmt.Errorf("failed to delete release objects: %w", errors.Join(errs...)))
		return res, e.failUninstall(ctx, rls, len(res.Deleted), err)
	}
	if opts.Wait && len(p.Delete) > 0 {
		if err := e.cluster.WaitDeleted(ctx, p.Delete, remaining(ctx, timeout)); err != nil {
			errs = append(errs, err)
		}
	}
	if err := e.runHooks(ctx, rls, HookPostDelete, p.Hooks[HookPostDelete], timeout, opts.HookLogs, nil); err != nil {
		errs = append(errs, fmt.Errorf("post-delete hooks failed: %w", err))
	}

	fctx, cancel := finalContext(ctx)
	defer cancel()
	rls.Info.Status = StatusUninstalled
	rls.Info.Description = "Uninstallation complete"
	if opts.Description != "" {
		rls.Info.Description = opts.Description
	}
	if newer, err := e.newerRevision(fctx, rls); err != nil || newer != nil {
		if err == nil {
			err = fmt.Errorf("another client wrote revision %d (%s) while this uninstall ran: the records are left as they are; its objects may have been deleted: `barge upgrade` restores them",
				newer.Version, newer.Info.Status)
		}
		errs = append(errs, err)
	} else if !opts.KeepHistory {
		if err := e.purge(fctx, name, rls.Version); err != nil {
			errs = append(errs, fmt.Errorf("failed to purge the release: %w", err))
		}
	} else {
		if err := e.store.Update(fctx, rls); err != nil {
			errs = append(errs, err)
		}
		if err := e.supersedeDeployed(fctx, name, rls.Version); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return res, fmt.Errorf("release %q: uninstallation completed with %d error(s): %w", name, len(errs), errors.Join(errs...))
	}
	return res, nil
}

// restore writes back the info rls had before an uninstall that deleted
// nothing, keeping the hook runs it recorded.
func (e *Engine) restore(ctx context.Context, rls *Release, before Info) {
	fctx, cancel := finalContext(ctx)
	defer cancel()
	*rls.Info = before
	if err := e.store.Update(fctx, rls); err != nil {
		e.logger.WarnContext(ctx, "restoring the release record failed", "release", rls.Name, "error", err)
	}
}

// newerRevision returns the release's last revision if it is newer than
// rls, which this operation works on: another client (Helm) wrote it.
func (e *Engine) newerRevision(ctx context.Context, rls *Release) (*Release, error) {
	last, err := e.store.Last(ctx, rls.Name)
	if err != nil {
		return nil, err
	}
	if last.Version > rls.Version && last.Info != nil {
		return last, nil
	}
	return nil, nil
}

// failUninstall records failed an uninstall that stopped after deleting
// some of the release's objects, so that the release is left neither
// uninstalling nor deployed: uninstall finishes it, upgrade restores it.
func (e *Engine) failUninstall(ctx context.Context, rls *Release, deleted int, err error) error {
	fctx, cancel := finalContext(ctx)
	defer cancel()
	rls.Info.Status = StatusFailed
	rls.Info.Description = fmt.Sprintf("Uninstall %q failed after deleting %d object(s): %s; uninstall again to finish, or upgrade to restore it", rls.Name, deleted, err)
	if uerr := e.store.Update(fctx, rls); uerr != nil {
		return fmt.Errorf("release %q: %w (and recording the release failed also failed, leaving it %s: %v)", rls.Name, err, StatusUninstalling, uerr)
	}
	return fmt.Errorf("release %q: %w (revision %d recorded failed)", rls.Name, err, rls.Version)
}

// purge deletes every record of a release, up to revision upTo, the one
// the uninstall worked on, newest first. A revision above it, or one
// numbered upTo once upTo is deleted, was written by another client (Helm
// installing the release anew as soon as it was gone): purge stops there
// and leaves it.
func (e *Engine) purge(ctx context.Context, name string, upTo int) error {
	ownDeleted := false
	for {
		last, err := e.store.Last(ctx, name)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if last.Version > upTo || last.Version == upTo && ownDeleted {
			status := Status("")
			if last.Info != nil {
				status = last.Info.Status
			}
			return fmt.Errorf("another client wrote revision %d (%s) while this uninstall ran: left it and what it deployed", last.Version, status)
		}
		if _, err := e.store.Delete(ctx, name, last.Version); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		ownDeleted = ownDeleted || last.Version == upTo
	}
}
