package kube

import (
	"context"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/cli-utils/pkg/kstatus/polling/statusreaders"
	"sigs.k8s.io/cli-utils/pkg/object"
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
	watches map[watchKey]*sharedWatch
	subs    map[object.ObjMetadata]map[*subscription]struct{}
	applied map[object.ObjMetadata]appliedVersion
	running sync.WaitGroup
}

// watchKey identifies one shared watch: a resource and a label selector.
type watchKey struct {
	gvr      schema.GroupVersionResource
	selector string
}

// sharedWatch is the list and watch of one resource, across namespaces.
type sharedWatch struct {
	informer cache.SharedIndexInformer
	cancel   context.CancelFunc

	mu  sync.Mutex
	err error // the last list or watch error, until the next sync
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
		watches:  map[watchKey]*sharedWatch{},
		subs:     map[object.ObjMetadata]map[*subscription]struct{}{},
		applied:  map[object.ObjMetadata]appliedVersion{},
	}
}

// Close stops the watches and waits for them to end. Waits in progress end
// as if interrupted; later ones fall back to Client.Wait.
func (w *SharedWaiter) Close() {
	w.mu.Lock()
	w.closed = true
	for _, sw := range w.watches {
		sw.cancel()
	}
	subs := w.subs
	w.subs = map[object.ObjMetadata]map[*subscription]struct{}{}
	w.mu.Unlock()
	for _, set := range subs {
		for s := range set {
			s.notify()
		}
	}
	w.running.Wait()
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
		w.applied[object.UnstructuredToObjMetadata(r.Object)] = appliedVersion{uid: r.Object.GetUID(), generation: r.Object.GetGeneration()}
	}
}

// target is one object of a Wait.
type target struct {
	id    object.ObjMetadata
	ref   ObjectRef
	key   string // the object's key in its watch's store
	watch *sharedWatch
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
	var targets []target
	seen := map[object.ObjMetadata]bool{}
	for _, obj := range objs {
		r, err := w.c.resolve(ctx, obj)
		if err != nil {
			return err
		}
		id := object.UnstructuredToObjMetadata(r.obj)
		if seen[id] {
			continue
		}
		seen[id] = true
		key := r.obj.GetName()
		if r.obj.GetNamespace() != "" {
			key = r.obj.GetNamespace() + "/" + key
		}
		targets = append(targets, target{id: id, ref: r.ref(), key: key})
		sel := ""
		if w.selector != nil && w.selector.Matches(labels.Set(r.obj.GetLabels())) {
			sel = w.selector.String()
		}
		sw, ok := w.watch(ctx, watchKey{gvr: r.mapping.Resource, selector: sel})
		if !ok {
			return w.c.Wait(ctx, objs, opts)
		}
		targets[len(targets)-1].watch = sw
	}
	if len(targets) == 0 {
		return nil
	}

	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	sub := &subscription{wake: make(chan struct{}, 1)}
	w.subscribe(sub, targets)
	defer w.unsubscribe(sub, targets)

	current := make(map[object.ObjMetadata]Status, len(targets))
	ids := make(object.ObjMetadataSet, len(targets))
	for i, t := range targets {
		ids[i] = t.id
		s := Status{Ref: t.ref, State: StateUnknown}
		current[t.id] = s
		if opts.Progress != nil {
			opts.Progress(s)
		}
	}

	synced := false
	for _, t := range targets {
		if err := t.watch.waitSynced(wctx); err != nil {
			if wctx.Err() != nil {
				break
			}
			// This watch cannot serve: wait the usual way, in the time left.
			left := timeout
			if dl, ok := wctx.Deadline(); ok {
				left = time.Until(dl)
			}
			opts.Timeout = max(left, time.Millisecond)
			return w.c.Wait(ctx, objs, opts)
		}
	}
	synced = wctx.Err() == nil

	fn := readyStatus(opts.WaitForJobs)
	done := func(s State) bool { return s == StateCurrent || s == StateFailed }
	for synced {
		for _, t := range targets {
			s := w.status(t, fn)
			if current[t.id] != s {
				current[t.id] = s
				if opts.Progress != nil {
					opts.Progress(s)
				}
			}
		}
		if finishedNow(true, ids, current, done) {
			break
		}
		select {
		case <-wctx.Done():
		case <-sub.wake:
		}
		if wctx.Err() != nil || w.isClosed() {
			break
		}
	}
	return waitOutcome(wctx, "ready", timeout, ids, current, synced && finishedNow(true, ids, current, done), StateCurrent)
}

