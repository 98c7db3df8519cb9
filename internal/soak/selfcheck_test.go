package soak

import (
	"context"
	"slices"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// TestChecksCatch shows, on the real cluster, that the suite's checks can
// fail: a helm upgrade killed mid-way leaves a pending revision that a
// read-only "next command" does not recover; a ConfigMap edited behind
// the release no longer matches its record; a touched bystander is seen.
func TestChecksCatch(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	if err := w.installBystanders(ctx); err != nil {
		t.Fatal(err)
	}
	invariants := func(s Snapshot, p Phase, exp *Expect) []string {
		var out []string
		for _, v := range Check(s, p, exp) {
			t.Logf("caught: %s", v)
			out = append(out, v.Invariant)
		}
		return out
	}

	t.Run("helm upgrade killed mid-way", func(t *testing.T) {
		if p := w.run(w.barge, w.kubeconfig, 2*time.Minute, "install", "caught", w.chart, "--set", "token=a", "--wait"); p.code != 0 {
			t.Fatal(p)
		}
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		pending := w.watchRecords(wctx, []string{"caught"}, time.Now()).pending
		helm := w.start(w.helm, w.kubeconfig, "upgrade", "caught", w.chart, "--set", "token=b", "--set", "hook=true", "--wait", "--timeout", "2m")
		select {
		case <-pending:
			helm.signal(syscall.SIGKILL)
		case <-helm.done:
			t.Fatalf("helm ended before its pending record was seen: %s", helm)
		case <-time.After(time.Minute):
			t.Fatalf("no pending record within a minute: %s", helm)
		}
		<-helm.done
		// The "next command" here is read-only (barge status): it does
		// not recover the release, which the suite must call out.
		if p := w.run(w.barge, w.kubeconfig, time.Minute, "status", "caught"); p.code != 0 {
			t.Logf("barge status: %s", p)
		}
		s, err := w.snapshot(ctx, "caught")
		if err != nil {
			t.Fatal(err)
		}
		if got := invariants(s, AfterTrial, nil); len(got) != 0 {
			t.Errorf("a killed helm upgrade is allowed to leave a pending revision until the next command; got %v", got)
		}
		got := invariants(s, AfterNext, &Expect{Tokens: []string{"b"}})
		for _, want := range []string{InvNoPending, InvNextResult} {
			if !slices.Contains(got, want) {
				t.Errorf("after a read-only next command, %s not caught (got %v; records %s)", want, got, revisionsString(s.Revisions))
			}
		}
	})

	t.Run("ConfigMap edited behind the release", func(t *testing.T) {
		if p := w.run(w.barge, w.kubeconfig, 2*time.Minute, "install", "edited", w.chart, "--set", "token=a"); p.code != 0 {
			t.Fatal(p)
		}
		s, err := w.snapshot(ctx, "edited")
		if err != nil {
			t.Fatal(err)
		}
		if got := invariants(s, AfterNext, &Expect{Tokens: []string{"a"}}); len(got) != 0 {
			t.Fatalf("a clean install breaks %v", got)
		}
		patch := []byte(`{"data":{"token":"someone-else"}}`)
		if _, err := w.cs.CoreV1().ConfigMaps(w.ns).Patch(ctx, "edited-config", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		if s, err = w.snapshot(ctx, "edited"); err != nil {
			t.Fatal(err)
		}
		if got := invariants(s, AfterTrial, nil); !slices.Contains(got, InvLiveMatches) {
			t.Errorf("an edited ConfigMap is not caught: %v", got)
		}
	})

	t.Run("bystander touched", func(t *testing.T) {
		if changed, err := w.checkBystanders(ctx); err != nil || changed != "" {
			t.Fatalf("bystanders changed before the test touched them: %q %v", changed, err)
		}
		patch := []byte(`{"data":{"token":"touched"}}`)
		if _, err := w.cs.CoreV1().ConfigMaps(w.ns).Patch(ctx, bystanders[1]+"-config", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		changed, err := w.checkBystanders(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if changed == "" {
			t.Error("a touched bystander is not caught")
		}
		t.Logf("caught: %s", changed)
	})
}
