package fleet_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"

	"github.com/bargehq/barge/internal/localcluster"
	"github.com/bargehq/barge/pkg/cluster"
	"github.com/bargehq/barge/pkg/fleet"
	"github.com/bargehq/barge/pkg/kube"
	"github.com/bargehq/barge/pkg/release"
	"github.com/bargehq/barge/pkg/release/storage"
)

// writeCounter counts the requests that change something on the server,
// and the others.
type writeCounter struct {
	rt            http.RoundTripper
	writes, reads *atomic.Int64
	// accounts counts the creations of ServiceAccounts.
	accounts *atomic.Int64
}

func (w writeCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		w.reads.Add(1)
	default:
		w.writes.Add(1)
		if req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/serviceaccounts") {
			w.accounts.Add(1)
		}
	}
	return w.rt.RoundTrip(req)
}

// clusterLookup serves the lookup template function from the cluster, as
// barge's commands do: the object, or an empty map when there is none.
type clusterLookup struct{ kc *kube.Client }

func (l clusterLookup) Lookup(ctx context.Context, apiVersion, kind, namespace, name string) (map[string]any, error) {
	obj := &unstructured.Unstructured{}
	obj.SetAPIVersion(apiVersion)
	obj.SetKind(kind)
	obj.SetNamespace(namespace)
	obj.SetName(name)
	live, err := l.kc.Get(ctx, obj)
	if err != nil || live == nil {
		return map[string]any{}, err
	}
	return live.Object, nil
}

// harness is a fleet runner on the local cluster whose writes are counted.
type harness struct {
	t        *testing.T
	runner   *fleet.Runner
	store    *storage.Secrets
	cs       kubernetes.Interface
	writes   *atomic.Int64
	reads    *atomic.Int64
	accounts *atomic.Int64
	dir      string
	suffix   string
}

func newHarness(t *testing.T) *harness {
	c := localcluster.Get(t)
	h := &harness{t: t, writes: &atomic.Int64{}, reads: &atomic.Int64{}, accounts: &atomic.Int64{}, dir: t.TempDir(), suffix: fmt.Sprintf("%d", time.Now().UnixNano()%100000)}
	rc := c.RESTConfig()
	rc.QPS, rc.Burst = 1000, 2000
	rc.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return writeCounter{rt: rt, writes: h.writes, reads: h.reads, accounts: h.accounts}
	})
	kc, err := kube.NewForRESTConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	if h.store, err = storage.NewSecrets(rc, "", storage.Options{}); err != nil {
		t.Fatal(err)
	}
	if h.runner, err = fleet.NewRunner(fleet.Config{Kube: kc, Store: h.store, Lookup: clusterLookup{kc}, Objects: cluster.NewObjects(kc)}); err != nil {
		t.Fatal(err)
	}
	if h.cs, err = kubernetes.NewForConfig(c.RESTConfig()); err != nil {
		t.Fatal(err)
	}
	chart, err := filepath.Abs("testdata/charts/tenant")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(chart, filepath.Join(h.dir, "tenant")); err != nil {
		t.Fatal(err)
	}
	return h
}

// ns is the namespace of a tenant in this test run.
func (h *harness) ns(tenant string) string { return "fleet-" + h.suffix + "-" + tenant }

