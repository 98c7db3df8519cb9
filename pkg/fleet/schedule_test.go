package fleet

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// runLog records what a stand-in for the release engine did, in order.
type runLog struct {
	mu      sync.Mutex
	events  []string // "start ID", "end ID"
	running map[string]int
	peak    map[string]int // the most releases running at once, by cluster
}

func (l *runLog) add(ev, cluster string, delta int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, ev)
	if l.running == nil {
		l.running, l.peak = map[string]int{}, map[string]int{}
	}
	l.running[cluster] += delta
	l.peak[cluster] = max(l.peak[cluster], l.running[cluster])
}

func (l *runLog) index(ev string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Index(l.events, ev)
}

// testClusters returns a Clusters over lanes named names whose releases
// are run by a stand-in: each takes a few milliseconds, and fails with
// fail's error for its ID when fail has one.
func testClusters(log *runLog, fail map[string]error, names ...string) *Clusters {
	m := &Clusters{}
	for _, n := range names {
		m.clusters = append(m.clusters, ClusterRunner{Name: n})
	}
	m.do = func(ctx context.Context, l *lane, c *Change, res *Result, opts ApplyOptions, free func()) {
		log.add("start "+c.ID(), c.Cluster, 1)
		time.Sleep(5 * time.Millisecond)
		res.Err = fail[c.ID()]
		log.add("end "+c.ID(), c.Cluster, -1)
	}
	return m
}

func change(cluster, ns, name string, a Action, needs ...string) Change {
	return Change{Cluster: cluster, Namespace: ns, Name: name, Action: a, Needs: needs}
}

func TestScheduleNeedsAcrossClusters(t *testing.T) {
	log := &runLog{}
	m := testClusters(log, nil, "east", "west")
	p := &Plan{Changes: []Change{
		change("west", "t", "app", ActionInstall, "east/shared/db"),
		change("west", "t", "app2", ActionUpgrade, "west/t/app", "west/t/cfg"),
		change("east", "shared", "db", ActionInstall, "east/crds/crds"),
		change("east", "crds", "crds", ActionUnchanged),
		change("west", "t", "cfg", ActionInstall),
		change("west", "t", "free", ActionInstall, "east/other/missing"), // a need the plan leaves out
	}}
	rep := m.Apply(context.Background(), p, ApplyOptions{})
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	before := func(a, b string) {
		t.Helper()
		if ia, ib := log.index(a), log.index(b); ia < 0 || ib < 0 || ia > ib {
			t.Errorf("%q (at %d) should come before %q (at %d): %v", a, ia, b, ib, log.events)
		}
	}
	before("end east/shared/db", "start west/t/app")
	before("end west/t/app", "start west/t/app2")
	before("end west/t/cfg", "start west/t/app2")
	if log.index("start east/crds/crds") >= 0 {
		t.Error("an unchanged release was run")
	}
	if log.index("start west/t/free") < 0 {
		t.Error("a release whose need the plan leaves out did not run")
	}
}

func TestScheduleSkipsWhatNeedsAFailure(t *testing.T) {
	log := &runLog{}
	boom := errors.New("boom")
	m := testClusters(log, map[string]error{"east/shared/db": boom}, "east", "west")
	var mu sync.Mutex
	failedEvents := map[string]error{}
	p := &Plan{Changes: []Change{
		change("east", "shared", "db", ActionInstall),
		change("west", "t", "app", ActionInstall, "east/shared/db"),
		change("west", "t", "app2", ActionInstall, "west/t/app"),
		change("west", "t", "other", ActionInstall),
	}}
	rep := m.Apply(context.Background(), p, ApplyOptions{Events: func(ev Event) {
		if ev.Phase == PhaseFailed {
			mu.Lock()
			failedEvents[ev.Change.ID()] = ev.Err
			mu.Unlock()
		}
	}})
	for _, id := range []string{"west/t/app", "west/t/app2"} {
		if log.index("start "+id) >= 0 {
			t.Errorf("%s ran although its need failed", id)
		}
		if failedEvents[id] == nil {
			t.Errorf("no failure event for %s", id)
		}
	}
	r := rep.Results
	if r[0].Err != boom || r[0].Skipped {
		t.Errorf("db: %+v", r[0])
	}
	if !r[1].Skipped || r[1].Err == nil || r[1].Err.Error() != "release west/t/app: not started: it needs east/shared/db, which failed" {
		t.Errorf("app: skipped %v, err %v", r[1].Skipped, r[1].Err)
	}
	if !r[2].Skipped || r[2].Err == nil || !strings.Contains(r[2].Err.Error(), "it needs west/t/app, which failed") {
		t.Errorf("app2: skipped %v, err %v", r[2].Skipped, r[2].Err)
	}
	if r[3].Err != nil || r[3].Skipped {
		t.Errorf("other, needing nothing, did not succeed: %+v", r[3])
	}
	if got := len(rep.Failed()); got != 3 {
		t.Errorf("%d failed, want 3", got)
	}
}

