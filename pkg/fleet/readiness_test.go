package fleet

import (
	"testing"

	"github.com/bargehq/barge/pkg/kube"
)

// TestReadinessSummary follows a release's objects through their Progress
// calls: the counts, and the first object not ready and why.
func TestReadinessSummary(t *testing.T) {
	claim := kube.ObjectRef{APIVersion: "v1", Kind: "PersistentVolumeClaim", Namespace: "a", Name: "data"}
	deploy := kube.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "a", Name: "web"}
	svc := kube.ObjectRef{APIVersion: "v1", Kind: "Service", Namespace: "a", Name: "web"}
	var r readiness
	for _, s := range []kube.Status{
		{Ref: claim, State: kube.StateInProgress, Message: "PVC is not Bound. phase: Pending"},
		{Ref: deploy, State: kube.StateInProgress, Message: "Available: 0/1"},
		{Ref: svc, State: kube.StateCurrent},
	} {
		r.see(s)
	}
	check := func(wantReady, wantTotal int, wantPending string) {
		t.Helper()
		ready, total, pending := r.summary()
		if ready != wantReady || total != wantTotal || pending != wantPending {
			t.Fatalf("summary = %d/%d %q, want %d/%d %q", ready, total, pending, wantReady, wantTotal, wantPending)
		}
	}
	check(1, 3, "PersistentVolumeClaim/data: PVC is not Bound. phase: Pending")
	r.see(kube.Status{Ref: svc, State: kube.StateCurrent})
	check(1, 3, "PersistentVolumeClaim/data: PVC is not Bound. phase: Pending")
	r.see(kube.Status{Ref: claim, State: kube.StateCurrent})
	check(2, 3, "Deployment/web: Available: 0/1")
	r.see(kube.Status{Ref: deploy, State: kube.StateUnknown})
	check(2, 3, "Deployment/web: Unknown")
	r.see(kube.Status{Ref: deploy, State: kube.StateCurrent})
	check(3, 3, "")
}
