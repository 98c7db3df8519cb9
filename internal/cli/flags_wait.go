package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/bargehq/barge/pkg/release"
)

// waitFlags binds --wait, --wait-for-jobs and --timeout onto the engine's
// WaitOptions.
type waitFlags struct {
	opts *release.WaitOptions
	// what names the operation in the help texts: "install", "upgrade"...
	what string
	// atomic says that the command has --atomic, which doubles its
	// deadline (release.WithTimeout).
	atomic bool
	// perRelease says that --timeout bounds each release's operation, as
	// in fleet commands, rather than the whole command.
	perRelease bool
}

// Bind registers the wait flags on fs; --timeout defaults to
// release.DefaultTimeout (5m). Unlike Helm's, which bounds each wait,
// barge's --timeout bounds the whole command (release.WithTimeout), except
// in fleet commands (perRelease).
func (w *waitFlags) Bind(fs *pflag.FlagSet) {
	timeoutHelp := "time the whole command may take: connecting, hooks, applying and --wait; when it runs out, the release is recorded failed and barge says what it had done"
	if w.atomic {
		timeoutHelp += " (with --atomic twice as long: the rollback has its own)"
	}
	if w.perRelease {
		timeoutHelp = "time each release's operation may take (locking, hooks, applying, --wait), and connecting and planning before any release starts; when it runs out, the release is recorded failed"
	}
	fs.Var(&waitStrategy{wait: &w.opts.Wait}, "wait", "wait until the release's objects are ready (up to --timeout) before marking the "+w.what+" successful (kstatus: Deployments, StatefulSets, DaemonSets rolled out, Pods ready, PVCs bound, Services with their load balancer...). Use '--wait' alone for 'watcher' strategy, or specify one of: 'watcher', 'hookOnly', 'legacy' (both waits are barge's), or true or false as Helm 3. Default when flag is omitted: 'hookOnly' (hooks are always waited for)")
	fs.Lookup("wait").NoOptDefVal = waitWatcher
	fs.BoolVar(&w.opts.WaitForJobs, "wait-for-jobs", false, "if set and --wait enabled, will wait until all Jobs have been completed before marking the "+w.what+" successful. It will wait for as long as --timeout")
	fs.DurationVar(&w.opts.Timeout, "timeout", release.DefaultTimeout, timeoutHelp)
}

// The strategies of Helm 4's --wait.
const (
	waitWatcher  = "watcher"
	waitLegacy   = "legacy"
	waitHookOnly = "hookOnly"
)

// waitStrategy is the value of --wait: Helm 4's strategies (watcher,
// legacy, hookOnly) or Helm 3's boolean. watcher, legacy and true wait for
// the objects with barge's wait; hookOnly and false wait only for the
// hooks, which barge always waits for.
type waitStrategy struct {
	wait *bool
	// name is the value given, for String.
	name string
}

// String returns the strategy in effect.
func (w *waitStrategy) String() string {
	if w.name != "" {
		return w.name
	}
	if w.wait != nil && *w.wait {
		return waitWatcher
	}
	return waitHookOnly
}

// Type names the flag's type in the help, as Helm 4 does.
func (w *waitStrategy) Type() string { return "WaitStrategy" }

// Set accepts a strategy or a boolean.
func (w *waitStrategy) Set(s string) error {
	switch s {
	case waitWatcher, waitLegacy:
		*w.wait = true
	case waitHookOnly:
		*w.wait = false
	default:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("--wait %q: use watcher, legacy or hookOnly (or true, false)", s)
		}
		*w.wait = b
	}
	w.name = s
	return nil
}