func TestScheduleClusterDownFailsOnlyItsReleases(t *testing.T) {
	log := &runLog{}
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
	m := testClusters(log, map[string]error{"west/t/w0": dial}, "east", "west")
	m.clusters[1].Concurrency = 1 // west's others wait in its queue
	var p Plan
	for _, n := range []string{"w0", "w1", "w2"} {
		p.Changes = append(p.Changes, change("west", "t", n, ActionInstall))
	}
	for _, n := range []string{"e0", "e1"} {
		p.Changes = append(p.Changes, change("east", "t", n, ActionInstall))
	}
	p.Changes = append(p.Changes, change("east", "t", "e2", ActionInstall, "west/t/w2"))
	rep := m.Apply(context.Background(), &p, ApplyOptions{})
	for _, id := range []string{"west/t/w1", "west/t/w2"} {
		if log.index("start "+id) >= 0 {
			t.Errorf("%s was tried after its cluster could not be dialled", id)
		}
	}
	r := rep.Results
	for _, i := range []int{1, 2} {
		var ce *ClusterError
		if !errors.As(r[i].Err, &ce) || ce.Cluster != "west" || r[i].Skipped {
			t.Errorf("%s: %v, want a failure naming cluster west", r[i].Change.ID(), r[i].Err)
		}
	}
	if want := "release west/t/w1: not started: cluster west: unreachable: dial tcp: connect: connection refused"; r[1].Err == nil || r[1].Err.Error() != want {
		t.Errorf("w1's error: %v\nwant %s", r[1].Err, want)
	}
	if r[3].Err != nil || r[4].Err != nil {
		t.Errorf("east's releases failed: %v, %v", r[3].Err, r[4].Err)
	}
	if !r[5].Skipped {
		t.Errorf("e2, needing a release of the down cluster, was not skipped: %+v", r[5])
	}
}

func TestScheduleConcurrencyPerCluster(t *testing.T) {
	log := &runLog{}
	m := testClusters(log, nil, "east", "west")
	m.clusters[0].Concurrency = 1
	var p Plan
	for _, c := range []string{"east", "west"} {
		for _, n := range []string{"a", "b", "c", "d"} {
			p.Changes = append(p.Changes, change(c, "t", n, ActionInstall))
		}
	}
	if err := m.Apply(context.Background(), &p, ApplyOptions{Concurrency: 3}).Err(); err != nil {
		t.Fatal(err)
	}
	if log.peak["east"] != 1 || log.peak["west"] != 3 {
		t.Errorf("most at once: east %d (want its own 1), west %d (want --concurrency's 3)", log.peak["east"], log.peak["west"])
	}
}

