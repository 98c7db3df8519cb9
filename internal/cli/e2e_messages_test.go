package cli

import (
	"strings"
	"testing"
)

// TestE2EMessagesSayItOnce checks the errors of a missing release and a
// missing revision: each says what is missing once, without repeating
// itself.
func TestE2EMessagesSayItOnce(t *testing.T) {
	e := newE2E(t)
	r := e.barge("uninstall", "nosuch")
	if r.code == 0 || strings.Count(r.stderr, "uninstall:") != 1 || !strings.Contains(r.stderr, `release "nosuch"`) {
		t.Errorf("uninstall of a missing release: want one `uninstall:` and the name:\n%s", r)
	}
	e.mustBarge("install", "web", fixture("web"))
	r = e.barge("rollback", "web", "99")
	if r.code == 0 || !strings.Contains(r.stderr, `release "web" has no revision 99 (its last is 1)`) || strings.Count(r.stderr, `"web"`) != 1 {
		t.Errorf("rollback to a missing revision: want it said once:\n%s", r)
	}
}
