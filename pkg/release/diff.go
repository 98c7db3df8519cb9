package release

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/bargehq/barge/pkg/diff"
	"github.com/bargehq/barge/pkg/kube"
)

// DefaultDiffConcurrency is how many objects a diff checks at once.
const DefaultDiffConcurrency = 16

// HelmFieldManager is the field manager Helm writes objects as; fields it
// owns count as the release's when looking for foreign fields.
const HelmFieldManager = "helm"

// DiffOptions tune DiffPlan and DiffRelease.
type DiffOptions struct {
	// ForceConflicts is the operation's --force-conflicts: without it, an
	// object whose fields other managers own is reported with a Conflict
	// (the operation would fail on it), and its change is computed as a
	// forced apply would make it.
	ForceConflicts bool
	// ShowSecrets shows the values of Secrets; they are masked by default.
	ShowSecrets bool
	// SuppressLines drops matching lines of the objects' YAML before
	// comparing them.
	SuppressLines []*regexp.Regexp
	// Owners are the field managers whose fields are the release's; empty
	// means the engine's field manager and HelmFieldManager.
	Owners []string
	// Concurrency bounds the objects checked at once; zero means
	// DefaultDiffConcurrency.
	Concurrency int
}

func (e *Engine) diffOptions(o DiffOptions) diff.Options {
	owners := o.Owners
	if len(owners) == 0 {
		owners = []string{e.fieldManager, HelmFieldManager}
	}
	return diff.Options{ShowSecrets: o.ShowSecrets, SuppressLines: o.SuppressLines, Owners: owners}
}

// DiffPlan compares what plan p would make of the cluster with what is in
// it now. For each object p applies, the live object is read and a
// server-side apply dry run (dryRun=All, the engine's field manager, as the
// real operation applies it) gives the object as it would become; the two
// are compared without the fields the server owns. Objects that do not
// exist are creations (the CRDs of crds/ only when missing, as install
// creates them); the objects p drops that still exist are deletions,
// unless their live annotations keep them. Hooks are listed, not compared.
//
// It changes nothing. The objects are checked concurrently, at most
// opts.Concurrency at a time. An object the server refuses fails the diff
// as it would fail the operation, except conflicts with other field
// managers, reported on the object (see DiffOptions.ForceConflicts). An
// upgrade or rollback from a revision applied client-side takes its fields
// over, as the operation itself does, so such conflicts are not reported.
func (e *Engine) DiffPlan(ctx context.Context, p *Plan, opts DiffOptions) (*diff.ChangeSet, error) {
	if err := e.needCluster("diff"); err != nil {
		return nil, err
	}
	var items []diffItem
	if p.Namespace != nil {
		items = append(items, diffItem{obj: p.Namespace, createOnly: true})
	}
	for _, c := range p.CRDs {
		items = append(items, diffItem{obj: c, createOnly: true})
	}
	for _, o := range p.Apply {
		items = append(items, diffItem{obj: o})
	}
	for _, o := range p.Delete {
		items = append(items, diffItem{obj: o, drop: true})
	}
	cs := &diff.ChangeSet{}
	force := opts.ForceConflicts || p.ClientSide
	if err := e.compareItems(ctx, items, opts, force, cs); err != nil {
		return nil, fmt.Errorf("release %q: diff: %w", p.Release.Name, err)
	}
	for _, k := range p.Kept {
		cs.Add(diff.NewKeep(k.APIVersion, k.Kind, k.Namespace, k.Name))
	}
	cs.Hooks = planHooks(p)
	return cs, nil
}

// DiffRelease compares the live objects of release name with what its
// last deployed revision (or, when none is deployed, its last revision)
// applied: a forced server-side apply dry run of the stored manifest shows
// what the next apply would revert, and each live object's managedFields
// show the fields other managers added, which an apply keeps (reported as
// Foreign). An object deleted behind the release's back is a creation.
// It changes nothing.
func (e *Engine) DiffRelease(ctx context.Context, name string, opts DiffOptions) (*diff.ChangeSet, error) {
	if err := e.needCluster("drift"); err != nil {
		return nil, err
	}
	rls, err := e.store.Deployed(ctx, name)
	if errors.Is(err, ErrNoDeployed) || errors.Is(err, ErrNotFound) {
		rls, err = e.store.Last(ctx, name)
	}
	if err != nil {
		return nil, err
	}
	objs, err := desiredObjects(rls)
	if err != nil {
		return nil, err
	}
	items := make([]diffItem, len(objs))
	for i, o := range objs {
		items[i] = diffItem{obj: o}
	}
	cs := &diff.ChangeSet{}
	if err := e.compareItems(ctx, items, opts, true, cs); err != nil {
		return nil, fmt.Errorf("release %q: drift: %w", name, err)
	}
	return cs, nil
}

