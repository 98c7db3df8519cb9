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
