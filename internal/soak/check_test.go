package soak

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// rev is a crafted revision of release "r" with the soak chart's objects
// carrying token.
func rev(version int, status, token string) Revision {
	return Revision{Version: version, Status: status, Token: token, Objects: objects(token)}
}

// objects are the soak chart's objects of release "r" with token.
func objects(token string) []Object {
	return []Object{{Kind: "ConfigMap", Name: "r-config", Token: token}, {Kind: "Deployment", Name: "r", Token: token}}
}

// rows returns the history rows that agree with revs.
func rows(revs ...Revision) History {
	h := History{Rows: []HistoryRow{}}
	for _, r := range revs {
		h.Rows = append(h.Rows, HistoryRow{Revision: r.Version, Status: r.Status})
	}
	return h
}

// snap is a consistent snapshot of revs with live objects live.
func snap(live []Object, revs ...Revision) Snapshot {
	return Snapshot{Release: "r", Revisions: revs, Barge: rows(revs...), Helm: rows(revs...), Live: live}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name  string
		s     Snapshot
		phase Phase
		exp   *Expect
		want  []string // the invariants broken, sorted
	}{
		{
			name:  "clean upgrade",
			s:     snap(objects("b"), rev(1, "superseded", "a"), rev(2, "deployed", "b")),
			phase: AfterNext, exp: &Expect{Tokens: []string{"b"}},
		},
		{
			name:  "killed upgrade left pending: fine after the trial",
			s:     snap(objects("b"), rev(1, "deployed", "a"), rev(2, "pending-upgrade", "b")),
			phase: AfterTrial,
		},
		{
			name:  "killed upgrade left pending: not after the next command",
			s:     snap(objects("a"), rev(1, "deployed", "a"), rev(2, "pending-upgrade", "b")),
			phase: AfterNext, exp: &Expect{Tokens: []string{"c"}},
			want: []string{InvNextResult, InvNoPending},
		},
		{
			name:  "uninstalling left behind",
			s:     snap(nil, rev(1, "uninstalling", "a")),
			phase: AfterNext, exp: &Expect{Gone: true},
			want: []string{InvNextResult, InvNoPending},
		},
		{
			name: "two deployed, the older one winning (lost lock, issue 14 #1)",
			s: snap(objects("a2"), rev(1, "superseded", "a"), rev(2, "deployed", "a2"), rev(3, "superseded", "b3"),
				rev(4, "deployed", "x")),
			phase: AfterTrial,
			want:  []string{InvOneDeployed, InvLiveMatches, InvLiveMatches},
		},
		{
			name:  "superseded newer than deployed",
			s:     snap(objects("a2"), rev(1, "superseded", "a"), rev(2, "deployed", "a2"), rev(3, "superseded", "b3")),
			phase: AfterTrial,
			want:  []string{InvDeployedNewest},
		},
		{
			name:  "failed newer than deployed is Helm's way",
			s:     snap(objects("b"), rev(1, "deployed", "a"), rev(2, "failed", "b")),
			phase: AfterTrial,
		},
		{
			name:  "live objects from helm, newest record from barge (issue 14 #2)",
			s:     snap(objects("helm"), rev(1, "superseded", "a"), rev(2, "superseded", "helm"), rev(3, "deployed", "barge")),
			phase: AfterTrial,
			want:  []string{InvLiveMatches, InvLiveMatches},
		},
		{
			name:  "an object of the manifest is missing",
			s:     snap(objects("a")[:1], rev(1, "deployed", "a")),
			phase: AfterTrial,
			want:  []string{InvLiveMatches},
		},
		{
			name:  "objects left with no record (interrupted uninstall cleaned up wrongly)",
			s:     snap(objects("a")),
			phase: AfterNext, exp: &Expect{Gone: true},
			want: []string{InvLiveMatches, InvLiveMatches},
		},
		{
			name:  "uninstalled with history, nothing live",
			s:     snap(nil, rev(1, "superseded", "a"), rev(2, "uninstalled", "b")),
			phase: AfterNext, exp: &Expect{Uninstalled: true},
		},
		{
			name: "helm cannot read the history",
			s: func() Snapshot {
				s := snap(objects("a"), rev(1, "deployed", "a"))
				s.Helm = History{Err: "helm history r -o json -> exit 1\nError: release: not found"}
				return s
			}(),
			phase: AfterTrial,
			want:  []string{InvHelmHistory},
		},
		{
			name: "barge's history disagrees with the records",
			s: func() Snapshot {
				s := snap(objects("a"), rev(1, "deployed", "a"))
				s.Barge = rows(rev(1, "failed", "a"))
				return s
			}(),
			phase: AfterTrial,
			want:  []string{InvBargeHistory},
		},
		{
			name: "a record does not decode",
			s: func() Snapshot {
				s := snap(nil)
				s.RecordErrs = []string{"Secret sh.helm.release.v1.r.v1: record: gzip: unexpected EOF"}
				return s
			}(),
			phase: AfterTrial,
			want:  []string{InvRecordsDecodable},
		},
		{
			name: "Lease left after the next command",
			s: func() Snapshot {
				s := snap(objects("c"), rev(1, "deployed", "c"))
				s.Lease = true
				return s
			}(),
			phase: AfterNext, exp: &Expect{Tokens: []string{"c"}},
			want: []string{InvLockReleased},
		},
		{
			name:  "the next command's token is not the newest deployed",
			s:     snap(objects("a"), rev(1, "deployed", "a"), rev(2, "failed", "c")),
			phase: AfterNext, exp: &Expect{Tokens: []string{"c"}},
			want: []string{InvNextResult},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, v := range Check(tt.s, tt.phase, tt.exp) {
				got = append(got, v.Invariant)
			}
			sort.Strings(got)
			want := append([]string(nil), tt.want...)
			sort.Strings(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("invariants broken (-want +got):\n%s\nall: %v", diff, Check(tt.s, tt.phase, tt.exp))
			}
		})
	}
}

