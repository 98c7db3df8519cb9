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

// TestE2EHistoryLongDescription gives a revision a long description (a
// failure's message can be hundreds of characters): the table cuts it to
// --max-col-width, and -o json keeps it whole.
func TestE2EHistoryLongDescription(t *testing.T) {
	e := newE2E(t)
	long := "Upgrade failed: " + strings.Repeat("an error the API server gave, ", 10) + "the end"
	e.mustBarge("install", "web", fixture("web"), "--description", long)
	r := e.mustBarge("history", "web")
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	if len(lines) != 2 || strings.Contains(lines[1], "the end") || !strings.HasSuffix(strings.TrimSpace(lines[1]), "...") || len(lines[1]) > 160 {
		t.Errorf("history: want the description cut to 60 columns with ...:\n%s", r.stdout)
	}
	if r := e.mustBarge("history", "web", "--max-col-width", "0"); !strings.Contains(r.stdout, "the end") {
		t.Errorf("--max-col-width 0 should keep the description whole:\n%s", r.stdout)
	}
	if r := e.mustBarge("history", "web", "-o", "json"); !strings.Contains(r.stdout, "the end") {
		t.Errorf("-o json should keep the description whole:\n%s", r.stdout)
	}
}
