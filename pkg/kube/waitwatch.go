package kube

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

// objKey identifies an object whatever version of its kind it is read at:
// its group, kind, namespace and name.
type objKey struct {
	group, kind, namespace, name string
}

func keyOf(u *unstructured.Unstructured) objKey {
	gk := u.GroupVersionKind().GroupKind()
	return objKey{group: gk.Group, kind: gk.Kind, namespace: u.GetNamespace(), name: u.GetName()}
}

// storeKey is u's key in an informer's store: "namespace/name", or "name"
// for a cluster-scoped object.
func storeKey(u *unstructured.Unstructured) string {
	if ns := u.GetNamespace(); ns != "" {
		return ns + "/" + u.GetName()
	}
	return u.GetName()
}

// statusFunc computes an object's readiness.
type statusFunc func(*unstructured.Unstructured) (*status.Result, error)

// watchKey identifies one list and watch: a resource, a namespace (empty
// for all namespaces, and for a cluster-scoped resource) and a label
// selector (empty for every object).
type watchKey struct {
	gvr       schema.GroupVersionResource
	namespace string
	selector  string
}

// objectWatch lists and watches the objects of one watchKey and keeps them,
// without their managed fields, in its informer's store. Its methods may be
// called by several goroutines at once.
type objectWatch struct {
	informer cache.SharedIndexInformer
	cancel   context.CancelFunc
	stopped  chan struct{} // closed once the informer has stopped

	mu  sync.Mutex
	err error // the outcome of the last list or watch request
}

// startWatch starts the watch of k; it runs until ctx ends or the watch's
// cancel is called. onChange is called, from the watch's goroutines, with
// each object added, updated or deleted, and with nil when the watch has
// listed its objects or the outcome of its requests changes. Failed
// requests are retried, and logged to logger at debug level.
func startWatch(ctx context.Context, dyn dynamic.Interface, logger *slog.Logger, k watchKey, onChange func(obj any)) *objectWatch {
	var ri dynamic.ResourceInterface = dyn.Resource(k.gvr)
	if k.namespace != "" {
		ri = dyn.Resource(k.gvr).Namespace(k.namespace)
	}
	ow := &objectWatch{stopped: make(chan struct{})}
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.LabelSelector = k.selector
			list, err := ri.List(ctx, o)
			ow.record(err, onChange)
			return list, err
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.LabelSelector = k.selector
			w, err := ri.Watch(ctx, o)
			ow.record(err, onChange)
			return w, err
		},
	}
	inf := cache.NewSharedIndexInformerWithOptions(lw, &unstructured.Unstructured{}, cache.SharedIndexInformerOptions{})
	ow.informer = inf
	// These fail only on an informer already started.
	_ = inf.SetTransform(func(obj any) (any, error) {
		if m, err := meta.Accessor(obj); err == nil {
			m.SetManagedFields(nil)
		}
		return obj, nil
	})
	_ = inf.SetWatchErrorHandlerWithContext(func(ctx context.Context, _ *cache.Reflector, err error) {
		logger.DebugContext(ctx, "list or watch failed, will retry", "resource", k.gvr.String(), "namespace", k.namespace, "error", err)
	})
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    onChange,
		UpdateFunc: func(_, obj any) { onChange(obj) },
		DeleteFunc: onChange,
	})
	ctx, ow.cancel = context.WithCancel(ctx)
	go func() {
		defer close(ow.stopped)
		inf.RunWithContext(ctx)
	}()
	go func() {
		select {
		case <-inf.HasSyncedChecker().Done():
			onChange(nil)
		case <-ctx.Done():
		}
	}()
	return ow
}

// record keeps the outcome of a list or watch request, telling onChange
// when it differs from the last one. The end of the watch is no outcome.
func (ow *objectWatch) record(err error, onChange func(any)) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return
	}
	ow.mu.Lock()
	changed := err != nil || ow.err != nil
	ow.err = err
	ow.mu.Unlock()
	if changed {
		onChange(nil)
	}
}

// lastErr is the error of the last list or watch request, nil once one
// succeeded.
func (ow *objectWatch) lastErr() error {
	ow.mu.Lock()
	defer ow.mu.Unlock()
	return ow.err
}

// refusedAnywhere says whether a list or watch error means the user may not
// read the resource: waiting any longer will not help.
func refusedAnywhere(err error) bool { return apierrors.IsForbidden(err) }

