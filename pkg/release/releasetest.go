package release

import (
	"context"
	"fmt"
	"io"
	"time"
)

// TestOptions tune Test.
type TestOptions struct {
	// Timeout bounds each test hook; zero means DefaultTimeout.
	Timeout time.Duration
	// Logs, when set, receives the logs of the test Pods after the tests
	// ran, each preceded by "POD LOGS: <name>", as `helm test --logs`.
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
	runErr := e.runHooks(ctx, rls, HookTest, hooks, timeout, nil)
	fctx, cancel := finalContext(ctx)
	defer cancel()
	if err := e.store.Update(fctx, rls); err != nil {
		e.logger.WarnContext(ctx, "recording the test runs failed", "release", name, "error", err)
	}
	if opts.Logs != nil {
		for _, h := range hooks {
			if h.Kind != "Pod" || h.LastRun.Phase == "" {
				continue
			}
			objs, err := parseObjects(h.Path, h.Manifest, rls.Namespace)
			if err != nil {
				continue
			}
			e.hookLogs(fctx, h, objs, opts.Logs)
		}
	}
	if runErr != nil {
		return rls, fmt.Errorf("release %q: test failed: %w", name, runErr)
	}
	return rls, nil
}