// DiffRevisions compares the stored manifests of two revisions of release
// name, from and to, as DiffManifests does. Zero for to means the last
// revision. It reads the store only.
func (e *Engine) DiffRevisions(ctx context.Context, name string, from, to int, opts DiffOptions) (*diff.ChangeSet, error) {
	a, err := e.store.Get(ctx, name, from)
	if err != nil {
		return nil, err
	}
	var b *Release
	if to == 0 {
		b, err = e.store.Last(ctx, name)
	} else {
		b, err = e.store.Get(ctx, name, to)
	}
	if err != nil {
		return nil, err
	}
	return DiffManifests(a, b, opts)
}

// DiffManifests compares the manifests of two revisions of a release, from
// and to, as rendered (no server defaults, no cluster read): objects only
// in to are creations, objects only in from deletions, or kept when their
// resource policy keeps them. A nil from is a release with no objects, so
// that every object of to is a creation, as for an install. Secrets are
// masked unless opts.ShowSecrets; opts.SuppressLines applies, the other
// options do not.
func DiffManifests(from, to *Release, opts DiffOptions) (*diff.ChangeSet, error) {
	var ao []*unstructured.Unstructured
	if from != nil {
		var err error
		if ao, err = desiredObjects(from); err != nil {
			return nil, err
		}
	}
	bo, err := desiredObjects(to)
	if err != nil {
		return nil, err
	}
	dopts := diff.Options{ShowSecrets: opts.ShowSecrets, SuppressLines: opts.SuppressLines}
	cs := &diff.ChangeSet{}
	inA := map[string]*unstructured.Unstructured{}
	for _, o := range ao {
		inA[objectKey(o)] = o
	}
	for _, o := range bo {
		c, err := diff.Compare(inA[objectKey(o)], o, dopts)
		if err != nil {
			return nil, err
		}
		delete(inA, objectKey(o))
		cs.Add(c)
	}
	for _, o := range ao {
		if _, dropped := inA[objectKey(o)]; !dropped {
			continue
		}
		if keepPolicy(o) {
			cs.Add(diff.NewKeep(o.GetAPIVersion(), o.GetKind(), o.GetNamespace(), o.GetName()))
			continue
		}
		c, err := diff.Compare(o, nil, dopts)
		if err != nil {
			return nil, err
		}
		cs.Add(c)
	}
	return cs, nil
}

// diffItem is one object of a diff and its outcome.
type diffItem struct {
	obj *unstructured.Unstructured
	// createOnly objects are compared only when missing (CRDs of crds/,
	// the namespace made with CreateNamespace).
	createOnly bool
	// drop objects are to be deleted.
	drop   bool
	change *diff.ObjectChange
	err    error
}

// compareItems checks items concurrently and adds their changes to cs in
// the items' order.
func (e *Engine) compareItems(ctx context.Context, items []diffItem, opts DiffOptions, force bool, cs *diff.ChangeSet) error {
	n := opts.Concurrency
	if n <= 0 {
		n = DefaultDiffConcurrency
	}
	dopts := e.diffOptions(opts)
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i := range items {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				items[i].err = ctx.Err()
				return
			}
			defer func() { <-sem }()
			it := &items[i]
			it.change, it.err = e.compareOne(ctx, it, dopts, force)
		})
	}
	wg.Wait()
	var errs []error
	for _, it := range items {
		if it.err != nil {
			errs = append(errs, it.err)
			continue
		}
		if it.change != nil {
			cs.Add(it.change)
		}
	}
	return errors.Join(errs...)
}

