package main

import (
	"context"
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
	start  time.Time
	prefix string

	mu                 sync.Mutex
	lastBound          time.Time
	lastReady          time.Time
	pods, ready, bound int
	claims             int
}

// watchReadiness starts watching; cancel ctx to stop.
func watchReadiness(ctx context.Context, cs kubernetes.Interface, prefix string) *readiness {
	r := &readiness{start: time.Now(), prefix: prefix}
	f := informers.NewSharedInformerFactory(cs, 0)
	readyPods := map[string]bool{}
	boundClaims := map[string]bool{}
	podEvent := func(obj any) {
		p, ok := obj.(*corev1.Pod)
		if !ok || !strings.HasPrefix(p.Namespace, prefix) {
			return
		}
		key := p.Namespace + "/" + p.Name
		r.mu.Lock()
		defer r.mu.Unlock()
		if _, seen := readyPods[key]; !seen {
			r.pods++
			readyPods[key] = false
		}
		if podReady(p) && !readyPods[key] {
			readyPods[key] = true
			r.ready++
			r.lastReady = time.Now()
		}
	}
	claimEvent := func(obj any) {
		c, ok := obj.(*corev1.PersistentVolumeClaim)
		if !ok || !strings.HasPrefix(c.Namespace, prefix) {
			return
		}
		key := c.Namespace + "/" + c.Name
		r.mu.Lock()
		defer r.mu.Unlock()
		if _, seen := boundClaims[key]; !seen {
			r.claims++
			boundClaims[key] = false
		}
		if c.Status.Phase == corev1.ClaimBound && !boundClaims[key] {
			boundClaims[key] = true
			r.bound++
			r.lastBound = time.Now()
		}
	}
	_, _ = f.Core().V1().Pods().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: podEvent, UpdateFunc: func(_, o any) { podEvent(o) },
	})
	_, _ = f.Core().V1().PersistentVolumeClaims().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: claimEvent, UpdateFunc: func(_, o any) { claimEvent(o) },
	})
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
	return since(r.lastBound), since(r.lastReady), r.claims, r.bound, r.pods, r.ready
}
