package soak

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// The invariants a trial checks, as named in reports and in the table.
const (
	InvRecordsDecodable   = "records-decodable"      // every release Secret decodes (Helm's format)
	InvBargeHistory       = "history-readable-barge" // barge history -o json works and agrees with the records
	InvHelmHistory        = "history-readable-helm"  // helm history -o json works and agrees with the records
	InvOneDeployed        = "at-most-one-deployed"
	InvDeployedNewest     = "deployed-is-newest-completed" // no superseded or uninstalled revision newer than the deployed one
	InvLiveMatches        = "live-matches-deployed"        // live objects are the newest deployed record's, with its token
	InvNoPending          = "nothing-pending-after-next"   // no pending-* or uninstalling once the next command ran
	InvNextResult         = "next-command-result"          // the next command did what it says
	InvNextSucceeds       = "next-command-succeeds"        // the next command exits 0 (after the lease lapsed, with --take-over where refused for that)
	InvLockReleased       = "lock-released"                // no Lease left once a command ended by itself or on SIGTERM/SIGINT
	InvUntouched          = "nothing-else-touched"         // the bystander releases of the namespace are as they were
	InvDeadline           = "timeout-bounds-command"       // a command given --timeout ends within it (plus a grace)
	InvSignalExit         = "exits-on-signal"              // SIGTERM or SIGINT ends barge within a grace
	InvTakeOverAfterLapse = "takeover-after-lapse"         // once a frozen holder's lease lapsed, another barge proceeds
)

// Phase says when a snapshot was taken.
type Phase int

const (
	// AfterTrial is once every process of the trial has ended, before the
	// next command: pending revisions of killed processes are allowed.
	AfterTrial Phase = iota
	// AfterNext is once the next command succeeded.
	AfterNext
)

func (p Phase) String() string {
	if p == AfterNext {
		return "after the next command"
	}
	return "after the trial"
}

// HistoryRow is a row of `barge history -o json` or `helm history -o json`.
type HistoryRow struct {
	Revision int    `json:"revision"`
	Status   string `json:"status"`
}

// History is what a history command answered: its rows, or why it failed.
// A command that says the release is not found, when there are no records,
// answered correctly with no rows.
type History struct {
	Rows []HistoryRow
	Err  string
}

// Snapshot is the state of one release as the suite saw it.
type Snapshot struct {
	Release string
	// Revisions are the release's records, oldest first.
	Revisions []Revision
	// RecordErrs say which release Secrets did not decode.
	RecordErrs []string
	// Barge and Helm are the two history commands' answers.
	Barge, Helm History
	// Live are the release's objects in the cluster (label
	// app.kubernetes.io/instance), hooks and objects being deleted left out.
	Live []Object
	// Lease says whether the release's lock Lease exists.
	Lease bool
}

// Expect is what the next command should have left.
type Expect struct {
	// Gone: no record and no object (uninstall without --keep-history).
	Gone bool
	// Uninstalled: the newest record is uninstalled, no object left.
	Uninstalled bool
	// Tokens: the newest record is deployed with one of these tokens.
	Tokens []string
}

func (e Expect) String() string {
	switch {
	case e.Gone:
		return "no record, no object"
	case e.Uninstalled:
		return "newest revision uninstalled, no object"
	default:
		return "newest revision deployed with token " + strings.Join(e.Tokens, " or ")
	}
}

// Violation is an invariant a snapshot breaks.
type Violation struct {
	Invariant string
	Detail    string
}

func (v Violation) String() string { return v.Invariant + ": " + v.Detail }

// Check returns the invariants s breaks at phase p; exp, when not nil, is
// what the next command should have left (phase AfterNext).
func Check(s Snapshot, p Phase, exp *Expect) []Violation {
	var out []Violation
	add := func(inv, format string, args ...any) {
		out = append(out, Violation{Invariant: inv, Detail: fmt.Sprintf(format, args...)})
	}
	for _, e := range s.RecordErrs {
		add(InvRecordsDecodable, "%s", e)
	}
	checkHistory := func(inv, who string, h History) {
		if h.Err != "" {
			add(inv, "%s history failed: %s", who, h.Err)
			return
		}
		if got, want := rowsString(h.Rows), revisionsString(s.Revisions); got != want {
			add(inv, "%s history says %s, the records say %s", who, got, want)
		}
	}
	checkHistory(InvBargeHistory, "barge", s.Barge)
	checkHistory(InvHelmHistory, "helm", s.Helm)

	var deployed []int
	for _, r := range s.Revisions {
		if r.Status == "deployed" {
			deployed = append(deployed, r.Version)
		}
	}
	if len(deployed) > 1 {
		add(InvOneDeployed, "revisions %v are all deployed", deployed)
	}
	if len(deployed) > 0 {
		top := deployed[len(deployed)-1]
		for _, r := range s.Revisions {
			if r.Version > top && (r.Status == "superseded" || r.Status == "uninstalled") {
				add(InvDeployedNewest, "revision %d is %s but the older revision %d is deployed", r.Version, r.Status, top)
			}
		}
	}

	newest := Revision{Status: "none"}
	if n := len(s.Revisions); n > 0 {
		newest = s.Revisions[n-1]
	}
	switch newest.Status {
	case "deployed":
		checkLive(add, s.Live, newest)
	case "uninstalled", "none":
		checkLive(add, s.Live, Revision{Version: newest.Version, Status: newest.Status})
	}

	if p == AfterNext {
		for _, r := range s.Revisions {
			if strings.HasPrefix(r.Status, "pending") || r.Status == "uninstalling" {
				add(InvNoPending, "revision %d is %s", r.Version, r.Status)
			}
		}
		if s.Lease {
			add(InvLockReleased, "the release's Lease is still there after the next command ended")
		}
		if exp != nil {
			checkExpect(add, s, newest, *exp)
		}
	}
	return out
}