// file writes a fleet file for tenants given as YAML list items and
// returns its releases.
func (h *harness) file(name, tenants string, extra string) (*fleet.File, []*fleet.Release) {
	h.t.Helper()
	src := fmt.Sprintf(`apiVersion: barge.dev/v1alpha1
kind: Fleet
metadata:
  name: %s
tenants:
  items:
%s
releases:
  - name: "app-{{ .Tenant.name }}"
    namespace: "fleet-%s-{{ .Tenant.name }}"
    chart: tenant
    perTenant: true
    set:
      greeting: "{{ .Tenant.greeting | default \"hello\" }}"
      port: "{{ .Tenant.port | default 80 }}"
      claim: "{{ .Tenant.claim | default \"\" }}"
%s`, name, tenants, h.suffix, extra)
	path := filepath.Join(h.dir, "fleet.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		h.t.Fatal(err)
	}
	f, err := fleet.Load(path)
	if err != nil {
		h.t.Fatal(err)
	}
	rels, err := f.Expand(fleet.ExpandOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	for _, r := range rels {
		ns := r.Namespace
		h.t.Cleanup(func() {
			_ = h.cs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
		})
	}
	return f, rels
}

// apply plans and applies, and returns the plan's actions by release name
// and the report.
func (h *harness) apply(ctx context.Context, f *fleet.File, rels []*fleet.Release, prune bool, opts fleet.ApplyOptions) (map[string]fleet.Action, *fleet.Report) {
	h.t.Helper()
	p, err := h.runner.Plan(ctx, f.Metadata.Name, rels, fleet.PlanOptions{Prune: prune})
	if err != nil {
		h.t.Fatal(err)
	}
	actions := map[string]fleet.Action{}
	for _, c := range p.Changes {
		actions[c.Name] = c.Action
	}
	return actions, h.runner.Apply(ctx, p, opts)
}

// revisions returns each release's last revision and status, "-" when it
// has no record.
func (h *harness) revisions(names ...string) map[string]string {
	h.t.Helper()
	out := map[string]string{}
	for _, n := range names {
		last, err := h.store.InNamespace(h.ns(strings.TrimPrefix(n, "app-"))).Last(context.Background(), n)
		switch {
		case errors.Is(err, release.ErrNotFound):
			out[n] = "-"
		case err != nil:
			h.t.Fatal(err)
		default:
			out[n] = fmt.Sprintf("%d %s", last.Version, last.Info.Status)
		}
	}
	return out
}

func (h *harness) configMap(tenant string) (string, bool) {
	h.t.Helper()
	cm, err := h.cs.CoreV1().ConfigMaps(h.ns(tenant)).Get(context.Background(), "app-"+tenant+"-config", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return "", false
	}
	if err != nil {
		h.t.Fatal(err)
	}
	return cm.Data["greeting"], true
}

func noFailures(t *testing.T, rep *fleet.Report) {
	t.Helper()
	if err := rep.Err(); err != nil {
		t.Fatalf("apply failed: %v", err)
	}
}

// TestFleetLifecycle applies a small fleet, applies it again unchanged,
// changes one tenant, removes one and prunes it, on the local cluster.
func TestFleetLifecycle(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	three := "    - {name: a, greeting: hi}\n    - {name: b}\n    - {name: c}"
	names := []string{"app-a", "app-b", "app-c"}

	t.Run("first apply installs every tenant", func(t *testing.T) {
		f, rels := h.file("lifecycle", three, "")
		before, accountsBefore := h.writes.Load(), h.accounts.Load()
		actions, rep := h.apply(ctx, f, rels, false, fleet.ApplyOptions{})
		noFailures(t, rep)
		// Per release: namespace and its default ServiceAccount, lock
		// taken and released, record created and updated, two objects. The
		// counter sees them.
		if n := h.writes.Load() - before; n < 3*8 {
			t.Errorf("first apply made %d writes, want at least %d", n, 3*8)
		}
		// The namespaces were made as Helm's --create-namespace makes them,
		// each with its default ServiceAccount, which barge creates ahead
		// of the controller (the controller may still win the race) so
		// that the tenants' pods are not held back.
		if n := h.accounts.Load() - accountsBefore; n != 3 {
			t.Errorf("first apply created %d ServiceAccounts, want 3 (each new namespace's default)", n)
		}
		for _, tenant := range []string{"a", "b", "c"} {
			ns, err := h.cs.CoreV1().Namespaces().Get(ctx, h.ns(tenant), metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if ns.Labels["name"] != h.ns(tenant) {
				t.Errorf("namespace %s labels = %v, want name=%s", ns.Name, ns.Labels, ns.Name)
			}
			if _, err := h.cs.CoreV1().ServiceAccounts(h.ns(tenant)).Get(ctx, "default", metav1.GetOptions{}); err != nil {
				t.Errorf("namespace %s: default ServiceAccount: %v", ns.Name, err)
			}
		}
		want := map[string]fleet.Action{"app-a": fleet.ActionInstall, "app-b": fleet.ActionInstall, "app-c": fleet.ActionInstall}
		if diff := cmp.Diff(want, actions); diff != "" {
			t.Errorf("plan (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(map[string]string{"app-a": "1 deployed", "app-b": "1 deployed", "app-c": "1 deployed"}, h.revisions(names...)); diff != "" {
			t.Errorf("records (-want +got):\n%s", diff)
		}
		if g, _ := h.configMap("a"); g != "hi" {
			t.Errorf("tenant a's greeting = %q, want hi", g)
		}
		// The fleet marks what it owns, in the records' labels.
		last, err := h.store.InNamespace(h.ns("b")).Last(ctx, "app-b")
		if err != nil {
			t.Fatal(err)
		}
		if last.Labels[fleet.FleetLabel] != "lifecycle" || last.Labels[fleet.TenantLabel] != "b" {
			t.Errorf("record labels = %v, want %s=lifecycle and %s=b", last.Labels, fleet.FleetLabel, fleet.TenantLabel)
		}
	})

	t.Run("second apply changes nothing and writes nothing", func(t *testing.T) {
		f, rels := h.file("lifecycle", three, "")
		before, readsBefore := h.writes.Load(), h.reads.Load()
		actions, rep := h.apply(ctx, f, rels, false, fleet.ApplyOptions{})
		noFailures(t, rep)
		if n := h.writes.Load() - before; n != 0 {
			t.Errorf("an apply with nothing to change made %d writes, want 0", n)
		}
		// The fleet's records' metadata in one list, the objects the chart
		// looks up (its ConfigMaps, for their token) in one: not a read per
		// release, and no record's data.
		if n := h.reads.Load() - readsBefore; n > 2 {
			t.Errorf("an apply with nothing to change made %d reads, want at most 2", n)
		}
		for _, n := range names {
			if actions[n] != fleet.ActionUnchanged {
				t.Errorf("%s planned %s, want unchanged", n, actions[n])
			}
		}
		if diff := cmp.Diff(map[string]string{"app-a": "1 deployed", "app-b": "1 deployed", "app-c": "1 deployed"}, h.revisions(names...)); diff != "" {
			t.Errorf("records (-want +got):\n%s", diff)
		}
	})

	t.Run("a change to one tenant upgrades only that tenant", func(t *testing.T) {
		f, rels := h.file("lifecycle", "    - {name: a, greeting: hi}\n    - {name: b, greeting: bonjour}\n    - {name: c}", "")
		actions, rep := h.apply(ctx, f, rels, false, fleet.ApplyOptions{})
		noFailures(t, rep)
		want := map[string]fleet.Action{"app-a": fleet.ActionUnchanged, "app-b": fleet.ActionUpgrade, "app-c": fleet.ActionUnchanged}
		if diff := cmp.Diff(want, actions); diff != "" {
			t.Errorf("plan (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(map[string]string{"app-a": "1 deployed", "app-b": "2 deployed", "app-c": "1 deployed"}, h.revisions(names...)); diff != "" {
			t.Errorf("records (-want +got):\n%s", diff)
		}
		if g, _ := h.configMap("b"); g != "bonjour" {
			t.Errorf("tenant b's greeting = %q, want bonjour", g)
		}
	})

	t.Run("a tenant removed from the file is pruned", func(t *testing.T) {
		f, rels := h.file("lifecycle", "    - {name: a, greeting: hi}\n    - {name: b, greeting: bonjour}", "")
		actions, rep := h.apply(ctx, f, rels, true, fleet.ApplyOptions{})
		noFailures(t, rep)
		want := map[string]fleet.Action{"app-a": fleet.ActionUnchanged, "app-b": fleet.ActionUnchanged, "app-c": fleet.ActionPrune}
		if diff := cmp.Diff(want, actions); diff != "" {
			t.Errorf("plan (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(map[string]string{"app-a": "1 deployed", "app-b": "2 deployed", "app-c": "-"}, h.revisions(names...)); diff != "" {
			t.Errorf("records (-want +got):\n%s", diff)
		}
		if _, ok := h.configMap("c"); ok {
			t.Error("tenant c's ConfigMap is still there after prune")
		}
	})

	t.Run("prune leaves releases of other fleets alone", func(t *testing.T) {
		f, rels := h.file("other", "    - {name: z}", "")
		_, rep := h.apply(ctx, f, rels, true, fleet.ApplyOptions{})
		noFailures(t, rep)
		for _, r := range rep.Results {
			if r.Change.Action == fleet.ActionPrune {
				t.Errorf("fleet other pruned %s/%s, which it does not own", r.Change.Namespace, r.Change.Name)
			}
		}
		if diff := cmp.Diff(map[string]string{"app-a": "1 deployed", "app-b": "2 deployed"}, h.revisions("app-a", "app-b")); diff != "" {
			t.Errorf("records (-want +got):\n%s", diff)
		}
	})

	t.Run("destroy uninstalls what the fleet owns", func(t *testing.T) {
		rep, err := h.runner.Destroy(ctx, "lifecycle", fleet.PlanOptions{}, fleet.ApplyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		noFailures(t, rep)
		if diff := cmp.Diff(map[string]string{"app-a": "-", "app-b": "-", "app-z": "1 deployed"}, h.revisions("app-a", "app-b", "app-z")); diff != "" {
			t.Errorf("records (-want +got):\n%s", diff)
		}
	})
}

// TestFleetPlanTrustsOnlyItsOwnDigests checks that a plan reads the
// records whose digest it cannot trust, and still renders the releases
// whose digest it trusts, on the local cluster.
func TestFleetPlanTrustsOnlyItsOwnDigests(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	f, rels := h.file("trust", "    - {name: a}\n    - {name: b}\n    - {name: c}\n    - {name: d}", "")
	_, rep := h.apply(ctx, f, rels, false, fleet.ApplyOptions{})
	noFailures(t, rep)

	// rewrite replaces tenant's record as another writer would, under
	// another field manager.
	rewrite := func(tenant string, change func(obj *corev1.Secret, rls *release.Release)) {
		t.Helper()
		secrets := h.cs.CoreV1().Secrets(h.ns(tenant))
		obj, err := secrets.Get(ctx, storage.Key("app-"+tenant, 1), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rls, err := storage.Decode(obj.Data["release"])
		if err != nil {
			t.Fatal(err)
		}
		change(obj, rls)
		if obj.Data["release"], err = storage.Encode(rls); err != nil {
			t.Fatal(err)
		}
		if _, err := secrets.Update(ctx, obj, metav1.UpdateOptions{FieldManager: "other-writer"}); err != nil {
			t.Fatal(err)
		}
	}
	// a: another writer changes the recorded manifest and keeps the
	// annotations, digest included.
	rewrite("a", func(_ *corev1.Secret, rls *release.Release) { rls.Manifest += "---\n# edited\n" })
	// b: rewritten as Helm does, same record without annotations.
	rewrite("b", func(obj *corev1.Secret, _ *release.Release) { obj.Annotations = nil })
	// c: the object the chart looks up changed in the cluster; the record
	// did not.
	cm, err := h.cs.CoreV1().ConfigMaps(h.ns("c")).Get(ctx, "app-c-config", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Data["token"] = "changed"
	if _, err := h.cs.CoreV1().ConfigMaps(h.ns("c")).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	p, err := h.runner.Plan(ctx, f.Metadata.Name, rels, fleet.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	type planned struct {
		Action  fleet.Action
		Reasons []string
	}
	got := map[string]planned{}
	for _, c := range p.Changes {
		if c.Err != nil {
			t.Errorf("%s: %v", c.Name, c.Err)
		}
		got[c.Name] = planned{c.Action, c.Reasons}
	}
	want := map[string]planned{
		"app-a": {fleet.ActionUpgrade, []string{"manifest"}},
		"app-b": {Action: fleet.ActionUnchanged},
		"app-c": {fleet.ActionUpgrade, []string{"manifest"}},
		"app-d": {Action: fleet.ActionUnchanged},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
}

// TestFleetPlanWithoutDigests plans a fleet whose records carry no digest
// (as Helm rewrites them): the deployed records are read in one list, and
// the unchanged releases are found unchanged, on the local cluster.
func TestFleetPlanWithoutDigests(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	var tenants []string
	for i := range 20 {
		tenants = append(tenants, fmt.Sprintf("    - {name: t%02d}", i))
	}
	f, rels := h.file("nodigest", strings.Join(tenants, "\n"), "")
	_, rep := h.apply(ctx, f, rels, false, fleet.ApplyOptions{})
	noFailures(t, rep)
	for _, rel := range rels {
		secrets := h.cs.CoreV1().Secrets(rel.Namespace)
		obj, err := secrets.Get(ctx, storage.Key(rel.Name, 1), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		obj.Annotations = nil
		if _, err := secrets.Update(ctx, obj, metav1.UpdateOptions{FieldManager: "helm"}); err != nil {
			t.Fatal(err)
		}
	}
	reads := h.reads.Load()
	p, err := h.runner.Plan(ctx, f.Metadata.Name, rels, fleet.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Changes {
		if c.Err != nil || c.Action != fleet.ActionUnchanged {
			t.Errorf("%s planned %s (%v), want unchanged", c.Name, c.Action, c.Err)
		}
	}
	// The records' metadata, the deployed records and the looked-up
	// ConfigMaps: a list each, not a read per release.
	if n := h.reads.Load() - reads; n != 3 {
		t.Errorf("the plan made %d reads, want 3", n)
	}
}

// TestFleetFailingTenant checks that tenants whose install fails (an
// object the API server rejects; an object another owner has) fail alone.
func TestFleetFailingTenant(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	f, rels := h.file("failing", "    - {name: ok1}\n    - {name: badport, port: 70000}\n    - {name: taken}\n    - {name: ok2}", "")
	// Another owner's object in tenant taken's namespace, where the
	// release wants to create it.
	if _, err := h.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: h.ns("taken")}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "app-taken-config", Namespace: h.ns("taken")}}
	if _, err := h.cs.CoreV1().ConfigMaps(h.ns("taken")).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, rep := h.apply(ctx, f, rels, false, fleet.ApplyOptions{})
	var failed []string
	for _, r := range rep.Failed() {
		failed = append(failed, r.Change.Name)
	}
	slices.Sort(failed)
	if diff := cmp.Diff([]string{"app-badport", "app-taken"}, failed); diff != "" {
		t.Errorf("failed releases (-want +got):\n%s", diff)
	}
	err := rep.Err()
	for _, want := range []string{
		"release " + h.ns("badport") + "/app-badport: install:",
		"70000",
		"release " + h.ns("taken") + "/app-taken: install:",
		"ConfigMap",
		"exists and belongs to no release",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("report error %v does not say %q", err, want)
		}
	}
	want := map[string]string{"app-ok1": "1 deployed", "app-ok2": "1 deployed", "app-badport": "1 failed", "app-taken": "-"}
	if diff := cmp.Diff(want, h.revisions("app-ok1", "app-ok2", "app-badport", "app-taken")); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

// TestFleetInterrupted cancels an apply while its releases wait for
// objects that never become ready, and checks that none is left pending.
func TestFleetInterrupted(t *testing.T) {
	h := newHarness(t)
	f, rels := h.file("interrupted", "    - {name: i1, claim: none-such}\n    - {name: i2, claim: none-such}\n    - {name: i3, claim: none-such}\n    - {name: i4, claim: none-such}", "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		mu      sync.Mutex
		waiting = map[string]bool{}
	)
	opts := fleet.ApplyOptions{
		WaitOptions: release.WaitOptions{Wait: true, Timeout: time.Minute},
		Concurrency: 2, // two at a time: the others have not started when interrupted
		Events: func(ev fleet.Event) {
			if ev.Phase != fleet.PhaseWaiting {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			waiting[ev.Change.Name] = true
			if len(waiting) == 4 {
				cancel() // Ctrl-C, as signal.NotifyContext delivers it
			}
		},
	}
	_, rep := h.apply(ctx, f, rels, false, opts)
	if len(waiting) != 4 {
		t.Fatalf("%d releases reached their wait, want 4 (waiting releases free their slot)", len(waiting))
	}
	if len(rep.Failed()) != 4 {
		t.Errorf("%d releases reported failed, want the 4 interrupted", len(rep.Failed()))
	}
	for name, rev := range h.revisions("app-i1", "app-i2", "app-i3", "app-i4") {
		if rev != "1 failed" {
			t.Errorf("%s: last revision is %q, want 1 failed (never pending)", name, rev)
		}
	}
	// And the locks are released: a new apply may proceed.
	for _, r := range rels {
		if _, err := h.cs.CoordinationV1().Leases(r.Namespace).Get(context.Background(), storage.LeasePrefix+r.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("%s: lock Lease still there (err %v)", r.Key(), err)
		}
	}
}

// TestFleetWaitFailsOnlyTheStuckTenant applies a fleet with --wait where
// one tenant's Deployment can never become ready (no node matches its pods'
// nodeSelector): that tenant fails with the wait's error, the others are
// deployed once ready.
func TestFleetWaitFailsOnlyTheStuckTenant(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	f, rels := h.file("waiting", "    - {name: w1}\n    - {name: stuck, stuck: \"yes\"}\n    - {name: w2}\n    - {name: w3}",
		`    values:
      - deployment: true
    setString:
      stuck: "{{ .Tenant.stuck | default \"\" }}"
`)
	var (
		mu      sync.Mutex
		waiting = map[string]fleet.Event{} // the last PhaseWaiting of each release
	)
	_, rep := h.apply(ctx, f, rels, false, fleet.ApplyOptions{
		WaitOptions: release.WaitOptions{Wait: true, Timeout: 20 * time.Second},
		Events: func(ev fleet.Event) {
			if ev.Phase == fleet.PhaseWaiting {
				mu.Lock()
				defer mu.Unlock()
				waiting[ev.Change.Name] = ev
			}
		},
	})
	// What the progress display shows: the stuck tenant's Deployment is
	// the one object not ready, the others ended with every object ready.
	for _, name := range []string{"app-w1", "app-w2", "app-w3", "app-stuck"} {
		ev, ok := waiting[name]
		switch {
		case !ok:
			t.Errorf("%s: no PhaseWaiting event", name)
		case name == "app-stuck" && (ev.Ready != 2 || ev.Objects != 3 || !strings.HasPrefix(ev.Pending, "Deployment/app-stuck: ")):
			t.Errorf("%s: last waiting event %d/%d ready, pending %q; want 2/3 and its Deployment", name, ev.Ready, ev.Objects, ev.Pending)
		case name != "app-stuck" && (ev.Ready != 3 || ev.Objects != 3 || ev.Pending != ""):
			t.Errorf("%s: last waiting event %d/%d ready, pending %q; want 3/3", name, ev.Ready, ev.Objects, ev.Pending)
		}
	}
	var failed []string
	for _, r := range rep.Failed() {
		failed = append(failed, r.Change.Name)
	}
	if diff := cmp.Diff([]string{"app-stuck"}, failed); diff != "" {
		t.Errorf("failed releases (-want +got):\n%s", diff)
	}
	err := rep.Err()
	for _, want := range []string{
		"release " + h.ns("stuck") + "/app-stuck: install:",
		"timed out after 20s while waiting for the objects to be ready",
		"waiting for 1 of 3 objects to be ready",
		"Deployment/app-stuck in namespace " + h.ns("stuck") + ": InProgress",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("report error %v does not say %q", err, want)
		}
	}
	want := map[string]string{"app-w1": "1 deployed", "app-w2": "1 deployed", "app-w3": "1 deployed", "app-stuck": "1 failed"}
	if diff := cmp.Diff(want, h.revisions("app-w1", "app-stuck", "app-w2", "app-w3")); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if len(waiting) != 4 {
		t.Errorf("%d releases reported waiting, want 4", len(waiting))
	}
	for _, tenant := range []string{"w1", "w2", "w3"} {
		d, err := h.cs.AppsV1().Deployments(h.ns(tenant)).Get(ctx, "app-"+tenant, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status.ReadyReplicas != 1 {
			t.Errorf("tenant %s: Deployment has %d ready replicas once deployed, want 1", tenant, d.Status.ReadyReplicas)
		}
	}
}

// TestFleetLeavesExistingAccountsAlone installs a tenant into a namespace
// that exists with its default ServiceAccount, on the local cluster: the
// account is left as it was.
func TestFleetLeavesExistingAccountsAlone(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: h.ns("x")}}
	if _, err := h.cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := h.cs.CoreV1().ServiceAccounts(ns.Name).Get(ctx, "default", metav1.GetOptions{})
		if err == nil {
			break
		}
		if !apierrors.IsNotFound(err) || time.Now().After(deadline) {
			t.Fatalf("the controller's default ServiceAccount: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	f, rels := h.file("existing", "    - {name: x}", "")
	_, rep := h.apply(ctx, f, rels, false, fleet.ApplyOptions{})
	noFailures(t, rep)
	sa, err := h.cs.CoreV1().ServiceAccounts(ns.Name).Get(ctx, "default", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := sa.Labels["app.kubernetes.io/managed-by"]; ok {
		t.Errorf("the namespace's own default ServiceAccount was labelled managed-by=%s; want it left alone", v)
	}
}
