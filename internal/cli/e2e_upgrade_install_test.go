package cli

import (
	"strings"
	"testing"
)

// TestE2EUpgradeInstallOverUninstalled checks that upgrade --install
// installs a release uninstalled with its history kept, reusing its name,
// with or without --create-namespace (which installs by another path).
func TestE2EUpgradeInstallOverUninstalled(t *testing.T) {
	e := newE2E(t)
	tests := []struct {
		name  string
		flags []string
	}{
		{name: "plain"},
		{name: "create namespace", flags: []string{"--create-namespace"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := e.sub(t)
			e.mustBarge("install", "again", fixture("web"))
			e.mustBarge("uninstall", "again", "--keep-history")
			r := e.mustBarge(append([]string{"upgrade", "--install", "again", fixture("web")}, tt.flags...)...)
			if !strings.Contains(r.stdout, `Release "again" does not exist. Installing it now.`) {
				t.Errorf("upgrade --install does not say it installs:\n%s", r)
			}
			got := e.revisionStatuses("again")
			// As with Helm, the replaced revision is superseded.
			if got[1] != "superseded" || got[2] != "deployed" || len(got) != 2 {
				t.Errorf("revisions = %v, want 1 superseded and 2 deployed", got)
			}
		})
	}
}
