package kube

import (
	"context"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
)

// SharedWaiterOptions tune a SharedWaiter.
type SharedWaiterOptions struct {
	// Selector is a label selector the objects waited for carry, such as
	// app.kubernetes.io/managed-by=Helm, which every object of a release
	// has: each kind is watched once, across namespaces, for the objects it
	// selects. An object it does not select is watched by a second watch of
	// its kind, unfiltered. Nil watches every object of each kind.
	Selector labels.Selector
}

// SharedWaiter waits, like Client.Wait, for the objects of many operations
// at once (the releases of a fleet), with one list and one watch per kind
// for all of them instead of a list and a watch per kind and namespace for
// each. Each Wait subscribes to the changes of its own objects, computes
// their readiness with kstatus as Client.Wait does, and ends as Client.Wait
// would, with the same errors.
//
// A watch is started the first time an object of its kind is waited for,
// and runs until Close. The objects of each watched kind are kept in memory
// (without their managed fields).
//
// A SharedWaiter may be used by several goroutines at once.
type SharedWaiter struct {
	c        *Client
	selector labels.Selector

	mu      sync.Mutex
	closed  bool
	watches map[watchKey]*objectWatch // each across namespaces
	subs    map[objKey]map[*subscription]struct{}
	applied map[objKey]appliedVersion
}

// subscription is one Wait's interest in its objects: wake receives a value
// (at most one pending) when one of them changes.
type subscription struct {
	wake chan struct{}
}

// appliedVersion is an object as an apply left it: a cached copy of
// another incarnation or of an older generation is not yet the object
// waited for.
type appliedVersion struct {
	uid        types.UID
	generation int64
}

// NewSharedWaiter returns a SharedWaiter using c's clients. Close it when
// done to stop its watches.
func (c *Client) NewSharedWaiter(opts SharedWaiterOptions) *SharedWaiter {
	return &SharedWaiter{
		c:        c,
		selector: opts.Selector,
		watches:  map[watchKey]*objectWatch{},
		subs:     map[objKey]map[*subscription]struct{}{},
		applied:  map[objKey]appliedVersion{},
	}
}

// Close stops the watches and waits for them to end. Waits in progress end
// as if interrupted; later ones fall back to Client.Wait.
func (w *SharedWaiter) Close() {
	w.mu.Lock()
	w.closed = true
	watches := w.watches
	for _, ow := range watches {
		ow.cancel()
	}
	subs := w.subs
	w.subs = map[objKey]map[*subscription]struct{}{}
	w.mu.Unlock()
	for _, set := range subs {
		for s := range set {
			s.notify()
		}
	}
	for _, ow := range watches {
		<-ow.stopped
	}
}

// Applied records the objects an apply returned, so that a later Wait of
// the same objects does not take a copy its watch has not replaced yet (the
// previous generation of a Deployment, ready) for the applied one. Results
// of dry runs and of objects not applied are ignored.
func (w *SharedWaiter) Applied(results []Result) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, r := range results {
		if r.Object == nil || r.Object.GetUID() == "" {
			continue
		}
		w.applied[keyOf(r.Object)] = appliedVersion{uid: r.Object.GetUID(), generation: r.Object.GetGeneration()}
	}
}

