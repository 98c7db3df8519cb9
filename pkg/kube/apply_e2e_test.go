package kube_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bargehq/barge/pkg/kube"
	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestApplyAndWaitReady(t *testing.T) {
	kc, ns := newClient(t)
	ctx := testContext(t)

	extraNS := ns + "-extra"
	objs := []*unstructured.Unstructured{
		manifest(t, deployment("web", 3)),
		manifest(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: settings}, data: {color: blue}}`),
		// A cluster-scoped object given a namespace: it must be applied without one.
		manifest(t, `{apiVersion: v1, kind: Namespace, metadata: {name: `+extraNS+`, namespace: ignored}}`),
	}
	t.Cleanup(func() {
		_ = kc.Delete(context.Background(), objs[2], kube.DeleteOptions{})
	})
	kube.SortForInstall(objs)

	results, err := kc.Apply(ctx, objs, kube.ApplyOptions{})
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	var refs []kube.ObjectRef
	for _, r := range results {
		if r.Object == nil || r.Err != nil {
			t.Fatalf("%s: object %v, error %v", r.Ref, r.Object, r.Err)
		}
		refs = append(refs, r.Ref)
	}
	wantRefs := []kube.ObjectRef{
		{APIVersion: "v1", Kind: "Namespace", Name: extraNS},
		{APIVersion: "v1", Kind: "ConfigMap", Namespace: ns, Name: "settings"},
		{APIVersion: "apps/v1", Kind: "Deployment", Namespace: ns, Name: "web"},
	}
	if diff := cmp.Diff(wantRefs, refs); diff != "" {
		t.Errorf("applied (-want +got):\n%s", diff)
	}
	if objs[1].GetNamespace() != "" {
		t.Errorf("Apply changed the caller's ConfigMap: namespace %q", objs[1].GetNamespace())
	}
	if results[1].Object.GetUID() == "" || results[1].Object.GetResourceVersion() == "" {
		t.Errorf("ConfigMap as returned has no uid or resourceVersion: %v", results[1].Object.Object["metadata"])
	}

	var mu sync.Mutex
	var seen []kube.Status
	err = kc.Wait(ctx, objs, kube.WaitOptions{Timeout: 2 * time.Minute, Progress: func(s kube.Status) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, s)
	}})
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}

	live, err := kc.Get(ctx, objs[2])
	if err != nil || live == nil {
		t.Fatalf("Get deployment: %v, %v", live, err)
	}
	ready, _, _ := unstructured.NestedInt64(live.Object, "status", "readyReplicas")
	if ready != 3 {
		t.Errorf("deployment readyReplicas = %d after Wait, want 3", ready)
	}
	last := map[string]kube.State{}
	for _, s := range seen {
		last[s.Ref.Kind] = s.State
	}
	if diff := cmp.Diff(map[string]kube.State{"Namespace": kube.StateCurrent, "ConfigMap": kube.StateCurrent, "Deployment": kube.StateCurrent}, last); diff != "" {
		t.Errorf("last progress report per kind (-want +got):\n%s", diff)
	}
}

func TestWaitTimesOutNamingObject(t *testing.T) {
	kc, ns := newClient(t)
	ctx := testContext(t)
	// No node carries this label: the pods stay pending.
	d := manifest(t, deployment("stuck", 1))
	if err := unstructured.SetNestedStringMap(d.Object, map[string]string{"no-such-node": "true"}, "spec", "template", "spec", "nodeSelector"); err != nil {
		t.Fatal(err)
	}
	if _, err := kc.Apply(ctx, []*unstructured.Unstructured{d}, kube.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := kc.Wait(ctx, []*unstructured.Unstructured{d}, kube.WaitOptions{Timeout: 3 * time.Second})
	var werr *kube.WaitError
	if !errors.As(err, &werr) {
		t.Fatalf("Wait = %v, want a *WaitError", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait error does not wrap context.DeadlineExceeded: %v", err)
	}
	if time.Since(start) > 30*time.Second {
		t.Errorf("Wait took %v with a 3s timeout", time.Since(start))
	}
	if len(werr.Pending) != 1 || werr.Pending[0].Ref.Name != "stuck" || werr.Pending[0].State != kube.StateInProgress {
		t.Errorf("pending = %v, want the stuck Deployment in progress", werr.Pending)
	}
	if msg := err.Error(); !strings.Contains(msg, "Deployment/stuck in namespace "+ns+": InProgress") {
		t.Errorf("error does not name the deployment and its state:\n%s", msg)
	}
}

func TestApplyConflictThenForce(t *testing.T) {
	kc, ns := newClient(t)
	ctx := testContext(t)
	cm := func(value string) []*unstructured.Unstructured {
		return []*unstructured.Unstructured{manifest(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: shared}, data: {key: `+value+`}}`)}
	}
	if _, err := kc.Apply(ctx, cm("theirs"), kube.ApplyOptions{FieldManager: "other-tool"}); err != nil {
		t.Fatal(err)
	}

	results, err := kc.Apply(ctx, cm("ours"), kube.ApplyOptions{})
	var ce *kube.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("Apply = %v, want a *ConflictError", err)
	}
	if diff := cmp.Diff([]kube.Conflict{{Manager: "other-tool", Field: ".data.key"}}, ce.Conflicts); diff != "" {
		t.Errorf("conflicts (-want +got):\n%s", diff)
	}
	for _, want := range []string{"ConfigMap/shared in namespace " + ns, `"other-tool"`, ".data.key", "--force-conflicts"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if results[0].Object != nil {
		t.Errorf("refused object reported as applied")
	}
	live, err := kc.Get(ctx, cm("")[0])
	if err != nil {
		t.Fatal(err)
	}
	if v, _, _ := unstructured.NestedString(live.Object, "data", "key"); v != "theirs" {
		t.Errorf("after the refused apply data.key = %q, want unchanged %q", v, "theirs")
	}

	results, err = kc.Apply(ctx, cm("ours"), kube.ApplyOptions{Force: true})
	if err != nil {
		t.Fatalf("forced Apply: %v", err)
	}
	if v, _, _ := unstructured.NestedString(results[0].Object.Object, "data", "key"); v != "ours" {
		t.Errorf("after the forced apply data.key = %q, want %q", v, "ours")
	}
	var owners []string
	for _, mf := range results[0].Object.GetManagedFields() {
		if mf.FieldsV1 != nil && strings.Contains(mf.FieldsV1.GetRawString(), `"f:key"`) {
			owners = append(owners, mf.Manager)
		}
	}
	if diff := cmp.Diff([]string{kube.DefaultFieldManager}, owners); diff != "" {
		t.Errorf("owners of data.key (-want +got):\n%s", diff)
	}
}