// compareOne reads an object and dry-runs its apply (or, for a drop, its
// deletion) and compares the two. It returns nil when there is nothing to
// report.
func (e *Engine) compareOne(ctx context.Context, it *diffItem, dopts diff.Options, force bool) (*diff.ObjectChange, error) {
	live, err := e.cluster.Get(ctx, it.obj)
	var unknown *kube.UnknownKindError
	switch {
	case errors.As(err, &unknown):
		if it.drop {
			return nil, nil
		}
		// A kind that a CRD of this operation defines: the server cannot
		// check it yet.
		c, err := diff.Compare(nil, it.obj, dopts)
		if c != nil {
			c.Note = "the cluster does not serve this kind yet; shown as rendered, without server defaults"
		}
		return c, err
	case err != nil:
		return nil, err
	}
	if it.drop {
		if live == nil {
			return nil, nil
		}
		if keepPolicy(live) {
			return diff.NewKeep(it.obj.GetAPIVersion(), it.obj.GetKind(), live.GetNamespace(), live.GetName()), nil
		}
		return diff.Compare(live, nil, dopts)
	}
	if it.createOnly && live != nil {
		return nil, nil
	}
	after, conflict, err := e.dryRunApply(ctx, it.obj, force)
	if err != nil {
		if live == nil && apierrors.IsNotFound(err) {
			// Its namespace does not exist yet.
			c, cerr := diff.Compare(nil, it.obj, dopts)
			if c != nil {
				c.Note = "its namespace does not exist yet; shown as rendered, without server defaults"
			}
			return c, cerr
		}
		return nil, err
	}
	c, err := diff.Compare(live, after, dopts)
	if c != nil {
		c.Conflict = conflict
	}
	return c, err
}

// dryRunApply applies obj with dryRun=All and returns the object as the
// server would make it. Without force, a conflict is returned as a
// message, and the object as a forced apply would make it.
func (e *Engine) dryRunApply(ctx context.Context, obj *unstructured.Unstructured, force bool) (*unstructured.Unstructured, string, error) {
	res, err := e.cluster.Apply(ctx, []*unstructured.Unstructured{obj}, e.applyOptions(force, true))
	var conflict string
	var ce *kube.ConflictError
	if err != nil && !force && errors.As(err, &ce) {
		conflict = ce.Error() + "; the operation would fail here: rerun it with --force-conflicts to take these fields over (shown as it would then be)"
		res, err = e.cluster.Apply(ctx, []*unstructured.Unstructured{obj}, e.applyOptions(true, true))
	}
	if err != nil {
		return nil, "", err
	}
	if len(res) != 1 || res[0].Object == nil {
		return nil, "", fmt.Errorf("%s: dry-run apply returned no object", kube.RefOf(obj))
	}
	return res[0].Object, conflict, nil
}

// planHooks lists the hooks of p, pre-operation events first.
func planHooks(p *Plan) []diff.Hook {
	order := []HookEvent{HookPreInstall, HookPreUpgrade, HookPreRollback, HookPostInstall, HookPostUpgrade, HookPostRollback}
	var out []diff.Hook
	index := map[*Hook]int{}
	for _, ev := range order {
		for _, h := range p.Hooks[ev] {
			if i, ok := index[h]; ok {
				if !slices.Contains(out[i].Events, string(ev)) {
					out[i].Events = append(out[i].Events, string(ev))
				}
				continue
			}
			index[h] = len(out)
			out = append(out, diff.Hook{Kind: h.Kind, Name: h.Name, Events: []string{string(ev)}, Weight: h.Weight})
		}
	}
	return out
}

// diffDryRun is a server dry run done by DiffPlan: it hands the change set
// to changes and fails, as a plain dry run does, on conflicts with other
// field managers that force does not take over.
func (e *Engine) diffDryRun(ctx context.Context, p *Plan, force bool, changes func(*diff.ChangeSet)) error {
	cs, err := e.DiffPlan(ctx, p, DiffOptions{ForceConflicts: force})
	if err != nil {
		return fmt.Errorf("release %q: server dry run: %w", p.Release.Name, err)
	}
	var errs []error
	for _, c := range cs.Changes {
		if c.Conflict != "" {
			errs = append(errs, errors.New(c.Conflict))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("release %q: server dry run: %w", p.Release.Name, errors.Join(errs...))
	}
	changes(cs)
	return nil
}
