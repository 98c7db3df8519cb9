package kube

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

// DefaultWaitTimeout is how long Wait, WaitDeleted and WaitComplete wait
// when given no timeout: Helm's default --timeout.
const DefaultWaitTimeout = 5 * time.Minute

// State is an object's readiness, as kstatus computes it.
type State string

// The states kstatus reports.
const (
	// StateInProgress: the object is being reconciled.
	StateInProgress State = "InProgress"
	// StateCurrent: the object is reconciled and ready.
	StateCurrent State = "Current"
	// StateFailed: reconciling the object failed; it needs attention.
	StateFailed State = "Failed"
	// StateTerminating: the object is being deleted.
	StateTerminating State = "Terminating"
	// StateNotFound: the object does not exist.
	StateNotFound State = "NotFound"
	// StateUnknown: the object's state is not known yet.
	StateUnknown State = "Unknown"
)

// Status is an object's state at a moment while waiting.
type Status struct {
	Ref   ObjectRef
	State State
	// Message explains the state, in kstatus's words, such as
	// "Ready: 1/3".
	Message string
}

func (s Status) String() string {
	if s.Message == "" {
		return fmt.Sprintf("%s: %s", s.Ref, s.State)
	}
	return fmt.Sprintf("%s: %s: %s", s.Ref, s.State, s.Message)
}

// WaitOptions tune Wait.
type WaitOptions struct {
	// Timeout bounds the wait; zero means DefaultWaitTimeout.
	Timeout time.Duration
	// WaitForJobs waits for Jobs to complete; otherwise a Job is ready
	// once it has started.
	WaitForJobs bool
	// Progress, when set, is called with an object's status each time it
	// changes, and once for every object at the start. Calls come from one
	// goroutine, one at a time, in the order of the changes; Progress must
	// not block for long.
	Progress func(Status)
}

// roundWait rounds a wait's timeout for messages: a wait given the time
// left of an operation's deadline has an odd duration nobody asked for.
func roundWait(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d
}

// WaitError reports the objects that did not reach the state waited for.
type WaitError struct {
	// Goal is what was waited for: "ready", "deleted" or "complete".
	Goal string
	// Total is the number of objects waited for.
	Total int
	// Pending lists the objects not in the goal state, with their last
	// known status, in the order given.
	Pending []Status
	// Timeout is how long the wait was allowed.
	Timeout time.Duration
	// Err is context.DeadlineExceeded on timeout, context.Canceled on
	// interruption, and nil when objects failed.
	Err error
}

func (e *WaitError) Error() string {
	var b strings.Builder
	switch {
	case errors.Is(e.Err, context.DeadlineExceeded):
		fmt.Fprintf(&b, "timed out after %s waiting for %d of %d objects to be %s", roundWait(e.Timeout), len(e.Pending), e.Total, e.Goal)
	case e.Err != nil:
		fmt.Fprintf(&b, "interrupted (%v) while waiting for %d of %d objects to be %s", e.Err, len(e.Pending), e.Total, e.Goal)
	default:
		fmt.Fprintf(&b, "%d of %d objects failed and will not be %s", len(e.Pending), e.Total, e.Goal)
	}
	b.WriteString(":")
	for _, s := range e.Pending {
		b.WriteString("\n  ")
		b.WriteString(s.String())
	}
	return b.String()
}

func (e *WaitError) Unwrap() error { return e.Err }

// Wait waits until every object in objs is ready (kstatus's Current), and,
// with opts.WaitForJobs, every Job has completed. It watches the objects
// rather than polling them.
//
// It returns a *WaitError listing the objects not ready and why when the
// timeout passes, ctx ends, or some objects fail (a Deployment past its
// progress deadline, a failed Job) while the others became ready. Paused
// Deployments are not waited for.
func (c *Client) Wait(ctx context.Context, objs []*unstructured.Unstructured, opts WaitOptions) error {
	fn := readyStatus(opts.WaitForJobs)
	done := func(s State) bool { return s == StateCurrent || s == StateFailed }
	return c.watchUntil(ctx, objs, "ready", opts.Timeout, fn, done, StateCurrent, opts.Progress)
}

// WaitDeleted waits until every object in objs is gone. Objects already
// gone count as deleted. It returns a *WaitError listing the objects that
// remain when the timeout passes or ctx ends.
func (c *Client) WaitDeleted(ctx context.Context, objs []*unstructured.Unstructured, timeout time.Duration) error {
	done := func(s State) bool { return s == StateNotFound }
	return c.watchUntil(ctx, objs, "deleted", timeout, status.Compute, done, StateNotFound, nil)
}

// readyStatus computes readiness with kstatus, except that paused
// Deployments are ready and, with jobs, Jobs are ready only once complete.
func readyStatus(jobs bool) statusFunc {
	return func(u *unstructured.Unstructured) (*status.Result, error) {
		switch u.GroupVersionKind().GroupKind() {
		case groupKind("apps", "Deployment"):
			if paused, _, _ := unstructured.NestedBool(u.Object, "spec", "paused"); paused {
				return &status.Result{Status: status.CurrentStatus, Message: "Deployment is paused"}, nil
			}
		case groupKind("batch", "Job"):
			if jobs {
				return jobStatus(u), nil
			}
		}
		return status.Compute(u)
	}
}

// watchUntil watches objs until done holds for every one, the timeout
// passes or ctx ends. fn computes an object's status; goal names the state
// waited for in errors; want is the state that is success.
//
// It watches each resource in each namespace of objs (cluster-scoped
// resources once), so that a user who may only read some namespaces can
// wait for objects in them, and stops the watches before returning.
func (c *Client) watchUntil(ctx context.Context, objs []*unstructured.Unstructured, goal string, timeout time.Duration,
	fn statusFunc, done func(State) bool, want State, progress func(Status)) error {
	if timeout <= 0 {
		timeout = DefaultWaitTimeout
	}
	var targets []waitTarget
	keys := map[objKey]watchKey{}
	for _, obj := range objs {
		r, err := c.resolve(ctx, obj)
		if err != nil {
			var uk *UnknownKindError
			if errors.As(err, &uk) && want == StateNotFound {
				// A kind the cluster no longer serves has no objects left.
				continue
			}
			return err
		}
		id := keyOf(r.obj)
		if _, dup := keys[id]; dup {
			continue
		}
		keys[id] = watchKey{gvr: r.mapping.Resource, namespace: r.obj.GetNamespace()}
		targets = append(targets, waitTarget{id: id, ref: r.ref(), key: storeKey(r.obj)})
	}
	if len(targets) == 0 {
		return nil
	}

	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	wake := make(chan struct{}, 1)
	notify := func(any) {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	watches := map[watchKey]*objectWatch{}
	defer func() {
		for _, ow := range watches {
			ow.cancel()
		}
		for _, ow := range watches {
			<-ow.stopped
		}
	}()
	for i, t := range targets {
		k := keys[t.id]
		ow, ok := watches[k]
		if !ok {
			ow = startWatch(ctx, c.dynamic, c.logger, k, notify)
			watches[k] = ow
			c.logger.DebugContext(ctx, "started a watch", "resource", k.gvr.String(), "namespace", k.namespace)
		}
		targets[i].watch = ow
	}

	l := &waitLoop{targets: targets, fn: fn, done: done, progress: progress, wake: wake, refused: refusedAnywhere}
	finished, err := l.run(ctx)
	if err != nil {
		return err
	}
	return l.outcome(ctx, goal, timeout, finished, want)
}
