package cli

import (
	"strings"
	"testing"
)

// TestE2EInstallRefusesUnknownKind installs a chart whose ConfigMap comes
// with a custom resource of a kind the cluster does not serve and the chart
// ships no CustomResourceDefinition for: barge refuses before writing
// anything, as Helm does, naming the object, its template and the fix.
func TestE2EInstallRefusesUnknownKind(t *testing.T) {
	e := newE2E(t)
	r := e.barge("install", "nocrd", fixture("missing-crd"))
	if r.code == 0 {
		t.Fatalf("install of a custom resource without its CRD succeeded: %s", r)
	}
	t.Logf("%s", r)
	for _, want := range []string{"Sprocket", "missing.barge.example/v1", "nocrd-sprocket", "missing-crd/templates/sprocket.yaml", "install the CustomResourceDefinition"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("error lacks %q:\n%s", want, r.stderr)
		}
	}
	if data := e.configMapData("nocrd-config"); data != nil {
		t.Errorf("the ConfigMap before the custom resource was created: %v", data)
	}
	if s := e.releaseSecrets(); len(s) > 0 {
		t.Errorf("records stored for a refused install: %v", s)
	}
	if l := e.leases(); len(l) > 0 {
		t.Logf("leases left: %v", l)
	}
}

// TestE2EUpgradeRefusesUnknownKind upgrades a release to that chart: the
// upgrade is refused before any object or record is written, and the
// release stays at its deployed revision.
func TestE2EUpgradeRefusesUnknownKind(t *testing.T) {
	e := newE2E(t)
	e.mustBarge("install", "nocrd", fixture("many"), "--set", "count=1")
	r := e.barge("upgrade", "nocrd", fixture("missing-crd"))
	if r.code == 0 {
		t.Fatalf("upgrade to a custom resource without its CRD succeeded: %s", r)
	}
	if !strings.Contains(r.stderr, `Sprocket "nocrd-sprocket"`) || !strings.Contains(r.stderr, "install the CustomResourceDefinition") {
		t.Errorf("error does not name the object and the fix:\n%s", r.stderr)
	}
	if data := e.configMapData("nocrd-config"); data != nil {
		t.Errorf("the upgrade's ConfigMap was created: %v", data)
	}
	if got := e.revisionStatuses("nocrd"); len(got) != 1 || got[1] != "deployed" {
		t.Errorf("revisions after the refused upgrade: %v, want only 1, deployed", got)
	}
}
