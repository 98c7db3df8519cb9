package release

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/bargehq/barge/pkg/kube"
)

func (e *Engine) applyOptions(force, dryRun bool) kube.ApplyOptions {
	return kube.ApplyOptions{FieldManager: e.fieldManager, Force: force, DryRun: dryRun}
}

// preflightConcurrency is how many objects preflight reads at once.
const preflightConcurrency = 16

// preflight reads every object of the plan from the cluster's cache, several
// at once, before anything is applied. Every object must be of a kind the
// cluster serves or one a CustomResourceDefinition of the plan defines (in
// crds/ or among the templates), else it fails with a *MissingKindsError.
// Objects not in current (the revision being replaced) that exist must
// belong to the plan's release, unless adopt. It returns the keys of the
// objects that exist.
func (e *Engine) preflight(ctx context.Context, p *Plan, current []*unstructured.Unstructured, adopt bool) (map[string]bool, error) {
	ours := map[string]bool{}
	for _, o := range current {
		ours[objectKey(o)] = true
	}
	lives := make([]*unstructured.Unstructured, len(p.Apply))
	errs := make([]error, len(p.Apply))
	sem := make(chan struct{}, preflightConcurrency)
	var wg sync.WaitGroup
	for i, o := range p.Apply {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			lives[i], errs[i] = e.cluster.Peek(ctx, o)
		})
	}
	wg.Wait()
	existed := map[string]bool{}
	var owners, unknown []error
	var crds []*unstructured.Unstructured
	for i, o := range p.Apply {
		if err := errs[i]; err != nil {
			var uk *kube.UnknownKindError
			if !errors.As(err, &uk) {
				return nil, err
			}
			if crds == nil {
				crds = shippedCRDs(p)
			}
			if !definesKind(crds, o.GroupVersionKind()) {
				unknown = append(unknown, unknownKind(p.Release.Manifest, o))
			}
			continue // a kind from this chart's CRDs, not installed yet
		}
		live := lives[i]
		if live == nil {
			continue
		}
		k := objectKey(o)
		existed[k] = true
		if ours[k] || adopt {
			continue
		}
		if err := checkOwnership(live, p.Release.Name, p.Release.Namespace); err != nil {
			owners = append(owners, err)
		}
	}
	if len(unknown) > 0 {
		return nil, &MissingKindsError{Errs: unknown}
	}
	return existed, errors.Join(owners...)
}

// serverDryRun has the server validate the plan's objects without
// persisting them.
func (e *Engine) serverDryRun(ctx context.Context, p *Plan, force bool) error {
	if len(p.CRDs) > 0 {
		if _, err := e.cluster.ApplyCRDs(ctx, p.CRDs, e.applyOptions(false, true)); err != nil {
			return fmt.Errorf("release %q: server dry run: %w", p.Release.Name, err)
		}
	}
	if _, err := e.cluster.Apply(ctx, p.Apply, e.applyOptions(force, true)); err != nil {
		return fmt.Errorf("release %q: server dry run: %w", p.Release.Name, err)
	}
	return nil
}

