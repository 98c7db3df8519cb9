package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// readiness watches the cluster's pods and PersistentVolumeClaims in the
// namespaces whose names start with a prefix, and remembers when the last
// claim was bound and the last pod became Ready: when the cluster itself
// was done, to set a fleet's `apply --wait` against.
type readiness struct {
	start time.Time

	mu     sync.Mutex
	pods   progress // Ready
	claims progress // Bound
}

// progress counts objects seen and those that reached a state, and when
// the last of them did.
type progress struct {
	reached     map[string]bool
	seen, count int
	last        time.Time
}

// see records that the object key is, or is not yet, in the state.
func (p *progress) see(key string, in bool) {
	if p.reached == nil {
		p.reached = map[string]bool{}
	}
	was, seen := p.reached[key]
	if !seen {
		p.seen++
	}
	p.reached[key] = was || in
	if in && !was {
		p.count++
		p.last = time.Now()
	}
}

// watchReadiness starts watching; cancel ctx to stop.
func watchReadiness(ctx context.Context, cs kubernetes.Interface, prefix string) *readiness {
	r := &readiness{start: time.Now()}
	f := informers.NewSharedInformerFactory(cs, 0)
	handler := func(track func(obj any) (*progress, string, bool)) cache.ResourceEventHandler {
		see := func(obj any) {
			p, key, in := track(obj)
			if p == nil || !strings.HasPrefix(key, prefix) {
				return
			}
			r.mu.Lock()
			p.see(key, in)
			r.mu.Unlock()
		}
		return cache.ResourceEventHandlerFuncs{AddFunc: see, UpdateFunc: func(_, o any) { see(o) }}
	}
	_, _ = f.Core().V1().Pods().Informer().AddEventHandler(handler(func(obj any) (*progress, string, bool) {
		p, ok := obj.(*corev1.Pod)
		if !ok {
			return nil, "", false
		}
		return &r.pods, p.Namespace + "/" + p.Name, podReady(p)
	}))
	_, _ = f.Core().V1().PersistentVolumeClaims().Informer().AddEventHandler(handler(func(obj any) (*progress, string, bool) {
		c, ok := obj.(*corev1.PersistentVolumeClaim)
		if !ok {
			return nil, "", false
		}
		return &r.claims, c.Namespace + "/" + c.Name, c.Status.Phase == corev1.ClaimBound
	}))
	f.Start(ctx.Done())
	return r
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// timeline prints, every interval until ctx ends, how many claims and
// pods the cluster has bound and made Ready so far, and the CPU each of its
// components used in the interval: the pace of a wait, not only its end.
func (r *readiness) timeline(ctx context.Context, interval time.Duration, cpu func() map[string]time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	last := cpu()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := cpu()
		r.mu.Lock()
		line := fmt.Sprintf("    %5.0fs: claims %d/%d bound, pods %d/%d Ready; CPU in the last %s: %s",
			time.Since(r.start).Seconds(), r.claims.count, r.claims.seen, r.pods.count, r.pods.seen, interval, cpuDelta(last, now))
		r.mu.Unlock()
		fmt.Println(line)
		last = now
	}
}

// report returns, since the watch started, when the last claim was bound
// and the last pod became Ready, with the counts seen.
func (r *readiness) report() (bound, ready time.Duration, claims, boundN, pods, readyN int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	since := func(t time.Time) time.Duration {
		if t.IsZero() {
			return 0
		}
		return t.Sub(r.start)
	}
	return since(r.claims.last), since(r.pods.last), r.claims.seen, r.claims.count, r.pods.seen, r.pods.count
}

// await returns when at least pods pods are Ready and every claim seen is
// bound, or with ctx's error.
func (r *readiness) await(ctx context.Context, pods int) error {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		r.mu.Lock()
		done := r.pods.count >= pods && r.claims.count == r.claims.seen
		r.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
