package kube

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// mapper is a REST mapper over cached discovery that, asked for a kind or
// resource it does not know, rereads discovery from the server once and
// tries again: a kind whose CustomResourceDefinition was created a moment
// ago maps at the second try. Concurrent loads and misses share one
// request to the server.
type mapper struct {
	cache  *resourceCache
	logger *slog.Logger

	mu      sync.Mutex
	last    *mapperLoad // the last load, done or under way; nil before the first
	resetAt time.Time   // loads older than this are not used
}

// mapperLoad is one reading of discovery and the REST mapper built from it.
// Its fields are set before done is closed and not changed after.
type mapperLoad struct {
	done  chan struct{}
	rm    meta.RESTMapper
	asked time.Time // when the server was asked; zero when read from the cache file
	err   error
}

// finished reports whether l is done.
func (l *mapperLoad) finished() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// fits reports whether l, done, succeeded with information the server gave
// at since or after (any information when since is zero).
func (l *mapperLoad) fits(since time.Time) bool {
	return l.err == nil && (since.IsZero() || !l.asked.IsZero() && !l.asked.Before(since))
}

var (
	_ meta.ResettableRESTMapper            = (*mapper)(nil)
	_ meta.ResettableRESTMapperWithContext = (*mapper)(nil)
)

func newMapper(c *resourceCache, logger *slog.Logger) *mapper {
	return &mapper{cache: c, logger: logger}
}