// waitTarget is one object waited for, with the watch that sees it.
type waitTarget struct {
	id    objKey
	ref   ObjectRef
	key   string // the object's key in its watch's store
	watch *objectWatch
}

// waitLoop is one wait on watches: it computes the status of its targets
// from the watches' stores each time it is woken, and reports each change.
type waitLoop struct {
	targets  []waitTarget
	fn       statusFunc
	done     func(State) bool
	progress func(Status)
	// wake receives a value when a target or its watch may have changed.
	wake <-chan struct{}
	// refused says which list or watch errors end the wait.
	refused func(error) bool
	// stale, when set, says whether u, a watch's copy of t, is older than
	// the object waited for.
	stale func(t waitTarget, u *unstructured.Unstructured) bool
	// stopped, when set, ends the wait as interrupted once it returns true.
	stopped func() bool

	current map[objKey]Status
}

// podRecheck is how often the status of a Pod waited for is computed again
// without a change: kstatus's verdict on an unschedulable Pod changes with
// time alone (status.ScheduleWindow after its creation).
const podRecheck = status.ScheduleWindow / 3

// run waits until every target is done, ctx ends or the wait is stopped. It
// reports every target as Unknown first. It returns whether every target
// is done, and a "watch objects" error when a watch was refused.
func (l *waitLoop) run(ctx context.Context) (finished bool, err error) {
	l.current = make(map[objKey]Status, len(l.targets))
	var recheck <-chan time.Time
	for _, t := range l.targets {
		s := Status{Ref: t.ref, State: StateUnknown}
		l.current[t.id] = s
		if l.progress != nil {
			l.progress(s)
		}
		if recheck == nil && t.id.group == "" && t.id.kind == "Pod" {
			tick := time.NewTicker(podRecheck)
			defer tick.Stop()
			recheck = tick.C
		}
	}
	for {
		synced := true
		for _, t := range l.targets {
			if err := t.watch.lastErr(); err != nil && l.refused(err) {
				return false, fmt.Errorf("watch objects: %w", err)
			}
			s, ok := l.status(t)
			if !ok {
				synced = false
				continue
			}
			if l.current[t.id] != s {
				l.current[t.id] = s
				if l.progress != nil {
					l.progress(s)
				}
			}
		}
		if synced && l.allDone() {
			return true, nil
		}
		if ctx.Err() != nil || (l.stopped != nil && l.stopped()) {
			return false, nil
		}
		select {
		case <-ctx.Done():
		case <-l.wake:
		case <-recheck:
		}
	}
}

func (l *waitLoop) allDone() bool {
	for _, t := range l.targets {
		if !l.done(l.current[t.id].State) {
			return false
		}
	}
	return true
}

// status computes t's status from its watch's copy; false while the watch
// has not listed its objects yet. An object the watch has not seen does not
// exist, and neither does any object of a resource no longer served.
func (l *waitLoop) status(t waitTarget) (Status, bool) {
	notFound := Status{Ref: t.ref, State: StateNotFound, Message: "not found"}
	if err := t.watch.lastErr(); err != nil && apierrors.IsNotFound(err) {
		return notFound, true
	}
	if !t.watch.informer.HasSynced() {
		return Status{}, false
	}
	item, ok, err := t.watch.informer.GetStore().GetByKey(t.key)
	if err != nil || !ok {
		return notFound, true
	}
	u, isU := item.(*unstructured.Unstructured)
	if !isU {
		return Status{Ref: t.ref, State: StateUnknown, Message: fmt.Sprintf("unexpected %T in the watch's cache", item)}, true
	}
	if l.stale != nil && l.stale(t, u) {
		return Status{Ref: t.ref, State: StateUnknown, Message: "the watch has not seen the applied object yet"}, true
	}
	res, err := l.fn(u)
	if err != nil {
		return Status{Ref: t.ref, State: StateUnknown, Message: err.Error()}, true
	}
	return Status{Ref: t.ref, State: State(res.Status), Message: res.Message}, true
}

// outcome is the result of the loop once run returned: nil when every
// target reached want, otherwise a *WaitError listing the others; finished
// says whether every target reached a done state (otherwise the wait timed
// out or was interrupted, as ctx tells).
func (l *waitLoop) outcome(ctx context.Context, goal string, timeout time.Duration, finished bool, want State) error {
	werr := &WaitError{Goal: goal, Total: len(l.targets), Timeout: timeout}
	for _, t := range l.targets {
		if s := l.current[t.id]; s.State != want {
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
