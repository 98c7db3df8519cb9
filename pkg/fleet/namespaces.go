package fleet

import (
	"context"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// A namespace the cluster has just made is not ready for pods: the API
// server refuses a pod until the namespace's "default" ServiceAccount
// exists, and holds each pod creation for a while as it looks for it. The
// service account controller makes those accounts one at a time, so when
// a fleet installs into hundreds of new namespaces, one after another,
// most Deployments meet a namespace without its account, and the
// controllers' pod creations queue up behind those lookups. Apply
// therefore makes the namespaces its installs need first, all of them,
// and creates in each its default ServiceAccount unless it has one (an
// empty account, as the controller makes it, labelled
// app.kubernetes.io/managed-by=barge; the controller leaves an account
// that exists alone). Where barge may not create ServiceAccounts, each
// install into one of those namespaces waits until the controller has
// made it instead.

// Waiting for a namespace's default ServiceAccount polls the API server's
// cache every saPoll, for at most saWait; once one wait has run out (a
// cluster whose controller does not make those accounts), no other
// install waits.
const (
	saPoll = 100 * time.Millisecond
	saWait = 30 * time.Second
)

// saGetter reads objects from the API server's cache. *kube.Client
// satisfies it.
type saGetter interface {
	Peek(ctx context.Context, obj *unstructured.Unstructured) (*unstructured.Unstructured, error)
}

// freshNamespaces are the namespaces an Apply made before its installs.
// Its methods may be called from several goroutines once prepared.
type freshNamespaces struct {
	made   map[string]bool // namespace -> its default ServiceAccount is there
	poll   time.Duration
	limit  time.Duration
	giveUp atomic.Bool
}

// namespacesToMake returns the namespaces that the installs of changes
// create (createNamespace), each once.
func namespacesToMake(changes []*Change) []string {
	seen := map[string]bool{}
	var want []string
	for _, c := range changes {
		if c.Action != ActionInstall || c.Err != nil || c.Release == nil || !c.Release.CreateNamespace || seen[c.Namespace] {
			continue
		}
		seen[c.Namespace] = true
		want = append(want, c.Namespace)
	}
	return want
}

// prepareNamespaces makes the namespaces want (namespacesToMake), limit
// at a time, and returns those it made. A namespace it could not make is
// left to its releases, whose installs make it again and report why it
// fails.
func (r *Runner) prepareNamespaces(ctx context.Context, want []string, limit int) *freshNamespaces {
	made := make([]bool, len(want))
	withAccount := make([]bool, len(want))
	forEach(ctx, len(want), limit, func(i int) {
		eng, err := r.engine(want[i], nil)
		if err != nil {
			return
		}
		if err := eng.CreateNamespace(ctx); err != nil {
			r.cfg.Logger.DebugContext(ctx, "namespace not made ahead; its releases make it", "namespace", want[i], "error", err)
			return
		}
		made[i] = true
		// Created, not applied: an account that exists, the controller's
		// or a namespace's that was there before, is left as it is.
		if r.cfg.Objects == nil {
			return
		}
		_, err = r.cfg.Objects.Create(ctx, defaultServiceAccount(want[i]), r.cfg.FieldManager)
		if err != nil && !apierrors.IsAlreadyExists(err) {
			r.cfg.Logger.DebugContext(ctx, "default ServiceAccount not made; installs wait for the controller's", "namespace", want[i], "error", err)
			return
		}
		withAccount[i] = true
	})
	fresh := &freshNamespaces{made: map[string]bool{}, poll: saPoll, limit: saWait}
	for i, ok := range made {
		if ok {
			fresh.made[want[i]] = withAccount[i]
		}
	}
	return fresh
}

// defaultServiceAccount is the ServiceAccount every namespace gets,
// labelled as made by barge.
func defaultServiceAccount(namespace string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ServiceAccount",
		"metadata": map[string]any{
			"name": "default", "namespace": namespace,
			"labels": map[string]any{"app.kubernetes.io/managed-by": "barge"},
		},
	}}
}

// has reports whether namespace was made ahead.
func (f *freshNamespaces) has(namespace string) bool {
	if f == nil {
		return false
	}
	_, ok := f.made[namespace]
	return ok
}

// await waits until the default ServiceAccount of namespace, made ahead
// without it, exists, for at most f.limit, and returns early when ctx ends
// or the account cannot be read. It never fails: an install that goes on without
// the account only meets the API server's own wait for it.
func (f *freshNamespaces) await(ctx context.Context, g saGetter, namespace string) {
	if withAccount, ok := f.made[namespace]; !ok || withAccount || f.giveUp.Load() {
		return
	}
	sa := defaultServiceAccount(namespace)
	deadline := time.Now().Add(f.limit)
	for {
		live, err := g.Peek(ctx, sa)
		if err != nil || live != nil {
			return
		}
		if !time.Now().Before(deadline) {
			f.giveUp.Store(true)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(f.poll):
		}
	}
}