// current returns a REST mapper built from discovery information the
// server gave at since or after (any, the cache file's included, when
// since is zero), loading it if need be. A load another goroutine has
// under way is waited for rather than repeated; one that failed is tried
// again by the next caller.
func (m *mapper) current(ctx context.Context, since time.Time) (meta.RESTMapper, error) {
	for attempt := 0; ; attempt++ {
		m.mu.Lock()
		if m.resetAt.After(since) {
			since = m.resetAt
		}
		l, own := m.last, false
		if l == nil || l.finished() && !l.fits(since) {
			l, own = &mapperLoad{done: make(chan struct{})}, true
			m.last = l
		}
		m.mu.Unlock()
		if own {
			m.load(ctx, l, !since.IsZero())
		} else {
			select {
			case <-l.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if l.fits(since) {
			return l.rm, nil
		}
		// Another goroutine's load may have failed for its own reasons (its
		// context ended): try ours, a few times at most.
		if l.err != nil && (own || attempt >= 2) {
			return nil, l.err
		}
	}
}

// load reads discovery into l, from the server when fromServer, and closes
// l.done.
func (m *mapper) load(ctx context.Context, l *mapperLoad, fromServer bool) {
	defer close(l.done)
	if fromServer {
		m.logger.DebugContext(ctx, "refreshing discovery information")
	}
	lists, asked, err := m.cache.lists(ctx, fromServer)
	if err != nil {
		l.err = err
		return
	}
	l.rm, l.asked = newRESTMapper(lists), asked
}

// Reset drops the discovery information; the next mapping rereads it from
// the server.
func (m *mapper) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.resetAt = time.Now()
}

// ResetWithContext is Reset.
func (m *mapper) ResetWithContext(context.Context) { m.Reset() }

// mapWith calls f with the current REST mapper and, when f finds no match,
// once more with one built from discovery read from the server since.
func mapWith[T any](ctx context.Context, m *mapper, f func(meta.RESTMapper) (T, error)) (T, error) {
	start := time.Now()
	var zero T
	rm, err := m.current(ctx, time.Time{})
	if err != nil {
		return zero, err
	}
	v, err := f(rm)
	if err == nil || !meta.IsNoMatchError(err) {
		return v, err
	}
	if rm, err = m.current(ctx, start); err != nil {
		return zero, err
	}
	return f(rm)
}

// RESTMapping maps a kind to its resource, rereading discovery once on a miss.
func (m *mapper) RESTMapping(gk schema.GroupKind, versions ...string) (*meta.RESTMapping, error) {
	return m.RESTMappingWithContext(context.Background(), gk, versions...)
}

// RESTMappingWithContext maps a kind to its resource, rereading discovery
// once on a miss.
func (m *mapper) RESTMappingWithContext(ctx context.Context, gk schema.GroupKind, versions ...string) (*meta.RESTMapping, error) {
	return mapWith(ctx, m, func(rm meta.RESTMapper) (*meta.RESTMapping, error) { return rm.RESTMapping(gk, versions...) })
}

// RESTMappings returns all mappings of a kind, rereading discovery once on a miss.
func (m *mapper) RESTMappings(gk schema.GroupKind, versions ...string) ([]*meta.RESTMapping, error) {
	return m.RESTMappingsWithContext(context.Background(), gk, versions...)
}

// RESTMappingsWithContext returns all mappings of a kind, rereading
// discovery once on a miss.
func (m *mapper) RESTMappingsWithContext(ctx context.Context, gk schema.GroupKind, versions ...string) ([]*meta.RESTMapping, error) {
	return mapWith(ctx, m, func(rm meta.RESTMapper) ([]*meta.RESTMapping, error) { return rm.RESTMappings(gk, versions...) })
}

// KindFor returns the kind of a partly given resource, rereading discovery
// once on a miss.
func (m *mapper) KindFor(r schema.GroupVersionResource) (schema.GroupVersionKind, error) {
	return m.KindForWithContext(context.Background(), r)
}

// KindForWithContext returns the kind of a partly given resource, rereading
// discovery once on a miss.
func (m *mapper) KindForWithContext(ctx context.Context, r schema.GroupVersionResource) (schema.GroupVersionKind, error) {
	return mapWith(ctx, m, func(rm meta.RESTMapper) (schema.GroupVersionKind, error) { return rm.KindFor(r) })
}

// KindsFor returns the kinds a partly given resource may be, in order of
// priority, rereading discovery once on a miss.
func (m *mapper) KindsFor(r schema.GroupVersionResource) ([]schema.GroupVersionKind, error) {
	return m.KindsForWithContext(context.Background(), r)
}

// KindsForWithContext returns the kinds a partly given resource may be, in
// order of priority, rereading discovery once on a miss.
func (m *mapper) KindsForWithContext(ctx context.Context, r schema.GroupVersionResource) ([]schema.GroupVersionKind, error) {
	return mapWith(ctx, m, func(rm meta.RESTMapper) ([]schema.GroupVersionKind, error) { return rm.KindsFor(r) })
}

// ResourceFor completes a partly given resource, rereading discovery once
// on a miss.
func (m *mapper) ResourceFor(r schema.GroupVersionResource) (schema.GroupVersionResource, error) {
	return m.ResourceForWithContext(context.Background(), r)
}

// ResourceForWithContext completes a partly given resource, rereading
// discovery once on a miss.
func (m *mapper) ResourceForWithContext(ctx context.Context, r schema.GroupVersionResource) (schema.GroupVersionResource, error) {
	return mapWith(ctx, m, func(rm meta.RESTMapper) (schema.GroupVersionResource, error) { return rm.ResourceFor(r) })
}

// ResourcesFor returns the resources a partly given resource may be, in
// order of priority, rereading discovery once on a miss.
func (m *mapper) ResourcesFor(r schema.GroupVersionResource) ([]schema.GroupVersionResource, error) {
	return m.ResourcesForWithContext(context.Background(), r)
}

// ResourcesForWithContext returns the resources a partly given resource may
// be, in order of priority, rereading discovery once on a miss.
func (m *mapper) ResourcesForWithContext(ctx context.Context, r schema.GroupVersionResource) ([]schema.GroupVersionResource, error) {
	return mapWith(ctx, m, func(rm meta.RESTMapper) ([]schema.GroupVersionResource, error) { return rm.ResourcesFor(r) })
}

// ResourceSingularizer returns the singular name of a resource, rereading
// discovery once on a miss.
func (m *mapper) ResourceSingularizer(resource string) (string, error) {
	return m.ResourceSingularizerWithContext(context.Background(), resource)
}

// ResourceSingularizerWithContext returns the singular name of a resource,
// rereading discovery once on a miss.
func (m *mapper) ResourceSingularizerWithContext(ctx context.Context, resource string) (string, error) {
	return mapWith(ctx, m, func(rm meta.RESTMapper) (string, error) { return rm.ResourceSingularizer(resource) })
}

// newRESTMapper builds a REST mapper from the resource lists of discovery,
// given group by group with each group's preferred version first. A kind
// or resource named without a version maps to the core group's v1 first,
// then to each group version in the order of lists, so to the preferred
// version of its group. Subresources ("pods/log") have no mapping.
func newRESTMapper(lists []*metav1.APIResourceList) meta.RESTMapper {
	rm := meta.PriorityRESTMapper{
		ResourcePriority: []schema.GroupVersionResource{{Version: "v1", Resource: meta.AnyResource}},
		KindPriority:     []schema.GroupVersionKind{{Version: "v1", Kind: meta.AnyKind}},
	}
	var (
		mappers meta.MultiRESTMapper
		groups  []string
	)
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		if !slices.Contains(groups, gv.Group) {
			groups = append(groups, gv.Group)
		}
		rm.ResourcePriority = append(rm.ResourcePriority, gv.WithResource(meta.AnyResource))
		rm.KindPriority = append(rm.KindPriority, gv.WithKind(meta.AnyKind))
		mappers = append(mappers, versionMapper(gv, l.APIResources))
	}
	for _, g := range groups {
		rm.ResourcePriority = append(rm.ResourcePriority, schema.GroupVersionResource{Group: g, Version: meta.AnyVersion, Resource: meta.AnyResource})
		rm.KindPriority = append(rm.KindPriority, schema.GroupVersionKind{Group: g, Version: meta.AnyVersion, Kind: meta.AnyKind})
	}
	rm.Delegate = mappers
	return rm
}

