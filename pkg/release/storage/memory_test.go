package storage

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"helm.sh/helm/v3/pkg/chart"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/bargehq/barge/pkg/release"
)

var testEpoch = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// rev builds revision v of release name in namespace ns.
func rev(ns, name string, v int, st release.Status) *release.Release {
	return &release.Release{
		Name: name, Namespace: ns, Version: v,
		Info: &release.Info{
			FirstDeployed: testEpoch,
			LastDeployed:  testEpoch.Add(time.Duration(v) * time.Minute),
			Status:        st,
			Description:   "revision " + string(rune('0'+v)),
		},
		Chart:    &chart.Chart{Metadata: &chart.Metadata{Name: "demo", Version: "1.0.0", AppVersion: "2.0"}},
		Config:   map[string]any{"rev": float64(v)},
		Manifest: "kind: ConfigMap\n",
	}
}

func summaryOf(r *release.Release) Summary {
	s := summarize(r)
	if s.Labels == nil {
		s.Labels = map[string]string{}
	}
	return s
}

func newTestMemory(t *testing.T, ns string, recs ...*release.Release) *Memory {
	t.Helper()
	m := NewMemory(ns, Options{Holder: "tester@host/1", Now: func() time.Time { return testEpoch }})
	for _, r := range recs {
		if err := m.InNamespace(r.Namespace).Create(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func revisions(s []Summary) []int {
	var out []int
	for _, x := range s {
		out = append(out, x.Revision)
	}
	return out
}

func TestMemoryCRUD(t *testing.T) {
	ctx := t.Context()
	m := newTestMemory(t, "apps")
	r1 := rev("apps", "web", 1, release.StatusDeployed)
	r1.Labels = map[string]string{"team": "blue"}
	if err := m.Create(ctx, r1); err != nil {
		t.Fatal(err)
	}
	if err := m.Create(ctx, r1); !errors.Is(err, release.ErrExists) {
		t.Errorf("second Create: err = %v, want ErrExists", err)
	}
	got, err := m.Get(ctx, "web", 1)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r1, got, chartOpts); diff != "" {
		t.Errorf("Get mismatch (-want +got):\n%s", diff)
	}
	if _, err := m.Get(ctx, "web", 2); !errors.Is(err, release.ErrNotFound) {
		t.Errorf("Get missing revision: err = %v, want ErrNotFound", err)
	}
	if err := m.Update(ctx, rev("apps", "web", 2, release.StatusFailed)); !errors.Is(err, release.ErrNotFound) {
		t.Errorf("Update missing revision: err = %v, want ErrNotFound", err)
	}
	r1.Info.Status = release.StatusSuperseded
	if err := m.Update(ctx, r1); err != nil {
		t.Fatal(err)
	}
	if got, _ := m.Get(ctx, "web", 1); got.Info.Status != release.StatusSuperseded {
		t.Errorf("after Update: status = %s, want superseded", got.Info.Status)
	}
	// Caller's changes after storing do not leak into the store.
	r1.Info.Status = release.StatusFailed
	if got, _ := m.Get(ctx, "web", 1); got.Info.Status != release.StatusSuperseded {
		t.Errorf("store shares memory with caller: status = %s", got.Info.Status)
	}
	del, err := m.Delete(ctx, "web", 1)
	if err != nil || del.Version != 1 {
		t.Fatalf("Delete = %v, %v", del, err)
	}
	if _, err := m.Delete(ctx, "web", 1); !errors.Is(err, release.ErrNotFound) {
		t.Errorf("second Delete: err = %v, want ErrNotFound", err)
	}
}

var chartOpts = cmpopts.IgnoreUnexported(chart.Chart{})

func TestMemoryQueries(t *testing.T) {
	ctx := t.Context()
	m := newTestMemory(t, "apps",
		rev("apps", "web", 1, release.StatusSuperseded),
		rev("apps", "web", 2, release.StatusDeployed),
		rev("apps", "web", 3, release.StatusFailed),
		rev("apps", "db", 1, release.StatusFailed),
		rev("other", "web", 7, release.StatusDeployed),
	)
	apps := m.InNamespace("apps")

	t.Run("history is oldest first and stays in the namespace", func(t *testing.T) {
		h, err := apps.History(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]int{1, 2, 3}, revisions(h)); diff != "" {
			t.Errorf("revisions (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(summaryOf(rev("apps", "web", 2, release.StatusDeployed)), h[1]); diff != "" {
			t.Errorf("summary (-want +got):\n%s", diff)
		}
	})
	t.Run("history of unknown release", func(t *testing.T) {
		if _, err := apps.History(ctx, "nope"); !errors.Is(err, release.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})
	t.Run("last is the highest revision", func(t *testing.T) {
		last, err := apps.Last(ctx, "web")
		if err != nil || last.Version != 3 {
			t.Errorf("Last = %v, %v; want revision 3", last, err)
		}
	})
	t.Run("deployed is the highest deployed revision", func(t *testing.T) {
		d, err := apps.Deployed(ctx, "web")
		if err != nil || d.Version != 2 {
			t.Errorf("Deployed = %v, %v; want revision 2", d, err)
		}
	})
	t.Run("no deployed revision", func(t *testing.T) {
		_, err := apps.Deployed(ctx, "db")
		if !errors.Is(err, release.ErrNoDeployed) {
			t.Fatalf("err = %v, want ErrNoDeployed", err)
		}
		if got, want := err.Error(), `"db" has no deployed releases`; got != want {
			t.Errorf("err = %q, want %q (Helm's wording)", got, want)
		}
	})
	t.Run("all namespaces: a name in two namespaces is ambiguous", func(t *testing.T) {
		all := m.InNamespace("")
		if _, err := all.Last(ctx, "web"); err == nil || !regexp.MustCompile(`several namespaces \(\[apps other\]\)`).MatchString(err.Error()) {
			t.Errorf("err = %v, want an ambiguity error naming both namespaces", err)
		}
		if last, err := all.Last(ctx, "db"); err != nil || last.Namespace != "apps" {
			t.Errorf("Last(db) = %v, %v", last, err)
		}
	})
}

func TestList(t *testing.T) {
	recs := []*release.Release{
		rev("apps", "web", 1, release.StatusSuperseded),
		rev("apps", "web", 2, release.StatusDeployed),
		rev("apps", "web", 3, release.StatusFailed),
		rev("apps", "db", 1, release.StatusDeployed),
		rev("apps", "cache", 1, release.StatusSuperseded),
		rev("apps", "cache", 2, release.StatusPendingUpgrade),
		rev("other", "web", 7, release.StatusDeployed),
	}
	recs[3].Labels = map[string]string{"team": "red"}
	type row struct {
		NS, Name string
		Rev      int
		Status   release.Status
	}
	tests := []struct {
		name string
		ns   string
		opts ListOptions
		want []row
	}{
		{name: "latest of each release, all namespaces", opts: ListOptions{}, want: []row{
			{"apps", "cache", 2, release.StatusPendingUpgrade}, {"apps", "db", 1, release.StatusDeployed},
			{"apps", "web", 3, release.StatusFailed}, {"other", "web", 7, release.StatusDeployed},
		}},
		{name: "one namespace", ns: "other", want: []row{{"other", "web", 7, release.StatusDeployed}}},
		{name: "status applies to the latest revision", ns: "apps", opts: ListOptions{Statuses: []release.Status{release.StatusDeployed}}, want: []row{
			{"apps", "db", 1, release.StatusDeployed},
		}},
		{name: "filter by name", opts: ListOptions{Filter: regexp.MustCompile("^w")}, want: []row{
			{"apps", "web", 3, release.StatusFailed}, {"other", "web", 7, release.StatusDeployed},
		}},
		{name: "selector on custom labels", opts: ListOptions{Selector: labels.SelectorFromSet(labels.Set{"team": "red"})}, want: []row{
			{"apps", "db", 1, release.StatusDeployed},
		}},
		{name: "selector on system labels", opts: ListOptions{Selector: labels.SelectorFromSet(labels.Set{"status": "failed"})}, want: []row{
			{"apps", "web", 3, release.StatusFailed},
		}},
		{name: "all superseded revisions", opts: ListOptions{Statuses: []release.Status{release.StatusSuperseded}, AllRevisions: true}, want: []row{
			{"apps", "cache", 1, release.StatusSuperseded}, {"apps", "web", 1, release.StatusSuperseded},
		}},
		{name: "superseded without all revisions finds none", opts: ListOptions{Statuses: []release.Status{release.StatusSuperseded}}, want: nil},
	}
	m := newTestMemory(t, "", recs...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.InNamespace(tt.ns).List(t.Context(), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var rows []row
			for _, s := range got {
				rows = append(rows, row{s.Namespace, s.Name, s.Revision, s.Status})
			}
			if diff := cmp.Diff(tt.want, rows); diff != "" {
				t.Errorf("List (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPruneVictims(t *testing.T) {
	mk := func(sts ...release.Status) []recordMeta {
		var out []recordMeta
		// Given newest first to check that order does not matter.
		for i := len(sts) - 1; i >= 0; i-- {
			out = append(out, recordMeta{revision: i + 1, status: sts[i]})
		}
		return out
	}
	S, D, F := release.StatusSuperseded, release.StatusDeployed, release.StatusFailed
	tests := []struct {
		name string
		recs []recordMeta
		keep int
		want []int
	}{
		{name: "under the limit", recs: mk(S, D), keep: 5, want: nil},
		{name: "negative keep does nothing", recs: mk(S, S, D), keep: -1, want: nil},
		{name: "oldest go first", recs: mk(S, S, S, D), keep: 2, want: []int{1, 2}},
		{name: "deployed revision is kept even when oldest", recs: mk(D, F, F, F), keep: 2, want: []int{2, 3}},
		{name: "keep zero spares the deployed", recs: mk(S, D, F), keep: 0, want: []int{1, 3}},
		{name: "no deployed revision", recs: mk(F, F, F), keep: 1, want: []int{1, 2}},
		{name: "two deployed: the latest is kept", recs: mk(D, S, D, F), keep: 1, want: []int{1, 2, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, pruneVictims(tt.recs, tt.keep)); diff != "" {
				t.Errorf("victims (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMemoryPrune(t *testing.T) {
	ctx := t.Context()
	m := newTestMemory(t, "apps",
		rev("apps", "web", 1, release.StatusSuperseded),
		rev("apps", "web", 2, release.StatusDeployed),
		rev("apps", "web", 3, release.StatusFailed),
		rev("apps", "web", 4, release.StatusFailed),
		rev("apps", "db", 1, release.StatusDeployed),
	)
	deleted, err := m.Prune(ctx, "web", 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{1, 3}, deleted); diff != "" {
		t.Errorf("deleted (-want +got):\n%s", diff)
	}
	h, err := m.History(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{2, 4}, revisions(h)); diff != "" {
		t.Errorf("remaining (-want +got):\n%s", diff)
	}
	if h, _ := m.History(ctx, "db"); len(h) != 1 {
		t.Errorf("other release pruned: %v", h)
	}
}

func TestMemoryLock(t *testing.T) {
	ctx := context.Background()
	m := newTestMemory(t, "apps")
	other := NewMemory("apps", Options{Holder: "other@host/2"})
	other.state = m.state

	unlock, err := m.Lock(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	_, err = other.Lock(ctx, "web")
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, release.ErrLocked) {
		t.Fatalf("second Lock: err = %v, want a LockedError wrapping ErrLocked", err)
	}
	if le.Holder != "tester@host/1" || !le.Since.Equal(testEpoch) {
		t.Errorf("LockedError = %+v, want holder tester@host/1 since %v", le, testEpoch)
	}
	if u, err := other.Lock(ctx, "db"); err != nil {
		t.Errorf("another release's lock: %v", err)
	} else {
		u.Unlock()
	}
	unlock.Unlock()
	unlock.Unlock() // harmless
	u2, err := other.Lock(ctx, "web")
	if err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
	u2.Unlock()
}