func TestScheduleInterrupted(t *testing.T) {
	log := &runLog{}
	m := testClusters(log, nil, "")
	ctx, cancel := context.WithCancel(context.Background())
	inner := m.do
	m.do = func(c context.Context, l *lane, ch *Change, res *Result, opts ApplyOptions, free func()) {
		inner(c, l, ch, res, opts, free)
		cancel()
	}
	p := &Plan{Changes: []Change{change("", "t", "a", ActionInstall), change("", "t", "b", ActionInstall), change("", "t", "c", ActionInstall, "t/a")}}
	rep := m.Apply(ctx, p, ApplyOptions{Concurrency: 1})
	r := rep.Results
	if r[0].Err != nil || r[0].Skipped || !r[1].Skipped || r[1].Err != nil || !r[2].Skipped || r[2].Err != nil {
		t.Errorf("after an interruption: %+v", r)
	}
	if err := rep.Err(); err == nil || !strings.Contains(err.Error(), "release t/b: not started: interrupted before it started") {
		t.Errorf("report error: %v", err)
	}
}

func TestDestroyInReverseOrderOfNeeds(t *testing.T) {
	rels := []*Release{
		{Cluster: "east", Namespace: "shared", Name: "db"},
		{Cluster: "west", Namespace: "t", Name: "app", Needs: []string{"east/shared/db"}},
	}
	p := &Plan{Changes: []Change{change("east", "shared", "db", ActionPrune), change("west", "t", "app", ActionPrune)}}
	reverseNeeds(p.Changes, rels)
	log := &runLog{}
	m := testClusters(log, map[string]error{"west/t/app": errors.New("forbidden")}, "east", "west")
	rep := m.Apply(context.Background(), p, ApplyOptions{})
	if log.index("start east/shared/db") >= 0 {
		t.Error("the database was uninstalled although the release needing it could not be")
	}
	want := "release east/shared/db: not uninstalled: west/t/app, which needs it, failed to uninstall"
	if err := rep.Results[0].Err; err == nil || err.Error() != want {
		t.Errorf("db: %v\nwant %s", err, want)
	}
	log = &runLog{}
	m = testClusters(log, nil, "east", "west")
	m.Apply(context.Background(), p, ApplyOptions{})
	if a, b := log.index("end west/t/app"), log.index("start east/shared/db"); a < 0 || b < a {
		t.Errorf("the database was uninstalled before the release needing it: %v", log.events)
	}
}

func TestScheduleClusterDownAtStart(t *testing.T) {
	log := &runLog{}
	m := testClusters(log, nil, "east", "west")
	down := errors.New("unreachable at https://west:6443")
	m.clusters[1].Err = down
	ce := &ClusterError{Cluster: "west", Err: down}
	p := &Plan{Changes: []Change{
		change("west", "shared", "db", ActionInstall),
		change("west", "t", "app", ActionInstall, "west/shared/db"),
		change("east", "t", "app", ActionInstall, "west/shared/db"),
	}}
	p.Changes[0].Err, p.Changes[1].Err = ce, ce // as Clusters.Plan leaves them
	rep := m.Apply(context.Background(), p, ApplyOptions{})
	for _, i := range []int{0, 1} {
		var got *ClusterError
		if r := rep.Results[i]; !errors.As(r.Err, &got) || r.Skipped {
			t.Errorf("%s: skipped %v, err %v; want it failed with its cluster's error", r.Change.ID(), r.Skipped, r.Err)
		}
	}
	if r := rep.Results[2]; !r.Skipped || r.Err == nil || !strings.Contains(r.Err.Error(), "it needs west/shared/db, which failed") {
		t.Errorf("east's app: skipped %v, err %v", r.Skipped, r.Err)
	}
	if len(log.events) != 0 {
		t.Errorf("releases ran: %v", log.events)
	}
}

func TestScheduleRunsEachReleaseOnce(t *testing.T) {
	log := &runLog{}
	m := testClusters(log, nil, "")
	// The unchanged need comes first: done at once, it readies its
	// dependent before the loop reaches it.
	p := &Plan{Changes: []Change{
		change("", "shared", "db", ActionUnchanged),
		change("", "app", "app", ActionUpgrade, "shared/db"),
		change("", "app", "app2", ActionUpgrade, "shared/db", "app/app"),
	}}
	if err := m.Apply(context.Background(), p, ApplyOptions{}).Err(); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"app/app", "app/app2"} {
		n := 0
		for _, ev := range log.events {
			if ev == "start "+id {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s started %d times, want once: %v", id, n, log.events)
		}
	}
}
