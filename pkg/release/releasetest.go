package release

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestOptions tune Test.
type TestOptions struct {
	// Timeout bounds each test hook; zero means DefaultTimeout.
	Timeout time.Duration
	// Logs, when set, receives the logs of the test Pods after the tests
	// ran, each preceded by "POD LOGS: <name>", as `helm test --logs`;
	// they are read as each Pod ends, so that a Pod its hook-succeeded
	// policy deletes still has them.
	Logs io.Writer
	// Filter selects the tests to run by name (--filter).
	Filter TestFilter
}

// Test runs the test hooks of the last revision of release name, in weight
// order, waits for each to complete, and records their last runs in the
// revision. A failing test fails with a *HookError naming it. It holds the
// release's lock throughout.
func (e *Engine) Test(ctx context.Context, name string, opts TestOptions) (*Release, error) {
	if err := e.needCluster("test"); err != nil {
		return nil, err
	}
	op, ctx, unlock, err := e.lock(ctx, name, false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	e = op
	rls, err := e.store.Last(ctx, name)
	if err != nil {
		return nil, err
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	hooks := opts.Filter.keep(hooksByEvent(rls.Hooks, HookTest)[HookTest])
	// With Logs, each test Pod's logs are read as it ends, before a
	// hook-succeeded or hook-failed policy deletes it (Helm reads them
	// after, and finds nothing of a deleted Pod).
	var (
		captured map[*Hook]*bytes.Buffer
		done     func(*Hook, []*unstructured.Unstructured)
	)
	if opts.Logs != nil {
		captured = map[*Hook]*bytes.Buffer{}
		done = func(h *Hook, objs []*unstructured.Unstructured) {
			if h.Kind != "Pod" {
				return
			}
			var b bytes.Buffer
			e.hookLogs(ctx, h, objs, &b)
			captured[h] = &b
		}
	}
	runErr := e.runHooks(ctx, rls, HookTest, hooks, timeout, nil, done)
	fctx, cancel := finalContext(ctx)
	defer cancel()
	if err := e.store.Update(fctx, rls); err != nil {
		e.logger.WarnContext(ctx, "recording the test runs failed", "release", name, "error", err)
	}
	if opts.Logs != nil {
		for _, h := range hooks {
			if b := captured[h]; b != nil {
				_, _ = b.WriteTo(opts.Logs)
			}
		}
	}
	if runErr != nil {
		return rls, fmt.Errorf("release %q: test failed: %w", name, runErr)
	}
	return rls, nil
}
