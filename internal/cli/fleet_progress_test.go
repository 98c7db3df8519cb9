package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/bargehq/barge/pkg/fleet"
)

// TestFleetProgressNamespacesFirst checks that the bar says the namespaces
// are being made until the first release starts, and no longer after.
func TestFleetProgressNamespacesFirst(t *testing.T) {
	var out bytes.Buffer
	p := newFleetProgress(&out, 2)
	p.tty = true
	p.preparing(2)
	p.draw()
	if !strings.Contains(out.String(), "0/2 releases, creating 2 namespaces") {
		t.Fatalf("bar while the namespaces are made:\n%s", out.String())
	}
	out.Reset()
	p.event(fleet.Event{Change: &fleet.Change{Namespace: "a", Name: "app", Action: fleet.ActionInstall}, Phase: fleet.PhaseStarted})
	p.draw()
	if s := out.String(); strings.Contains(s, "creating") || !strings.Contains(s, "1 in flight") || !strings.Contains(s, "a/app: applying") {
		t.Fatalf("bar once a release started:\n%s", s)
	}
}

// TestFleetProgressPlainNamespaces checks the plain line printed in CI.
func TestFleetProgressPlainNamespaces(t *testing.T) {
	var out bytes.Buffer
	p := newFleetProgress(&out, 3)
	p.preparing(3)
	if got := out.String(); got != "creating 3 namespaces before the releases\n" {
		t.Fatalf("plain progress = %q", got)
	}
}

// TestFleetProgressWaiting checks what a release waiting for readiness
// shows: on a terminal, its objects ready and why one is not; in CI, the
// periodic line about all the waiting releases.
func TestFleetProgressWaiting(t *testing.T) {
	change := func(ns string) *fleet.Change {
		return &fleet.Change{Namespace: ns, Name: "app", Action: fleet.ActionInstall}
	}
	var out bytes.Buffer
	p := newFleetProgress(&out, 3)
	p.tty = true
	p.event(fleet.Event{Change: change("a"), Phase: fleet.PhaseStarted})
	p.event(fleet.Event{Change: change("b"), Phase: fleet.PhaseStarted})
	p.event(fleet.Event{Change: change("a"), Phase: fleet.PhaseWaiting, Ready: 5, Objects: 8,
		Pending: "PersistentVolumeClaim/app-data: PVC is not Bound. phase: Pending"})
	p.event(fleet.Event{Change: change("b"), Phase: fleet.PhaseWaiting, Ready: 7, Objects: 8,
		Pending: "Deployment/app: Available: 0/1"})
	p.draw()
	for _, want := range []string{
		"0/3 releases, 2 in flight (2 waiting for readiness), 0 failed",
		"a/app: waiting for readiness, 5/8 ready; PersistentVolumeClaim/app-data: PVC is not Bound. phase: Pending",
		"b/app: waiting for readiness, 7/8 ready; Deployment/app: Available: 0/1",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("terminal display lacks %q:\n%s", want, out.String())
		}
	}
	if got := p.waitingLine(); !strings.HasPrefix(got, "waiting for readiness: 2 releases, 4 objects not ready [") ||
		!strings.HasSuffix(got, "; the longest waiting: a/app: PersistentVolumeClaim/app-data: PVC is not Bound. phase: Pending") {
		t.Errorf("CI line = %q", got)
	}
	p.event(fleet.Event{Change: change("b"), Phase: fleet.PhaseWaiting, Ready: 8, Objects: 8})
	out.Reset()
	p.draw()
	if !strings.Contains(out.String(), "b/app: 8/8 ready, recording the release") {
		t.Errorf("a release whose objects are all ready shows:\n%s", out.String())
	}
	p.event(fleet.Event{Change: change("a"), Phase: fleet.PhaseDone})
	p.event(fleet.Event{Change: change("b"), Phase: fleet.PhaseDone})
	if got := p.waitingLine(); got != "" {
		t.Errorf("CI line with no release waiting = %q, want none", got)
	}
}

// TestFleetProgressTotalLearnt checks destroy's progress in CI, whose total
// is learnt when the run starts: each line counts against the total, not
// against the releases started so far.
func TestFleetProgressTotalLearnt(t *testing.T) {
	var out bytes.Buffer
	p := newFleetProgress(&out, 0)
	p.setTotal(3)
	for _, ns := range []string{"a", "b"} {
		c := &fleet.Change{Namespace: ns, Name: "app", Action: fleet.ActionPrune}
		p.event(fleet.Event{Change: c, Phase: fleet.PhaseStarted})
		p.event(fleet.Event{Change: c, Phase: fleet.PhaseDone})
	}
	if got := out.String(); !strings.Contains(got, "[1/3]") || !strings.Contains(got, "[2/3]") {
		t.Fatalf("progress lines should count against 3:\n%s", got)
	}
}
