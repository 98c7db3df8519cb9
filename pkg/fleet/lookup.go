package fleet

import (
	"context"
	"sync"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/bargehq/barge/pkg/chart/render"
	"github.com/bargehq/barge/pkg/release"
)

// planLookup serves the lookups of a plan's renders. Charts look up their
// own objects (Joomla its Secret, to keep its passwords), so the releases
// of a fleet look up one object each of the same kinds: the first lookup
// of a kind lists, across namespaces, the objects of that kind that
// releases own (labelled app.kubernetes.io/managed-by=Helm), and later
// lookups are answered from that list. An object not in it (not a
// release's, or created since) is asked of the cluster as usual; so are
// lookups of lists (no name), and every lookup when the list is refused.
//
// A planLookup may be used by several goroutines at once.
type planLookup struct {
	lk   render.Lookuper
	objs Lister // nil: every lookup asks lk

	mu    sync.Mutex
	kinds map[schema.GroupVersionKind]*kindList
}

// kindList is the listed objects of one kind, by namespace and name.
type kindList struct {
	once sync.Once
	objs map[[2]string]map[string]any
	ok   bool // listed
}

// planLookup returns the lookups of one plan, or nil when the Runner serves
// none.
func (r *Runner) planLookup() render.Lookuper {
	if r.cfg.Lookup == nil {
		return nil
	}
	pl := &planLookup{lk: r.cfg.Lookup, kinds: map[schema.GroupVersionKind]*kindList{}}
	if r.cfg.Objects != nil {
		pl.objs = r.cfg.Objects
	}
	return pl
}

// Lookup returns the object as the cluster's lookup would.
func (p *planLookup) Lookup(ctx context.Context, apiVersion, kind, namespace, name string) (map[string]any, error) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if name == "" || err != nil || p.objs == nil {
		return p.lk.Lookup(ctx, apiVersion, kind, namespace, name)
	}
	gvk := gv.WithKind(kind)
	p.mu.Lock()
	kl, ok := p.kinds[gvk]
	if !ok {
		kl = &kindList{}
		p.kinds[gvk] = kl
	}
	p.mu.Unlock()
	kl.once.Do(func() { p.list(ctx, gvk, kl) })
	if kl.ok {
		if obj, found := kl.objs[[2]string{namespace, name}]; found {
			return runtime.DeepCopyJSON(obj), nil
		}
	}
	return p.lk.Lookup(ctx, apiVersion, kind, namespace, name)
}

// list fills kl with the objects of gvk that releases own, in every
// namespace; it leaves kl unlisted when the kind is unknown or the list
// fails.
func (p *planLookup) list(ctx context.Context, gvk schema.GroupVersionKind, kl *kindList) {
	sel := labels.SelectorFromSet(labels.Set{release.ManagedByLabel: release.ManagedByHelm})
	items, err := p.objs.List(ctx, gvk, sel)
	if err != nil {
		return
	}
	kl.objs = make(map[[2]string]map[string]any, len(items))
	for i := range items {
		o := &items[i]
		kl.objs[[2]string{o.GetNamespace(), o.GetName()}] = o.Object
	}
	kl.ok = true
}
