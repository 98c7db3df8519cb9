package kube_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/bargehq/barge/pkg/kube"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// One Client serves many releases at once, as in a fleet: each goroutine
// applies, reads, waits for and deletes its own objects.
func TestClientSharedByGoroutines(t *testing.T) {
	kc, _ := newClient(t)
	ctx := testContext(t)
	const releases = 20
	errs := make([]error, releases)
	var wg sync.WaitGroup
	for i := range releases {
		wg.Go(func() {
			objs := []*unstructured.Unstructured{
				manifest(t, fmt.Sprintf(`{apiVersion: v1, kind: ConfigMap, metadata: {name: release-%d}, data: {n: "%d"}}`, i, i)),
				manifest(t, fmt.Sprintf(`{apiVersion: v1, kind: Secret, metadata: {name: release-%d}, stringData: {n: "%d"}}`, i, i)),
			}
			if _, err := kc.Apply(ctx, objs, kube.ApplyOptions{}); err != nil {
				errs[i] = err
				return
			}
			if err := kc.Wait(ctx, objs, kube.WaitOptions{Timeout: time.Minute}); err != nil {
				errs[i] = err
				return
			}
			live, err := kc.Get(ctx, objs[0])
			if err != nil || live == nil {
				errs[i] = fmt.Errorf("get release-%d: %v, %v", i, live != nil, err)
				return
			}
			for _, o := range objs {
				if err := kc.Delete(ctx, o, kube.DeleteOptions{}); err != nil {
					errs[i] = err
					return
				}
			}
			errs[i] = kc.WaitDeleted(ctx, objs, time.Minute)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("release %d: %v", i, err)
		}
	}
}
