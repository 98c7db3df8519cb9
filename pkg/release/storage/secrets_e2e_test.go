package storage

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	coordv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/bargehq/barge/internal/localcluster"
	"github.com/bargehq/barge/pkg/release"
)

func clientset(t *testing.T, c *localcluster.Cluster) *kubernetes.Clientset {
	t.Helper()
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func newTestSecrets(t *testing.T, c *localcluster.Cluster, ns string, opts Options) *Secrets {
	t.Helper()
	s, err := NewSecrets(c.RESTConfig(), ns, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSecretsStore(t *testing.T) {
	c := localcluster.Get(t)
	ns := c.Namespace(t)
	ctx := t.Context()
	now := time.Unix(1750000000, 0)
	s := newTestSecrets(t, c, ns, Options{Now: func() time.Time { return now }})

	r1 := rev(ns, "web", 1, release.StatusDeployed)
	r1.Labels = map[string]string{"team": "blue"}
	if err := s.Create(ctx, r1); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, r1); !errors.Is(err, release.ErrExists) {
		t.Errorf("second Create: err = %v, want ErrExists", err)
	}

	t.Run("the Secret is Helm's", func(t *testing.T) {
		sec, err := clientset(t, c).CoreV1().Secrets(ns).Get(ctx, "sh.helm.release.v1.web.v1", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if sec.Type != "helm.sh/release.v1" {
			t.Errorf("type = %q, want helm.sh/release.v1", sec.Type)
		}
		want := map[string]string{"name": "web", "owner": "helm", "status": "deployed", "version": "1", "createdAt": "1750000000", "team": "blue"}
		if diff := cmp.Diff(want, sec.Labels); diff != "" {
			t.Errorf("labels (-want +got):\n%s", diff)
		}
		got, err := Decode(sec.Data["release"])
		if err != nil {
			t.Fatal(err)
		}
		r := *r1
		r.Labels = nil
		if diff := cmp.Diff(&r, got, chartOpts); diff != "" {
			t.Errorf("record (-want +got):\n%s", diff)
		}
	})

	r1.Info.Status = release.StatusSuperseded
	if err := s.Update(ctx, r1); err != nil {
		t.Fatal(err)
	}
	for v, st := range map[int]release.Status{2: release.StatusDeployed, 3: release.StatusFailed, 4: release.StatusFailed} {
		if err := s.Create(ctx, rev(ns, "web", v, st)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Create(ctx, rev(ns, "db", 1, release.StatusDeployed)); err != nil {
		t.Fatal(err)
	}

	t.Run("get keeps custom labels only", func(t *testing.T) {
		got, err := s.Get(ctx, "web", 1)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(r1, got, chartOpts); diff != "" {
			t.Errorf("Get (-want +got):\n%s", diff)
		}
		if _, err := s.Get(ctx, "web", 9); !errors.Is(err, release.ErrNotFound) {
			t.Errorf("Get missing: err = %v, want ErrNotFound", err)
		}
	})
	t.Run("history", func(t *testing.T) {
		h, err := s.History(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]int{1, 2, 3, 4}, revisions(h)); diff != "" {
			t.Errorf("revisions (-want +got):\n%s", diff)
		}
		want := summaryOf(rev(ns, "web", 3, release.StatusFailed))
		if diff := cmp.Diff(want, h[2]); diff != "" {
			t.Errorf("summary (-want +got):\n%s", diff)
		}
	})
	t.Run("last and deployed", func(t *testing.T) {
		last, err := s.Last(ctx, "web")
		if err != nil || last.Version != 4 {
			t.Errorf("Last = %v, %v; want revision 4", last, err)
		}
		d, err := s.Deployed(ctx, "web")
		if err != nil || d.Version != 2 {
			t.Errorf("Deployed = %v, %v; want revision 2", d, err)
		}
	})
	t.Run("list", func(t *testing.T) {
		got, err := s.List(ctx, ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, x := range got {
			names = append(names, fmt.Sprintf("%s/%d/%s", x.Name, x.Revision, x.Status))
		}
		if diff := cmp.Diff([]string{"db/1/deployed", "web/4/failed"}, names); diff != "" {
			t.Errorf("List (-want +got):\n%s", diff)
		}
	})
	t.Run("prune keeps the deployed revision", func(t *testing.T) {
		deleted, err := s.Prune(ctx, "web", 2)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]int{1, 3}, deleted); diff != "" {
			t.Errorf("deleted (-want +got):\n%s", diff)
		}
		h, err := s.History(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]int{2, 4}, revisions(h)); diff != "" {
			t.Errorf("remaining (-want +got):\n%s", diff)
		}
	})
	t.Run("delete", func(t *testing.T) {
		got, err := s.Delete(ctx, "db", 1)
		if err != nil || got.Name != "db" {
			t.Fatalf("Delete = %v, %v", got, err)
		}
		if _, err := s.Delete(ctx, "db", 1); !errors.Is(err, release.ErrNotFound) {
			t.Errorf("second Delete: err = %v, want ErrNotFound", err)
		}
	})
}

// TestSecretsListMatchesMemory checks the two-step List against the memory
// store (which decodes every record) on a mix that exercises both ways of
// fetching, filters, and a release whose latest revision is superseded.
func TestSecretsListMatchesMemory(t *testing.T) {
	c := localcluster.Get(t)
	ns1, ns2 := c.Namespace(t), c.Namespace(t)
	ctx := t.Context()
	var recs []*release.Release
	statuses := []release.Status{release.StatusDeployed, release.StatusFailed, release.StatusPendingUpgrade, release.StatusUninstalled}
	for i := range 30 {
		ns := []string{ns1, ns2}[i%2]
		name := fmt.Sprintf("rel-%02d", i)
		for v := 1; v <= 3; v++ {
			st := release.StatusSuperseded
			if v == 3 {
				st = statuses[i%len(statuses)]
			}
			recs = append(recs, rev(ns, name, v, st))
		}
	}
	// A release whose latest revision is superseded (a broken history).
	recs = append(recs, rev(ns1, "odd", 1, release.StatusFailed), rev(ns1, "odd", 2, release.StatusSuperseded))
	recs[0].Labels = map[string]string{"team": "red"}

	s := newTestSecrets(t, c, "", Options{})
	mem := NewMemory("", Options{})
	for _, r := range recs {
		if err := s.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
		if err := mem.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		ns   string
		opts ListOptions
		want int
	}{
		{name: "everything, all namespaces", opts: ListOptions{}, want: 31},
		{name: "one namespace", ns: ns2, want: 15},
		{name: "deployed and failed", opts: ListOptions{Statuses: []release.Status{release.StatusDeployed, release.StatusFailed}}, want: 16},
		{name: "superseded latest only", opts: ListOptions{Statuses: []release.Status{release.StatusSuperseded}}, want: 1},
		{name: "all superseded revisions", opts: ListOptions{Statuses: []release.Status{release.StatusSuperseded}, AllRevisions: true}, want: 61},
		{name: "few by name", opts: ListOptions{Filter: mustRegexp(t, "^rel-0[0-3]$")}, want: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := mem.InNamespace(tt.ns).List(ctx, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.InNamespace(tt.ns).List(ctx, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			// Other tests share the cluster: keep this test's namespaces.
			got = slices.DeleteFunc(got, func(x Summary) bool { return x.Namespace != ns1 && x.Namespace != ns2 })
			if len(got) != tt.want {
				t.Errorf("List returned %d rows, want %d", len(got), tt.want)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("List differs from a full decode (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLeaseLock(t *testing.T) {
	c := localcluster.Get(t)
	ns := c.Namespace(t)
	ctx := t.Context()
	a := newTestSecrets(t, c, ns, Options{Holder: "alice@one/1", LeaseDuration: 3 * time.Second})
	b := newTestSecrets(t, c, ns, Options{Holder: "bob@two/2", LeaseDuration: 3 * time.Second})

	unlock, err := a.Lock(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	lease, err := clientset(t, c).CoordinationV1().Leases(ns).Get(ctx, "barge.release.web", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the lock's Lease: %v", err)
	}
	if h := *lease.Spec.HolderIdentity; h != "alice@one/1" {
		t.Errorf("Lease holder = %q", h)
	}

	t.Run("a live holder keeps it, beyond the lease duration", func(t *testing.T) {
		time.Sleep(4 * time.Second) // longer than the lease: renewal must keep it
		start := time.Now()
		_, err := b.Lock(ctx, "web")
		var le *LockedError
		if !errors.As(err, &le) || !errors.Is(err, release.ErrLocked) {
			t.Fatalf("err = %v, want a LockedError", err)
		}
		if time.Since(start) > time.Second {
			t.Errorf("Lock waited %v; it must fail at once", time.Since(start))
		}
		if le.Holder != "alice@one/1" || !strings.Contains(err.Error(), "alice@one/1") || le.Since.IsZero() {
			t.Errorf("error %q (%+v) does not name the holder and since when", err, le)
		}
	})

	unlock.Unlock()
	unlock.Unlock()
	if _, err := clientset(t, c).CoordinationV1().Leases(ns).Get(ctx, "barge.release.web", metav1.GetOptions{}); err == nil {
		t.Error("Lease still there after unlock")
	}
	ub, err := b.Lock(ctx, "web")
	if err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
	ub.Unlock()

	t.Run("an expired lease is taken over", func(t *testing.T) {
		old := metav1.NewMicroTime(time.Now().Add(-time.Minute))
		holder, secs := "ghost@gone/9", int32(30)
		_, err := clientset(t, c).CoordinationV1().Leases(ns).Create(ctx, &coordv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: "barge.release.api"},
			Spec:       coordv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &secs, AcquireTime: &old, RenewTime: &old},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		u, err := a.Lock(ctx, "api")
		if err != nil {
			t.Fatalf("Lock over an expired lease: %v", err)
		}
		defer u.Unlock()
		l, err := clientset(t, c).CoordinationV1().Leases(ns).Get(ctx, "barge.release.api", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if *l.Spec.HolderIdentity != "alice@one/1" || l.Spec.LeaseTransitions == nil || *l.Spec.LeaseTransitions != 1 {
			t.Errorf("Lease after takeover: holder %q transitions %v", *l.Spec.HolderIdentity, l.Spec.LeaseTransitions)
		}
	})

	t.Run("a cancelled context still releases the lock", func(t *testing.T) {
		ctx2, cancel2 := context.WithCancel(t.Context())
		u, err := a.Lock(ctx2, "job")
		if err != nil {
			t.Fatal(err)
		}
		cancel2()
		u.Unlock()
		if u2, err := b.Lock(ctx, "job"); err != nil {
			t.Errorf("Lock after unlock with a cancelled context: %v", err)
		} else {
			u2.Unlock()
		}
	})

	t.Run("a renewal the client did not see land does not keep the lock", func(t *testing.T) {
		u, err := a.Lock(ctx, "cron")
		if err != nil {
			t.Fatal(err)
		}
		// The server has a newer version of the Lease than the holder knows
		// of, as when unlock cancels a renewal that reached the server.
		leases := clientset(t, c).CoordinationV1().Leases(ns)
		l, err := leases.Get(ctx, "barge.release.cron", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		now := metav1.NewMicroTime(time.Now())
		l.Spec.RenewTime = &now
		if _, err := leases.Update(ctx, l, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		u.Unlock()
		if _, err := leases.Get(ctx, "barge.release.cron", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("the Lease is still there after unlock (get: %v)", err)
		}
	})
}

func mustRegexp(t *testing.T, re string) *regexp.Regexp {
	t.Helper()
	r, err := regexp.Compile(re)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