func TestApplyDryRunChangesNothing(t *testing.T) {
	kc, _ := newClient(t)
	ctx := testContext(t)
	fresh := manifest(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: dry}, data: {key: one}}`)
	existing := manifest(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: kept}, data: {key: one}}`)
	if _, err := kc.Apply(ctx, []*unstructured.Unstructured{existing}, kube.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	changed := manifest(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: kept}, data: {key: two}}`)

	results, err := kc.Apply(ctx, []*unstructured.Unstructured{fresh, changed}, kube.ApplyOptions{DryRun: true})
	if err != nil {
		t.Fatalf("dry-run Apply: %v", err)
	}
	if v, _, _ := unstructured.NestedString(results[1].Object.Object, "data", "key"); v != "two" {
		t.Errorf("dry run returned data.key = %q, want the would-be value %q", v, "two")
	}
	if live, err := kc.Get(ctx, fresh); err != nil || live != nil {
		t.Errorf("after a dry run the new ConfigMap exists (%v, %v)", live, err)
	}
	live, err := kc.Get(ctx, existing)
	if err != nil {
		t.Fatal(err)
	}
	if v, _, _ := unstructured.NestedString(live.Object, "data", "key"); v != "one" {
		t.Errorf("after a dry run data.key = %q, want unchanged %q", v, "one")
	}
}

func TestCRDThenCustomResource(t *testing.T) {
	kc, ns := newClient(t)
	ctx := testContext(t)
	// Load discovery before the CRD exists, so that mapping its kind later
	// needs a refresh.
	if _, err := kc.Get(ctx, manifest(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: none}}`)); err != nil {
		t.Fatal(err)
	}
	group := ns + ".example.com"
	crd := manifest(t, `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.`+group+`
spec:
  group: `+group+`
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
`)
	t.Cleanup(func() { _ = kc.Delete(context.Background(), crd, kube.DeleteOptions{}) })
	widget := manifest(t, `{apiVersion: `+group+`/v1, kind: Widget, metadata: {name: w}, spec: {size: 3}}`)

	_, err := kc.Get(ctx, widget)
	var uk *kube.UnknownKindError
	if !errors.As(err, &uk) {
		t.Fatalf("Get of a Widget before its CRD = %v, want an *UnknownKindError", err)
	}
	if !strings.Contains(err.Error(), "CustomResourceDefinition") {
		t.Errorf("unknown kind error does not suggest the CRD: %v", err)
	}

	if _, err := kc.ApplyCRDs(ctx, []*unstructured.Unstructured{crd}, kube.ApplyOptions{}); err != nil {
		t.Fatalf("ApplyCRDs: %v", err)
	}
	if err := kc.WaitEstablished(ctx, []*unstructured.Unstructured{crd}, time.Minute); err != nil {
		t.Fatalf("WaitEstablished: %v", err)
	}
	results, err := kc.Apply(ctx, []*unstructured.Unstructured{widget}, kube.ApplyOptions{})
	if err != nil {
		t.Fatalf("Apply Widget: %v", err)
	}
	if got := results[0].Ref.Namespace; got != ns {
		t.Errorf("Widget applied in namespace %q, want %q", got, ns)
	}
	live, err := kc.Get(ctx, widget)
	if err != nil || live == nil {
		t.Fatalf("Get Widget: %v, %v", live, err)
	}
	if size, _, _ := unstructured.NestedInt64(live.Object, "spec", "size"); size != 3 {
		t.Errorf("Widget spec.size = %d, want 3", size)
	}
}

