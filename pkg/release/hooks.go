package release

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/bargehq/barge/pkg/kube"
)

// HookError reports a hook that failed: it could not be created, or its Job
// or Pod failed or did not complete in time.
type HookError struct {
	// Event is the event the hook ran for.
	Event HookEvent
	// Hook is the hook's resource, "Kind/name".
	Kind, Name string
	// Path is the template the hook came from.
	Path string
	// Err says what went wrong.
	Err error
}

// Error names the hook, its template and what went wrong.
func (e *HookError) Error() string {
	return fmt.Sprintf("%s hook %s/%s (%s) failed: %v", e.Event, e.Kind, e.Name, e.Path, e.Err)
}

// Unwrap returns the cause.
func (e *HookError) Unwrap() error { return e.Err }

// runHooks runs hooks, already sorted, for event, as Helm does: each hook
// is deleted first under the before-hook-creation policy (the default),
// applied, and waited for until its Job or Pod completes; its last run is
// recorded in rls. A failing hook stops the others and fails the
// operation; the hook-failed policy then deletes it, and the hook-succeeded
// policy deletes the hooks that had succeeded. When all succeed, the
// hook-succeeded policy deletes them, in reverse order. done, when set, is
// called as each hook ends, succeeded or failed, before any policy deletes
// it.
func (e *Engine) runHooks(ctx context.Context, rls *Release, event HookEvent, hooks []*Hook, timeout time.Duration, logs io.Writer, done func(*Hook, []*unstructured.Unstructured)) error {
	if len(hooks) == 0 {
		return nil
	}
	objsOf := make([][]*unstructured.Unstructured, len(hooks))
	for i, h := range hooks {
		objs, err := parseObjects(h.Path, h.Manifest, rls.Namespace)
		if err != nil {
			return &HookError{Event: event, Kind: h.Kind, Name: h.Name, Path: h.Path, Err: err}
		}
		objsOf[i] = objs
	}
	for i, h := range hooks {
		if len(h.DeletePolicies) == 0 {
			h.DeletePolicies = []HookDeletePolicy{HookBeforeHookCreation}
		}
		herr := func(err error) error {
			return &HookError{Event: event, Kind: h.Kind, Name: h.Name, Path: h.Path, Err: err}
		}
		if err := e.deleteHookByPolicy(ctx, h, objsOf[i], HookBeforeHookCreation, timeout); err != nil {
			return herr(err)
		}
		h.LastRun = HookExecution{StartedAt: e.now(), Phase: HookPhaseRunning}
		e.recordHooks(ctx, rls)
		h.LastRun.Phase = HookPhaseUnknown

		e.logger.InfoContext(ctx, "running hook", "event", string(event), "hook", h.Kind+"/"+h.Name, "weight", h.Weight)
		if _, err := e.cluster.Apply(ctx, objsOf[i], e.applyOptions(true, false)); err != nil {
			h.LastRun.CompletedAt, h.LastRun.Phase = e.now(), HookPhaseFailed
			return herr(err)
		}
		var werr error
		for _, o := range objsOf[i] {
			if werr = e.cluster.WaitComplete(ctx, o, remaining(ctx, timeout)); werr != nil {
				break
			}
		}
		h.LastRun.CompletedAt = e.now()
		if done != nil {
			done(h, objsOf[i])
		}
		if werr != nil {
			h.LastRun.Phase = HookPhaseFailed
			// Clean up with a context that survives an interruption.
			fctx, cancel := finalContext(ctx)
			defer cancel()
			if slices.Contains(h.OutputLogPolicies, HookOutputOnFailed) {
				e.hookLogs(fctx, h, objsOf[i], logs)
			}
			if err := e.deleteHookByPolicy(fctx, h, objsOf[i], HookFailed, timeout); err != nil {
				e.logger.WarnContext(ctx, "deleting a failed hook failed", "hook", h.Kind+"/"+h.Name, "error", err)
			}
			for j := range i {
				if err := e.deleteHookByPolicy(fctx, hooks[j], objsOf[j], HookSucceeded, timeout); err != nil {
					e.logger.WarnContext(ctx, "deleting a succeeded hook failed", "hook", hooks[j].Kind+"/"+hooks[j].Name, "error", err)
				}
			}
			return herr(werr)
		}
		h.LastRun.Phase = HookPhaseSucceeded
	}
	for i := len(hooks) - 1; i >= 0; i-- {
		h := hooks[i]
		if slices.Contains(h.OutputLogPolicies, HookOutputOnSucceeded) {
			e.hookLogs(ctx, h, objsOf[i], logs)
		}
		if err := e.deleteHookByPolicy(ctx, h, objsOf[i], HookSucceeded, timeout); err != nil {
			return &HookError{Event: event, Kind: h.Kind, Name: h.Name, Path: h.Path, Err: err}
		}
	}
	return nil
}

// recordHooks stores rls with its hooks' last runs. A failure is logged:
// the record is written again when the operation ends.
func (e *Engine) recordHooks(ctx context.Context, rls *Release) {
	if err := e.store.Update(ctx, rls); err != nil {
		e.logger.WarnContext(ctx, "recording hook run failed", "release", rls.Name, "error", err)
	}
}

// deleteHookByPolicy deletes a hook's objects and waits until they are gone
// if the hook has policy. CustomResourceDefinitions are never deleted.
func (e *Engine) deleteHookByPolicy(ctx context.Context, h *Hook, objs []*unstructured.Unstructured, policy HookDeletePolicy, timeout time.Duration) error {
	if h.Kind == "CustomResourceDefinition" || !slices.Contains(h.DeletePolicies, policy) {
		return nil
	}
	var errs []error
	for _, o := range objs {
		if err := e.cluster.Delete(ctx, o, kube.DeleteOptions{Propagation: kube.PropagationBackground}); err != nil {
			var uk *kube.UnknownKindError
			if !errors.As(err, &uk) {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return e.cluster.WaitDeleted(ctx, objs, timeout)
}

// hookLogs writes the logs of a hook's Pods to w.
func (e *Engine) hookLogs(ctx context.Context, h *Hook, objs []*unstructured.Unstructured, w io.Writer) {
	if w == nil {
		return
	}
	for _, o := range objs {
		if o.GetKind() != "Pod" || o.GetAPIVersion() != "v1" {
			continue
		}
		fmt.Fprintf(w, "POD LOGS: %s\n", o.GetName())
		if err := e.cluster.Logs(ctx, o, w); err != nil {
			fmt.Fprintf(w, "(logs of hook %s/%s unavailable: %v)\n", h.Kind, h.Name, err)
		}
	}
}
