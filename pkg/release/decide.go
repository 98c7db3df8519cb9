package release

import (
	"context"
	"errors"
	"fmt"
)

// Decision is what an upgrade that may install (UpgradeOptions.Install:
// `upgrade --install`, or a release of a fleet) does to a release, decided
// from the release's last revision alone. NextOperation makes it; the CLI,
// the fleet and the engine all decide through it.
type Decision struct {
	// Operation is OpInstall when the release has no revision, or when its
	// last revision is uninstalled; OpUpgrade otherwise.
	Operation Operation
	// Replace says that the install reuses the name of a release
	// uninstalled with its history kept (InstallOptions.Replace).
	Replace bool
	// Busy says, for an upgrade, that the last revision is pending or
	// uninstalling: another operation is working on the release, or died
	// before finishing. Only an operation holding the release's lock can
	// tell which: it refuses a live one with a *BusyError, and marks a dead
	// one failed, then upgrades over it (see UpgradeOptions.TakeOver). An
	// upgrade over a busy release cannot be planned without that lock.
	Busy bool
	// Last is the last revision; nil when the release has none.
	Last *Release
}

// NextOperation decides what an upgrade that may install does to a
// release, from what a store's Last returned for it: last, or err. A
// release without a revision (err wraps ErrNotFound) is installed; so is
// one whose last revision is uninstalled, reusing its name. Any other
// release is upgraded: over a failed last revision, from the last deployed
// one; over a pending or uninstalling one, once recovered (Busy). Any
// other err is returned.
func NextOperation(last *Release, err error) (Decision, error) {
	if errors.Is(err, ErrNotFound) {
		return Decision{Operation: OpInstall}, nil
	}
	if err != nil {
		return Decision{}, err
	}
	d := Decision{Operation: OpUpgrade, Last: last}
	if last.Info == nil {
		return d, nil
	}
	switch {
	case last.Info.Status == StatusUninstalled:
		d.Operation, d.Replace = OpInstall, true
	case busy(last.Info.Status):
		d.Busy = true
	}
	return d, nil
}

// NextOperation reads the last revision of release name and decides, as
// the function NextOperation does, what an upgrade that may install does.
func (e *Engine) NextOperation(ctx context.Context, name string) (Decision, error) {
	return NextOperation(e.store.Last(ctx, name))
}

// Revision returns the last revision's number, 0 when there is none.
func (d Decision) Revision() int {
	if d.Last == nil {
		return 0
	}
	return d.Last.Version
}

// Reason says why an upgrade is needed whatever the chart and values:
// "last revision 3 is failed" when the last revision is not deployed
// (failed, pending, uninstalling, superseded); "" when it is, or for an
// install.
func (d Decision) Reason() string {
	if d.Operation != OpUpgrade || d.Last == nil || d.Last.Info == nil || d.Last.Info.Status == StatusDeployed {
		return ""
	}
	return fmt.Sprintf("last revision %d is %s", d.Last.Version, d.Last.Info.Status)
}

// AppliedClientSide reports whether revision r was applied client-side (by
// Helm v3, or Helm v4 with --server-side=false): its objects may hold
// fields another field manager owns, which an upgrade or rollback takes
// over (see Plan.ClientSide).
func AppliedClientSide(r *Release) bool {
	return r != nil && r.ApplyMethod != ApplyMethodServerSide
}
