package kube_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/bargehq/barge/internal/localcluster"
	"github.com/bargehq/barge/pkg/kube"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// BenchmarkApplyConfigMaps applies 200 ConfigMaps per iteration at several
// concurrencies, without a client-side rate limit; objects/s shows where
// the API server saturates.
func BenchmarkApplyConfigMaps(b *testing.B) {
	const n = 200
	c := localcluster.Get(b)
	ns := c.Namespace(b)
	rc := c.RESTConfig()
	rc.QPS = -1 // no client-side limit: measure the server
	kc, err := kube.NewForRESTConfig(rc, kube.WithNamespace(ns), kube.WithCacheDir(b.TempDir()))
	if err != nil {
		b.Fatal(err)
	}
	ctx := testContext(b)
	for _, conc := range []int{1, 4, 8, 16, 32, 64} {
		b.Run("concurrency="+strconv.Itoa(conc), func(b *testing.B) {
			start := time.Now()
			for i := range b.N {
				objs := make([]*unstructured.Unstructured, n)
				for j := range objs {
					objs[j] = manifest(b, fmt.Sprintf(`{apiVersion: v1, kind: ConfigMap, metadata: {name: cm-%d}, data: {iteration: "%d-%d"}}`, j, conc, i))
				}
				if _, err := kc.Apply(ctx, objs, kube.ApplyOptions{Concurrency: conc}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "objects/s")
		})
	}
}