// checkLive compares the live objects with the record rev: every object of
// its manifest is there with its token, and no other object is.
func checkLive(add func(inv, format string, args ...any), live []Object, rev Revision) {
	byKey := map[string]Object{}
	for _, o := range live {
		byKey[o.Key()] = o
	}
	want := map[string]bool{}
	for _, o := range rev.Objects {
		want[o.Key()] = true
		got, ok := byKey[o.Key()]
		switch {
		case !ok:
			add(InvLiveMatches, "%s of revision %d (%s) is not in the cluster", o.Key(), rev.Version, rev.Status)
		case got.Token != o.Token:
			add(InvLiveMatches, "%s has token %q, revision %d (%s) says %q", o.Key(), got.Token, rev.Version, rev.Status, o.Token)
		}
	}
	for _, o := range live {
		if !want[o.Key()] {
			what := fmt.Sprintf("revision %d (%s)", rev.Version, rev.Status)
			if rev.Status == "none" {
				what = "no record"
			}
			add(InvLiveMatches, "%s (token %q) is in the cluster but not in %s", o.Key(), o.Token, what)
		}
	}
}

// checkExpect checks what the next command left against exp.
func checkExpect(add func(inv, format string, args ...any), s Snapshot, newest Revision, exp Expect) {
	switch {
	case exp.Gone:
		if len(s.Revisions) > 0 {
			add(InvNextResult, "want %s, records remain: %s", exp, revisionsString(s.Revisions))
		}
	case exp.Uninstalled:
		if newest.Status != "uninstalled" {
			add(InvNextResult, "want %s, newest revision is %d %s", exp, newest.Version, newest.Status)
		}
	default:
		ok := newest.Status == "deployed"
		if ok {
			ok = false
			for _, t := range exp.Tokens {
				ok = ok || newest.Token == t
			}
		}
		if !ok {
			add(InvNextResult, "want %s, newest revision is %d %s with token %q", exp, newest.Version, newest.Status, newest.Token)
		}
	}
}

// revisionsString writes revisions as "1:superseded 2:deployed".
func revisionsString(revs []Revision) string {
	rows := make([]HistoryRow, len(revs))
	for i, r := range revs {
		rows[i] = HistoryRow{Revision: r.Version, Status: r.Status}
	}
	return rowsString(rows)
}

func rowsString(rows []HistoryRow) string {
	rows = append([]HistoryRow(nil), rows...)
	sort.Slice(rows, func(i, j int) bool { return rows[i].Revision < rows[j].Revision })
	var b strings.Builder
	for i, r := range rows {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d:%s", r.Revision, r.Status)
	}
	if b.Len() == 0 {
		return "(none)"
	}
	return b.String()
}

// FormatHistory writes a release's records as a small table, for reports.
func FormatHistory(revs []Revision) string {
	if len(revs) == 0 {
		return "    (no records)\n"
	}
	var b strings.Builder
	for _, r := range revs {
		fmt.Fprintf(&b, "    %-3d %-16s token=%-14q %s\n", r.Version, r.Status, r.Token, oneLine(r.Description))
	}
	return b.String()
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}

// InvNoResurrection: a revision that ended (failed, superseded or
// uninstalled) never turns deployed or pending again: the writer of such a
// change worked from a state someone else had already moved past (a lost
// lock, or a client that was not told another one took over).
const InvNoResurrection = "no-revision-resurrected"

// RecordEvent is a change of a release record seen by the suite's watch.
type RecordEvent struct {
	// Secret is the record's Secret; Release and Version its labels.
	Secret, Release string
	Version         string
	// Status is the status label; "" when the Secret was deleted.
	Status string
	// At is when the suite saw the change, from the trial's start.
	At time.Duration
}

func (e RecordEvent) String() string {
	st := e.Status
	if st == "" {
		st = "(deleted)"
	}
	return fmt.Sprintf("%6.1fs record %s v%s -> %s", e.At.Seconds(), e.Release, e.Version, st)
}

// CheckTransitions returns the resurrections in a sequence of record
// changes, in the order they were seen. A record deleted and made again
// (a release uninstalled and installed anew) starts a new life.
func CheckTransitions(events []RecordEvent) []Violation {
	var out []Violation
	last := map[string]string{}
	for _, e := range events {
		prev := last[e.Secret]
		last[e.Secret] = e.Status
		ended := prev == "failed" || prev == "superseded" || prev == "uninstalled"
		if ended && (e.Status == "deployed" || strings.HasPrefix(e.Status, "pending")) {
			out = append(out, Violation{Invariant: InvNoResurrection,
				Detail: fmt.Sprintf("%s: revision %s went from %s back to %s at %.1fs", e.Release, e.Version, prev, e.Status, e.At.Seconds())})
		}
	}
	return out
}
