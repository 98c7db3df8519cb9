package kube_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/bargehq/barge/pkg/kube"
)

// managed labels obj as every object of a release is labelled.
func managed(obj *unstructured.Unstructured) *unstructured.Unstructured {
	lbs := obj.GetLabels()
	if lbs == nil {
		lbs = map[string]string{}
	}
	lbs["app.kubernetes.io/managed-by"] = "Helm"
	obj.SetLabels(lbs)
	return obj
}

func sharedWaiter(t *testing.T, kc *kube.Client) *kube.SharedWaiter {
	w := kc.NewSharedWaiter(kube.SharedWaiterOptions{Selector: labels.SelectorFromSet(labels.Set{"app.kubernetes.io/managed-by": "Helm"})})
	t.Cleanup(w.Close)
	return w
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// TestSharedWaiterEndsAsWait waits for the same objects with Client.Wait
// and with a SharedWaiter, and expects the same outcome and message.
func TestSharedWaiterEndsAsWait(t *testing.T) {
	kc, _ := newClient(t)
	ctx := testContext(t)
	w := sharedWaiter(t, kc)

	stuck := manifest(t, deployment("stuck", 1))
	if err := unstructured.SetNestedStringMap(stuck.Object, map[string]string{"no-such-node": "true"}, "spec", "template", "spec", "nodeSelector"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		objs    []*unstructured.Unstructured
		apply   bool
		timeout time.Duration
		wantErr bool
	}{
		{name: "ready objects", apply: true, timeout: 2 * time.Minute, objs: []*unstructured.Unstructured{
			managed(manifest(t, deployment("web", 2))),
			managed(manifest(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: settings}, data: {color: blue}}`)),
		}},
		{name: "objects the selector does not match", apply: true, timeout: 2 * time.Minute, objs: []*unstructured.Unstructured{
			manifest(t, deployment("unlabelled", 1)),
			manifest(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: unlabelled}, data: {color: red}}`),
		}},
		{name: "a Deployment that cannot be scheduled times out", apply: true, timeout: 3 * time.Second, wantErr: true,
			objs: []*unstructured.Unstructured{managed(stuck), managed(manifest(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: beside-stuck}}`))}},
		{name: "a missing object times out", timeout: 2 * time.Second, wantErr: true,
			objs: []*unstructured.Unstructured{managed(manifest(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: never-created}}`))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.apply {
				res, err := kc.Apply(ctx, tt.objs, kube.ApplyOptions{})
				if err != nil {
					t.Fatal(err)
				}
				w.Applied(res)
			}
			plain := kc.Wait(ctx, tt.objs, kube.WaitOptions{Timeout: tt.timeout})
			var mu sync.Mutex
			reported := map[string]kube.State{}
			shared := w.Wait(ctx, tt.objs, kube.WaitOptions{Timeout: tt.timeout, Progress: func(s kube.Status) {
				mu.Lock()
				defer mu.Unlock()
				reported[s.Ref.Kind+"/"+s.Ref.Name] = s.State
			}})
			if (shared != nil) != tt.wantErr {
				t.Fatalf("SharedWaiter.Wait = %v, want error: %v", shared, tt.wantErr)
			}
			if diff := cmp.Diff(errText(plain), errText(shared)); diff != "" {
				t.Errorf("Client.Wait and SharedWaiter.Wait end differently (-Wait +SharedWaiter):\n%s", diff)
			}
			if tt.wantErr && !errors.Is(shared, context.DeadlineExceeded) {
				t.Errorf("error does not wrap context.DeadlineExceeded: %v", shared)
			}
			if !tt.wantErr {
				for k, s := range reported {
					if s != kube.StateCurrent {
						t.Errorf("last progress of %s = %s, want Current", k, s)
					}
				}
				if len(reported) != len(tt.objs) {
					t.Errorf("progress reported %d objects, want %d", len(reported), len(tt.objs))
				}
			}
		})
	}
}

// TestSharedWaiterSeesTheAppliedGeneration upgrades a ready Deployment to a
// spec that cannot roll out and waits at once: the watch's copy of the
// previous generation, ready, must not end the wait.
func TestSharedWaiterSeesTheAppliedGeneration(t *testing.T) {
	kc, _ := newClient(t)
	ctx := testContext(t)
	w := sharedWaiter(t, kc)

	for i := range 3 {
		d := managed(manifest(t, deployment("upgraded", 1)))
		objs := []*unstructured.Unstructured{d}
		res, err := kc.Apply(ctx, objs, kube.ApplyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		w.Applied(res)
		if err := w.Wait(ctx, objs, kube.WaitOptions{Timeout: 2 * time.Minute}); err != nil {
			t.Fatalf("round %d: first wait: %v", i, err)
		}
		if err := unstructured.SetNestedStringMap(d.Object, map[string]string{"no-such-node": "true"}, "spec", "template", "spec", "nodeSelector"); err != nil {
			t.Fatal(err)
		}
		if res, err = kc.Apply(ctx, objs, kube.ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
		w.Applied(res)
		err = w.Wait(ctx, objs, kube.WaitOptions{Timeout: 3 * time.Second})
		var werr *kube.WaitError
		if !errors.As(err, &werr) || len(werr.Pending) != 1 {
			t.Fatalf("round %d: wait after an upgrade that cannot roll out = %v, want a timeout naming the Deployment", i, err)
		}
		// Back to a spec that rolls out, for the next round.
		unstructured.RemoveNestedField(d.Object, "spec", "template", "spec", "nodeSelector")
		if res, err = kc.Apply(ctx, objs, kube.ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
		w.Applied(res)
		if err := w.Wait(ctx, objs, kube.WaitOptions{Timeout: 2 * time.Minute}); err != nil {
			t.Fatalf("round %d: wait after rolling back: %v", i, err)
		}
	}
}