// status computes the readiness of t from its watch's copy.
func (w *SharedWaiter) status(t target, fn statusreaders.StatusFunc) Status {
	item, ok, err := t.watch.informer.GetStore().GetByKey(t.key)
	if err != nil || !ok {
		return Status{Ref: t.ref, State: StateNotFound, Message: "not found"}
	}
	u, isU := item.(*unstructured.Unstructured)
	if !isU {
		return Status{Ref: t.ref, State: StateUnknown, Message: fmt.Sprintf("unexpected %T in the watch's cache", item)}
	}
	w.mu.Lock()
	a, hasApplied := w.applied[t.id]
	w.mu.Unlock()
	if hasApplied && (u.GetUID() != a.uid || u.GetGeneration() < a.generation) {
		return Status{Ref: t.ref, State: StateUnknown, Message: "the watch has not seen the applied object yet"}
	}
	res, err := fn(u)
	if err != nil {
		return Status{Ref: t.ref, State: StateUnknown, Message: err.Error()}
	}
	return Status{Ref: t.ref, State: State(res.Status), Message: res.Message}
}

func (w *SharedWaiter) isClosed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closed
}

func (w *SharedWaiter) subscribe(s *subscription, targets []target) {
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

func (w *SharedWaiter) unsubscribe(s *subscription, targets []target) {
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

// changed wakes the Waits of the object obj names.
func (w *SharedWaiter) changed(obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return
	}
	id := object.UnstructuredToObjMetadata(u)
	w.mu.Lock()
	defer w.mu.Unlock()
	for s := range w.subs[id] {
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
func (w *SharedWaiter) watch(ctx context.Context, k watchKey) (*sharedWatch, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, false
	}
	if sw, ok := w.watches[k]; ok {
		return sw, true
	}
	ri := w.c.dynamic.Resource(k.gvr)
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.LabelSelector = k.selector
			return ri.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.LabelSelector = k.selector
			return ri.Watch(ctx, o)
		},
	}
	inf := cache.NewSharedIndexInformerWithOptions(lw, &unstructured.Unstructured{}, cache.SharedIndexInformerOptions{})
	sw := &sharedWatch{informer: inf}
	// The errors below only come from an informer already started.
	_ = inf.SetTransform(func(obj any) (any, error) {
		if m, err := meta.Accessor(obj); err == nil {
			m.SetManagedFields(nil)
		}
		return obj, nil
	})
	_ = inf.SetWatchErrorHandlerWithContext(func(ctx context.Context, r *cache.Reflector, err error) {
		sw.mu.Lock()
		sw.err = err
		sw.mu.Unlock()
		cache.DefaultWatchErrorHandler(ctx, r, err)
	})
	handle := func(obj any) { w.changed(obj) }
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    handle,
		UpdateFunc: func(_, obj any) { handle(obj) },
		DeleteFunc: handle,
	})
	// The watch outlives the Wait that started it: it stops with Close.
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	sw.cancel = cancel
	w.watches[k] = sw
	w.running.Add(1)
	go func() {
		defer w.running.Done()
		inf.RunWithContext(wctx)
	}()
	w.c.logger.DebugContext(ctx, "started a shared watch", "resource", k.gvr.String(), "selector", k.selector)
	return sw, true
}

// waitSynced waits until the watch has listed its objects. It fails at once
// when listing is refused (forbidden, or the resource is gone), and when
// ctx ends.
func (sw *sharedWatch) waitSynced(ctx context.Context) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for !sw.informer.HasSynced() {
		sw.mu.Lock()
		err := sw.err
		sw.mu.Unlock()
		if err != nil && (apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) || apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err)) {
			return fmt.Errorf("watch objects: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// waitOutcome is the result of a wait that ended: nil when every object
// reached want, otherwise a *WaitError listing the others; finished says
// whether every object reached a final state (otherwise the wait timed out
// or was interrupted).
func waitOutcome(ctx context.Context, goal string, timeout time.Duration, ids object.ObjMetadataSet,
	current map[object.ObjMetadata]Status, finished bool, want State) error {
	werr := &WaitError{Goal: goal, Total: len(ids), Timeout: timeout}
	for _, id := range ids {
		if s := current[id]; s.State != want {
			werr.Pending = append(werr.Pending, s)
		}
	}
	if !finished {
		werr.Err = ctx.Err()
		if werr.Err == nil {
			werr.Err = context.Canceled
		}
	}
	if len(werr.Pending) == 0 {
		return nil
	}
	return werr
}