func TestApplyCRDsRefusesOtherKinds(t *testing.T) {
	kc, _ := newClient(t)
	_, err := kc.ApplyCRDs(testContext(t), []*unstructured.Unstructured{
		manifest(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: x}}`),
	}, kube.ApplyOptions{})
	if err == nil || !strings.Contains(err.Error(), "ConfigMap/x: not a CustomResourceDefinition") {
		t.Errorf("ApplyCRDs(ConfigMap) = %v, want a refusal naming the object", err)
	}
}

func TestApplyStopsAfterFailingRun(t *testing.T) {
	kc, ns := newClient(t)
	ctx := testContext(t)
	objs := []*unstructured.Unstructured{
		manifest(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: ok}, data: {a: b}}`),
		// Invalid: a ConfigMap key may not contain '/'.
		manifest(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: bad}, data: {"a/b": c}}`),
		manifest(t, `{apiVersion: v1, kind: Secret, metadata: {name: later}, stringData: {a: b}}`),
	}
	results, err := kc.Apply(ctx, objs, kube.ApplyOptions{})
	if err == nil {
		t.Fatal("Apply of an invalid ConfigMap succeeded")
	}
	if !strings.Contains(err.Error(), "ConfigMap/bad in namespace "+ns) {
		t.Errorf("error does not name the invalid object: %v", err)
	}
	if results[0].Object == nil {
		t.Errorf("the valid ConfigMap of the same run was not applied: %v", results[0].Err)
	}
	if results[1].Err == nil {
		t.Errorf("the invalid ConfigMap has no error")
	}
	if results[2].Object != nil || results[2].Err != nil {
		t.Errorf("the Secret after the failing run was touched: %+v", results[2])
	}
	if live, err := kc.Get(ctx, objs[2]); err != nil || live != nil {
		t.Errorf("the Secret after the failing run exists (%v, %v)", live != nil, err)
	}
}

// TestPeek reads an object from the server's cache: a missing object is
// nil, an applied one is found (once the cache has caught up, which takes
// moments) with what was applied.
func TestPeek(t *testing.T) {
	kc, _ := newClient(t)
	ctx := testContext(t)
	cm := manifest(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: peeked}, data: {key: one}}`)
	if live, err := kc.Peek(ctx, cm); err != nil || live != nil {
		t.Fatalf("Peek of a missing ConfigMap = (%v, %v), want (nil, nil)", live, err)
	}
	if _, err := kc.Apply(ctx, []*unstructured.Unstructured{cm}, kube.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		live, err := kc.Peek(ctx, cm)
		if err != nil {
			t.Fatal(err)
		}
		if live != nil {
			if v, _, _ := unstructured.NestedString(live.Object, "data", "key"); v != "one" {
				t.Errorf("Peek: data.key = %q, want %q", v, "one")
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("Peek still finds nothing 5 s after the apply")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
