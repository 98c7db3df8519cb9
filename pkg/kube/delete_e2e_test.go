package kube_test

import (
	"testing"
	"time"

	"github.com/bargehq/barge/pkg/kube"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestDeleteAndWaitDeleted(t *testing.T) {
	kc, _ := newClient(t)
	ctx := testContext(t)
	objs := []*unstructured.Unstructured{
		manifest(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: gone}, data: {a: b}}`),
		manifest(t, deployment("web", 2)),
	}
	if _, err := kc.Apply(ctx, objs, kube.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := kc.Wait(ctx, objs, kube.WaitOptions{Timeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		obj  *unstructured.Unstructured
		prop kube.Propagation
	}{
		{"configmap in background", objs[0], kube.PropagationBackground},
		{"deployment in foreground", objs[1], kube.PropagationForeground},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := kc.Delete(ctx, tt.obj, kube.DeleteOptions{Propagation: tt.prop}); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			if err := kc.WaitDeleted(ctx, []*unstructured.Unstructured{tt.obj}, time.Minute); err != nil {
				t.Fatalf("WaitDeleted: %v", err)
			}
			if live, err := kc.Get(ctx, tt.obj); err != nil || live != nil {
				t.Errorf("after WaitDeleted Get = %v, %v; want nil, nil", live != nil, err)
			}
			if err := kc.Delete(ctx, tt.obj, kube.DeleteOptions{}); err != nil {
				t.Errorf("Delete of an absent object: %v", err)
			}
		})
	}
}

func TestWaitDeletedOfAbsentObjectsReturnsAtOnce(t *testing.T) {
	kc, _ := newClient(t)
	ctx := testContext(t)
	start := time.Now()
	err := kc.WaitDeleted(ctx, []*unstructured.Unstructured{
		manifest(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: never}}`),
		manifest(t, `{apiVersion: nowhere.example.com/v1, kind: Ghost, metadata: {name: never}}`),
	}, time.Minute)
	if err != nil {
		t.Fatalf("WaitDeleted: %v", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("WaitDeleted of absent objects took %v", d)
	}
}

func TestDryRunDeleteKeepsObject(t *testing.T) {
	kc, _ := newClient(t)
	ctx := testContext(t)
	cm := manifest(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: stays}}`)
	if _, err := kc.Apply(ctx, []*unstructured.Unstructured{cm}, kube.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := kc.Delete(ctx, cm, kube.DeleteOptions{DryRun: true}); err != nil {
		t.Fatal(err)
	}
	if live, err := kc.Get(ctx, cm); err != nil || live == nil {
		t.Errorf("after a dry-run delete Get = %v, %v; want the object", live != nil, err)
	}
}
