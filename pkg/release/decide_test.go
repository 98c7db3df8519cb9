package release_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/bargehq/barge/pkg/release"
)

func TestNextOperation(t *testing.T) {
	at := func(v int, s release.Status) *release.Release {
		return &release.Release{Name: "web", Version: v, Info: &release.Info{Status: s}}
	}
	notFound := fmt.Errorf("release %q: %w", "web", release.ErrNotFound)
	readErr := errors.New("list secrets: forbidden")
	tests := []struct {
		name       string
		last       *release.Release
		err        error
		wantOp     release.Operation
		wantBusy   bool
		replace    bool
		wantReason string
		wantErr    error
	}{
		{name: "no record", err: notFound, wantOp: release.OpInstall},
		{name: "deployed", last: at(3, release.StatusDeployed), wantOp: release.OpUpgrade},
		{name: "uninstalled with history", last: at(2, release.StatusUninstalled), wantOp: release.OpInstall, replace: true},
		{name: "failed", last: at(4, release.StatusFailed), wantOp: release.OpUpgrade, wantReason: "last revision 4 is failed"},
		{name: "superseded", last: at(4, release.StatusSuperseded), wantOp: release.OpUpgrade, wantReason: "last revision 4 is superseded"},
		{name: "pending install", last: at(1, release.StatusPendingInstall), wantOp: release.OpUpgrade, wantBusy: true, wantReason: "last revision 1 is pending-install"},
		{name: "pending upgrade", last: at(5, release.StatusPendingUpgrade), wantOp: release.OpUpgrade, wantBusy: true, wantReason: "last revision 5 is pending-upgrade"},
		{name: "pending rollback", last: at(5, release.StatusPendingRollback), wantOp: release.OpUpgrade, wantBusy: true, wantReason: "last revision 5 is pending-rollback"},
		{name: "uninstalling", last: at(2, release.StatusUninstalling), wantOp: release.OpUpgrade, wantBusy: true, wantReason: "last revision 2 is uninstalling"},
		{name: "no info", last: &release.Release{Name: "web", Version: 1}, wantOp: release.OpUpgrade},
		{name: "read error", err: readErr, wantErr: readErr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := release.NextOperation(tt.last, tt.err)
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if d.Operation != tt.wantOp || d.Busy != tt.wantBusy || d.Replace != tt.replace {
				t.Errorf("decision = %s busy=%v replace=%v, want %s busy=%v replace=%v", d.Operation, d.Busy, d.Replace, tt.wantOp, tt.wantBusy, tt.replace)
			}
			if got := d.Reason(); got != tt.wantReason {
				t.Errorf("reason = %q, want %q", got, tt.wantReason)
			}
			wantRev := 0
			if tt.last != nil {
				wantRev = tt.last.Version
			}
			if d.Revision() != wantRev {
				t.Errorf("revision = %d, want %d", d.Revision(), wantRev)
			}
		})
	}
}

func TestAppliedClientSide(t *testing.T) {
	tests := []struct {
		name string
		r    *release.Release
		want bool
	}{
		{name: "none", r: nil, want: false},
		{name: "server-side", r: &release.Release{ApplyMethod: release.ApplyMethodServerSide}, want: false},
		{name: "helm v3, no method recorded", r: &release.Release{}, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := release.AppliedClientSide(tt.r); got != tt.want {
				t.Errorf("AppliedClientSide = %v, want %v", got, tt.want)
			}
		})
	}
}