// versionMapper maps the kinds of one group version to its resources: each
// kind by its name and its lower-case name, KindList to the same scope,
// and List (not in discovery, but served by every group version) as
// cluster-scoped.
func versionMapper(gv schema.GroupVersion, resources []metav1.APIResource) *meta.DefaultRESTMapper {
	m := meta.NewDefaultRESTMapper([]schema.GroupVersion{gv})
	for _, r := range resources {
		if r.Kind == "" || strings.Contains(r.Name, "/") {
			continue
		}
		scope := meta.RESTScopeRoot
		if r.Namespaced {
			scope = meta.RESTScopeNamespace
		}
		plural, singular := gv.WithResource(r.Name), gv.WithResource(r.SingularName)
		if r.SingularName == "" {
			// Old servers do not say; guess as kubectl does.
			_, singular = meta.UnsafeGuessKindToResource(gv.WithKind(r.Kind))
		}
		// The last kind added for a resource is the one KindFor gives.
		m.AddSpecific(gv.WithKind(strings.ToLower(r.Kind)), plural, singular, scope)
		m.AddSpecific(gv.WithKind(r.Kind), plural, singular, scope)
		m.Add(gv.WithKind(r.Kind+"List"), scope)
	}
	m.Add(gv.WithKind("List"), meta.RESTScopeRoot)
	return m
}

// UnknownKindError reports an object whose kind the cluster does not serve.
type UnknownKindError struct {
	Ref ObjectRef
	Err error
}

func (e *UnknownKindError) Error() string {
	gv := e.Ref.APIVersion
	return fmt.Sprintf("%s: the cluster has no kind %q in %s (is its CustomResourceDefinition installed, or is apiVersion wrong?)",
		e.Ref, e.Ref.Kind, gv)
}

func (e *UnknownKindError) Unwrap() error { return e.Err }

// Mapping returns how the cluster serves obj's kind: its resource and
// whether it is namespaced.
func (c *Client) Mapping(ctx context.Context, obj *unstructured.Unstructured) (*meta.RESTMapping, error) {
	gvk := obj.GroupVersionKind()
	if gvk.Kind == "" || gvk.Version == "" {
		return nil, fmt.Errorf("%s: apiVersion and kind must be set", RefOf(obj))
	}
	rm, err := c.mapper.RESTMappingWithContext(ctx, gvk.GroupKind(), gvk.Version)
	if err != nil {
		if meta.IsNoMatchError(err) {
			return nil, &UnknownKindError{Ref: RefOf(obj), Err: err}
		}
		return nil, fmt.Errorf("%s: map kind to resource: %w", RefOf(obj), err)
	}
	return rm, nil
}