// helmRecord encodes a record as Helm's Secrets driver stores it.
func helmRecord(t *testing.T, v any, compress bool) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if compress {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = zw.Write(raw)
		_ = zw.Close()
		raw = b.Bytes()
	}
	return []byte(base64.StdEncoding.EncodeToString(raw))
}

func TestDecodeRevision(t *testing.T) {
	rec := map[string]any{
		"name":    "r",
		"version": 3,
		"info":    map[string]any{"status": "deployed", "description": "Upgrade complete"},
		"config":  map[string]any{"token": "t7-op"},
		"manifest": "---\n# Source: soak/templates/configmap.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: r-config\ndata:\n  token: \"t7-op\"\n" +
			"---\n# Source: soak/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: r\nspec:\n  template:\n    metadata:\n      annotations:\n        token: \"t7-op\"\n",
	}
	want := Revision{Version: 3, Status: "deployed", Description: "Upgrade complete", Token: "t7-op", Objects: objects("t7-op")}
	want.Objects[0].Name, want.Objects[1].Name = "r-config", "r"
	for _, tt := range []struct {
		name     string
		compress bool
	}{{"gzip", true}, {"plain JSON", false}} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeRevision(helmRecord(t, rec, tt.compress))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("DecodeRevision (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("not base64", func(t *testing.T) {
		if _, err := DecodeRevision([]byte("!!")); err == nil {
			t.Error("DecodeRevision of garbage: no error")
		}
	})
}

func TestNewPlanReplays(t *testing.T) {
	for i := range 50 {
		if a, b := NewPlan(42, i), NewPlan(42, i); a != b {
			t.Fatalf("trial %d of seed 42 drawn twice differs:\n%v\n%v", i, a, b)
		}
	}
	seen := map[Op]bool{}
	faults := map[Fault]bool{}
	for i := range 500 {
		p := NewPlan(7, i)
		seen[p.Op], faults[p.Fault] = true, true
	}
	if len(seen) != len(Ops) || len(faults) != len(Faults) {
		t.Errorf("500 trials drew ops %v and faults %v: want every one", seen, faults)
	}
}

func TestCheckTransitions(t *testing.T) {
	ev := func(v, status string) RecordEvent {
		return RecordEvent{Secret: "sh.helm.release.v1.r.v" + v, Release: "r", Version: v, Status: status}
	}
	tests := []struct {
		name   string
		events []RecordEvent
		want   int
	}{
		{"upgrade", []RecordEvent{ev("1", "deployed"), ev("2", "pending-upgrade"), ev("2", "deployed"), ev("1", "superseded")}, 0},
		{"interrupted then recovered", []RecordEvent{ev("2", "pending-upgrade"), ev("2", "failed"), ev("3", "pending-upgrade"), ev("3", "deployed")}, 0},
		{"uninstalled and installed anew", []RecordEvent{ev("1", "uninstalled"), ev("1", ""), ev("1", "pending-install"), ev("1", "deployed")}, 0},
		{"lost lock: failed back to deployed (issue 14 #1)", []RecordEvent{ev("2", "pending-upgrade"), ev("2", "failed"), ev("3", "deployed"), ev("2", "deployed"), ev("3", "superseded")}, 1},
		{"superseded back to pending", []RecordEvent{ev("1", "superseded"), ev("1", "pending-rollback")}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CheckTransitions(tt.events); len(got) != tt.want {
				t.Errorf("CheckTransitions = %v, want %d violations", got, tt.want)
			}
		})
	}
}
