package kube_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"

	"github.com/bargehq/barge/internal/localcluster"
	"github.com/bargehq/barge/pkg/kube"
)

// progressLog records the Progress calls of a wait.
type progressLog struct {
	mu    sync.Mutex
	calls []string
}

func (p *progressLog) record(s kube.Status) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, s.Ref.Kind+"/"+s.Ref.Name+": "+string(s.State))
}

func (p *progressLog) list() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.calls...)
}

// TestWaitForAbsentObjectTimesOutNamingItNotFound waits for an object that
// is never created beside one that is ready: the wait times out naming the
// absent one as NotFound, after reporting both as Unknown first.
func TestWaitForAbsentObjectTimesOutNamingItNotFound(t *testing.T) {
	kc, ns := newClient(t)
	ctx := testContext(t)
	present := manifest(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: present}}`)
	if _, err := kc.Apply(ctx, []*unstructured.Unstructured{present}, kube.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	absent := manifest(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: absent}}`)
	var progress progressLog
	err := kc.Wait(ctx, []*unstructured.Unstructured{present, absent}, kube.WaitOptions{Timeout: 2 * time.Second, Progress: progress.record})
	var werr *kube.WaitError
	if !errors.As(err, &werr) {
		t.Fatalf("Wait = %v, want a *WaitError", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait error does not wrap context.DeadlineExceeded: %v", err)
	}
	want := "timed out after 2s waiting for 1 of 2 objects to be ready:\n" +
		"  ConfigMap/absent in namespace " + ns + ": NotFound: not found"
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
	wantProgress := []string{"ConfigMap/present: Unknown", "ConfigMap/absent: Unknown", "ConfigMap/present: Current", "ConfigMap/absent: NotFound"}
	if diff := cmp.Diff(wantProgress, progress.list()); diff != "" {
		t.Errorf("progress calls (-want +got):\n%s", diff)
	}
}

// TestWaitDeletedSeesTerminatingThenGone holds a ConfigMap with a finalizer
// while it is deleted: WaitDeleted reports it Terminating, then returns once
// the finalizer is removed and the object is gone.
func TestWaitDeletedSeesTerminatingThenGone(t *testing.T) {
	kc, ns := newClient(t)
	ctx := testContext(t)
	held := manifest(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: held, finalizers: [example.com/hold]}}`)
	objs := []*unstructured.Unstructured{held}
	if _, err := kc.Apply(ctx, objs, kube.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := kc.Delete(ctx, held, kube.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}

	err := kc.WaitDeleted(ctx, objs, 2*time.Second)
	var werr *kube.WaitError
	if !errors.As(err, &werr) || len(werr.Pending) != 1 {
		t.Fatalf("WaitDeleted of an object held by a finalizer = %v, want a timeout naming it", err)
	}
	if got := werr.Pending[0]; got.State != kube.StateTerminating || got.Ref.Name != "held" || got.Ref.Namespace != ns {
		t.Errorf("pending = %v, want ConfigMap/held Terminating", got)
	}

	done := make(chan error, 1)
	go func() { done <- kc.WaitDeleted(ctx, objs, time.Minute) }()
	held.SetFinalizers(nil)
	if _, err := kc.Apply(ctx, objs, kube.ApplyOptions{}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatalf("remove the finalizer: %v", err)
	}
	if err := <-done; err != nil {
		t.Errorf("WaitDeleted once the finalizer is removed: %v", err)
	}
}

// TestWaitWithAccessToOneNamespace waits as a user who may read ConfigMaps
// in one namespace only: waits there succeed, with Client.Wait and with a
// SharedWaiter (which cannot watch across namespaces), while a wait in
// another namespace fails at once naming the refusal.
func TestWaitWithAccessToOneNamespace(t *testing.T) {
	cluster := localcluster.Get(t)
	admin, ns := newClient(t)
	other := cluster.Namespace(t)
	ctx := testContext(t)

	const user = "barge-test-namespace-reader"
	rbac := []*unstructured.Unstructured{
		manifest(t, `{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: read-configmaps},
			rules: [{apiGroups: [""], resources: [configmaps], verbs: [get, list, watch]}]}`),
		manifest(t, `{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: read-configmaps},
			roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: read-configmaps},
			subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: `+user+`}]}`),
	}
	mine := manifest(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: mine}}`)
	theirs := manifest(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: theirs, namespace: `+other+`}}`)
	if _, err := admin.Apply(ctx, append(rbac, mine, theirs), kube.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}

	rc := cluster.RESTConfig()
	rc.Impersonate = rest.ImpersonationConfig{UserName: user}
	kc, err := kube.NewForRESTConfig(rc, kube.WithNamespace(ns), kube.WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	// RBAC takes effect shortly after the binding is created.
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := kc.Wait(ctx, []*unstructured.Unstructured{mine}, kube.WaitOptions{Timeout: 10 * time.Second})
		if err == nil {
			break
		}
		if !apierrors.IsForbidden(err) || time.Now().After(deadline) {
			t.Fatalf("Client.Wait in the namespace the user may read: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}

	t.Run("shared waiter falls back to a watch of the namespace", func(t *testing.T) {
		w := kc.NewSharedWaiter(kube.SharedWaiterOptions{})
		defer w.Close()
		if err := w.Wait(ctx, []*unstructured.Unstructured{mine}, kube.WaitOptions{Timeout: 30 * time.Second}); err != nil {
			t.Errorf("SharedWaiter.Wait: %v", err)
		}
	})
	t.Run("absent object in the namespace is deleted", func(t *testing.T) {
		gone := manifest(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: gone}}`)
		if err := kc.WaitDeleted(ctx, []*unstructured.Unstructured{gone}, 30*time.Second); err != nil {
			t.Errorf("WaitDeleted: %v", err)
		}
	})
	t.Run("another namespace is refused at once", func(t *testing.T) {
		start := time.Now()
		err := kc.Wait(ctx, []*unstructured.Unstructured{mine, theirs}, kube.WaitOptions{Timeout: time.Minute})
		if !apierrors.IsForbidden(err) {
			t.Fatalf("Wait = %v, want a forbidden error", err)
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "watch objects: ") || !strings.Contains(msg, `in the namespace "`+other+`"`) {
			t.Errorf("error does not say the watch of namespace %s was refused: %s", other, msg)
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("refused wait took %v", d)
		}
	})
}
