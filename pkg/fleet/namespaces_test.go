package fleet

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// accountAfter is a cache whose default ServiceAccount appears after a
// number of reads (never when negative).
type accountAfter struct {
	after int64
	reads atomic.Int64
}

func (a *accountAfter) Peek(_ context.Context, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	n := a.reads.Add(1)
	if a.after < 0 || n <= a.after {
		return nil, nil
	}
	return obj, nil
}

func TestFreshNamespacesAwait(t *testing.T) {
	newFresh := func() *freshNamespaces {
		return &freshNamespaces{
			made:  map[string]bool{"with-account": true, "without": false},
			poll:  time.Millisecond,
			limit: 50 * time.Millisecond,
		}
	}
	tests := []struct {
		name      string
		namespace string
		after     int64
		wantReads int64
	}{
		{name: "namespace not made ahead: no wait", namespace: "other", after: -1, wantReads: 0},
		{name: "account made with the namespace: no wait", namespace: "with-account", after: -1, wantReads: 0},
		{name: "account made by the controller: waits for it", namespace: "without", after: 3, wantReads: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &accountAfter{after: tt.after}
			newFresh().await(context.Background(), g, tt.namespace)
			if got := g.reads.Load(); got != tt.wantReads {
				t.Errorf("reads = %d, want %d", got, tt.wantReads)
			}
		})
	}

	t.Run("an account that never comes: gives up, and later installs do not wait", func(t *testing.T) {
		f := newFresh()
		g := &accountAfter{after: -1}
		start := time.Now()
		f.await(context.Background(), g, "without")
		if d := time.Since(start); d < f.limit {
			t.Errorf("gave up after %s, want at least %s", d, f.limit)
		}
		before := g.reads.Load()
		f.await(context.Background(), g, "without")
		if n := g.reads.Load() - before; n != 0 {
			t.Errorf("a wait after giving up read %d times, want 0", n)
		}
	})
}