// Wait waits until every object in objs is ready (kstatus's Current), and,
// with opts.WaitForJobs, every Job has completed, exactly as Client.Wait
// does and with the same errors, but through the shared watches. When a
// kind cannot be listed across namespaces (the user may only read some
// namespaces), it falls back to Client.Wait for these objects.
func (w *SharedWaiter) Wait(ctx context.Context, objs []*unstructured.Unstructured, opts WaitOptions) error {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultWaitTimeout
	}
	var targets []waitTarget
	seen := map[objKey]bool{}
	for _, obj := range objs {
		r, err := w.c.resolve(ctx, obj)
		if err != nil {
			return err
		}
		id := keyOf(r.obj)
		if seen[id] {
			continue
		}
		seen[id] = true
		sel := ""
		if w.selector != nil && w.selector.Matches(labels.Set(r.obj.GetLabels())) {
			sel = w.selector.String()
		}
		ow, ok := w.watch(ctx, watchKey{gvr: r.mapping.Resource, selector: sel})
		if !ok {
			return w.c.Wait(ctx, objs, opts)
		}
		targets = append(targets, waitTarget{id: id, ref: r.ref(), key: storeKey(r.obj), watch: ow})
	}
	if len(targets) == 0 {
		return nil
	}

	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	sub := &subscription{wake: make(chan struct{}, 1)}
	w.subscribe(sub, targets)
	defer w.unsubscribe(sub, targets)

	l := &waitLoop{
		targets:  targets,
		fn:       readyStatus(opts.WaitForJobs),
		done:     func(s State) bool { return s == StateCurrent || s == StateFailed },
		progress: opts.Progress,
		wake:     sub.wake,
		refused:  refusedAcross,
		stale:    w.stale,
		stopped:  w.isClosed,
	}
	finished, err := l.run(wctx)
	if err != nil {
		if wctx.Err() != nil {
			return l.outcome(wctx, "ready", timeout, false, StateCurrent)
		}
		// A watch cannot serve: wait the usual way, in the time left.
		left := timeout
		if dl, ok := wctx.Deadline(); ok {
			left = time.Until(dl)
		}
		opts.Timeout = max(left, time.Millisecond)
		return w.c.Wait(ctx, objs, opts)
	}
	return l.outcome(wctx, "ready", timeout, finished, StateCurrent)
}

// refusedAcross says whether a list or watch error across namespaces means
// the objects must be watched some other way: the user may not read the
// resource in every namespace, or the resource cannot be watched so.
func refusedAcross(err error) bool {
	return apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) || apierrors.IsMethodNotSupported(err)
}

// stale says whether u, a watch's copy of t, is another incarnation or an
// older generation of the object an apply left.
func (w *SharedWaiter) stale(t waitTarget, u *unstructured.Unstructured) bool {
	w.mu.Lock()
	a, ok := w.applied[t.id]
	w.mu.Unlock()
	return ok && (u.GetUID() != a.uid || u.GetGeneration() < a.generation)
}

func (w *SharedWaiter) isClosed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closed
}

func (w *SharedWaiter) subscribe(s *subscription, targets []waitTarget) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, t := range targets {
		set := w.subs[t.id]
		if set == nil {
			set = map[*subscription]struct{}{}
			w.subs[t.id] = set
		}
		set[s] = struct{}{}
	}
}

func (w *SharedWaiter) unsubscribe(s *subscription, targets []waitTarget) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, t := range targets {
		if set := w.subs[t.id]; set != nil {
			delete(set, s)
			if len(set) == 0 {
				delete(w.subs, t.id)
			}
		}
	}
}

// changed wakes the Waits of the object obj names, or every Wait when obj
// is nil: a watch has listed its objects or its requests fail or succeed
// again.
func (w *SharedWaiter) changed(obj any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if obj == nil {
		for _, set := range w.subs {
			for s := range set {
				s.notify()
			}
		}
		return
	}
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return
	}
	for s := range w.subs[keyOf(u)] {
		s.notify()
	}
}

func (s *subscription) notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// watch returns the shared watch of k, starting it if needed; false when
// the waiter is closed.
func (w *SharedWaiter) watch(ctx context.Context, k watchKey) (*objectWatch, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, false
	}
	if ow, ok := w.watches[k]; ok {
		return ow, true
	}
	// The watch outlives the Wait that started it: it stops with Close.
	ow := startWatch(context.WithoutCancel(ctx), w.c.dynamic, w.c.logger, k, w.changed)
	w.watches[k] = ow
	w.c.logger.DebugContext(ctx, "started a shared watch", "resource", k.gvr.String(), "selector", k.selector)
	return ow, true
}
