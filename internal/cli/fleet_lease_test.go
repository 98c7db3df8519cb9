package cli

import (
	"testing"
	"time"

	"github.com/bargehq/barge/pkg/fleet"
	"github.com/bargehq/barge/pkg/release"
)

func TestFleetLeaseFollowsReleasesThatWait(t *testing.T) {
	yes, no := true, false
	ten := 10 * time.Minute
	cmd := release.WaitOptions{Timeout: 5 * time.Minute}
	rels := []*fleet.Release{{Wait: &no}, {}}
	if got := fleetLease(fleet.LongestWait(cmd, rels)); got != fleetLeaseDuration {
		t.Errorf("no release waits: lease %s, want %s", got, fleetLeaseDuration)
	}
	rels = append(rels, &fleet.Release{Wait: &yes, Timeout: &ten}, &fleet.Release{Atomic: &yes})
	if got, want := fleetLease(fleet.LongestWait(cmd, rels)), fleetLeaseDuration+ten; got != want {
		t.Errorf("a release waits up to 10m: lease %s, want %s", got, want)
	}
}
