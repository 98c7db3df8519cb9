package cli

import (
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
	fs.BoolVar(&w.opts.Wait, "wait", false, "if set, will wait until all the release's objects are ready (kstatus: Deployments, StatefulSets, DaemonSets rolled out, Pods ready, PVCs bound, Services with their load balancer...) before marking the "+w.what+" successful. It will wait for as long as --timeout")
	fs.BoolVar(&w.opts.WaitForJobs, "wait-for-jobs", false, "if set and --wait enabled, will wait until all Jobs have been completed before marking the "+w.what+" successful. It will wait for as long as --timeout")
	fs.DurationVar(&w.opts.Timeout, "timeout", release.DefaultTimeout, timeoutHelp)
}