// installCRDs creates the CRDs that do not exist yet and waits for them to
// be established. Existing CRDs are left alone, as Helm does.
func (e *Engine) installCRDs(ctx context.Context, crds []*unstructured.Unstructured, timeout time.Duration) error {
	var missing []*unstructured.Unstructured
	for _, c := range crds {
		live, err := e.cluster.Get(ctx, c)
		if err != nil {
			return err
		}
		if live == nil {
			missing = append(missing, c)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if _, err := e.cluster.ApplyCRDs(ctx, missing, e.applyOptions(false, false)); err != nil {
		return fmt.Errorf("install CRDs: %w", err)
	}
	if err := e.cluster.WaitEstablished(ctx, missing, remaining(ctx, timeout)); err != nil {
		return fmt.Errorf("install CRDs: %w", err)
	}
	return nil
}

// execOptions tune execute.
type execOptions struct {
	WaitOptions
	pre, post HookEvent
	force     bool
	// replace recreates objects the server refuses to change in place.
	replace bool
	// existed holds the keys of the objects that existed before; the
	// others are reported as created.
	existed  map[string]bool
	hookLogs io.Writer
}

// execute runs a stored plan: pre hooks, apply, deletions, wait, post
// hooks. It records hook runs in the store as they happen. It returns the
// objects it created, for CleanupOnFail. Its errors say at which stage they
// happened and how far the apply got (see outOfTime). Waits last at most
// the time left before ctx's deadline.
func (e *Engine) execute(ctx context.Context, p *Plan, x execOptions) ([]*unstructured.Unstructured, error) {
	timeout := x.timeout()
	total := len(p.Apply)
	if err := e.runHooks(ctx, p.Release, x.pre, p.Hooks[x.pre], timeout, x.hookLogs, nil); err != nil {
		return nil, atStage("running "+string(x.pre)+" hooks", 0, 0, fmt.Errorf("%s hooks failed: %w", x.pre, err))
	}
	ao := e.applyOptions(x.force, false)
	ao.Recreate = x.replace
	if p.ClientSide {
		ao.MigrateClientSide = []string{HelmFieldManager, e.fieldManager}
	}
	results, err := e.cluster.Apply(ctx, p.Apply, ao)
	var created []*unstructured.Unstructured
	applied := 0
	for i, r := range results {
		if r.Object == nil {
			continue
		}
		applied++
		if !x.existed[objectKey(p.Apply[i])] {
			created = append(created, p.Apply[i])
		}
	}
	if err != nil {
		return created, atStage("applying objects", applied, total, err)
	}
	if err := e.deleteDropped(ctx, p); err != nil {
		return created, atStage("deleting the objects the revision drops", applied, total, err)
	}
	if x.Wait && len(p.Apply) > 0 {
		wait := remaining(ctx, timeout)
		e.logger.InfoContext(ctx, "waiting for release objects", "release", p.Release.Name, "objects", len(p.Apply), "timeout", wait)
		if err := e.cluster.Wait(ctx, p.Apply, kube.WaitOptions{Timeout: wait, WaitForJobs: x.WaitForJobs, Progress: x.Progress}); err != nil {
			return created, atStage("waiting for the objects to be ready", applied, total, err)
		}
	}
	if err := e.runHooks(ctx, p.Release, x.post, p.Hooks[x.post], timeout, x.hookLogs, nil); err != nil {
		return created, atStage("running "+string(x.post)+" hooks", applied, total, fmt.Errorf("%s hooks failed: %w", x.post, err))
	}
	return created, nil
}

// deleteDropped deletes the objects the new revision drops, skipping those
// gone already and those whose live annotations ask to keep them.
func (e *Engine) deleteDropped(ctx context.Context, p *Plan) error {
	var errs []error
	for _, o := range p.Delete {
		live, err := e.cluster.Get(ctx, o)
		if err != nil {
			var uk *kube.UnknownKindError
			if errors.As(err, &uk) {
				continue
			}
			errs = append(errs, err)
			continue
		}
		if live == nil {
			continue
		}
		if keepPolicy(live) {
			e.logger.InfoContext(ctx, "keeping object by resource policy", "object", kube.RefOf(o).String())
			p.Kept = append(p.Kept, kube.RefOf(o))
			continue
		}
		if err := e.cluster.Delete(ctx, o, kube.DeleteOptions{}); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("delete objects dropped by revision %d: %w", p.Release.Version, errors.Join(errs...))
	}
	return nil
}

// cleanup deletes objects created by a failed operation (CleanupOnFail).
func (e *Engine) cleanup(ctx context.Context, created []*unstructured.Unstructured) error {
	var errs []error
	for _, o := range created {
		if err := e.cluster.Delete(ctx, o, kube.DeleteOptions{}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
