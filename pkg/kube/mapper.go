package kube

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/restmapper"
)

// mapper is a REST mapper over cached discovery that, asked for a kind it
// does not know, rereads discovery once and tries again: a kind whose
// CustomResourceDefinition was created a moment ago maps at the second try.
// Concurrent misses share one refresh.
type mapper struct {
	*restmapper.DeferredDiscoveryRESTMapper
	logger *slog.Logger

	mu        sync.Mutex
	lastReset time.Time
}

var (
	_ meta.RESTMapper            = (*mapper)(nil)
	_ meta.RESTMapperWithContext = (*mapper)(nil)
)

func newMapper(d discovery.CachedDiscoveryInterface, logger *slog.Logger) *mapper {
	return &mapper{
		DeferredDiscoveryRESTMapper: restmapper.NewDeferredDiscoveryRESTMapper(d),
		logger:                      logger,
	}
}

// refresh rereads discovery unless another goroutine did so after since.
func (m *mapper) refresh(ctx context.Context, since time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lastReset.After(since) {
		return
	}
	m.logger.DebugContext(ctx, "refreshing discovery information")
	m.DeferredDiscoveryRESTMapper.ResetWithContext(ctx)
	m.lastReset = time.Now()
}

// Reset drops the discovery information; the next mapping rereads it.
func (m *mapper) Reset() { m.refresh(context.Background(), time.Now()) }

// RESTMapping maps a kind to its resource, rereading discovery once on a miss.
func (m *mapper) RESTMapping(gk schema.GroupKind, versions ...string) (*meta.RESTMapping, error) {
	return m.RESTMappingWithContext(context.Background(), gk, versions...)
}

// RESTMappingWithContext maps a kind to its resource, rereading discovery
// once on a miss.
func (m *mapper) RESTMappingWithContext(ctx context.Context, gk schema.GroupKind, versions ...string) (*meta.RESTMapping, error) {
	start := time.Now()
	rm, err := m.DeferredDiscoveryRESTMapper.RESTMappingWithContext(ctx, gk, versions...)
	if err != nil && meta.IsNoMatchError(err) {
		m.refresh(ctx, start)
		rm, err = m.DeferredDiscoveryRESTMapper.RESTMappingWithContext(ctx, gk, versions...)
	}
	return rm, err
}

// RESTMappings returns all mappings of a kind, rereading discovery once on a miss.
func (m *mapper) RESTMappings(gk schema.GroupKind, versions ...string) ([]*meta.RESTMapping, error) {
	return m.RESTMappingsWithContext(context.Background(), gk, versions...)
}

// RESTMappingsWithContext returns all mappings of a kind, rereading
// discovery once on a miss.
func (m *mapper) RESTMappingsWithContext(ctx context.Context, gk schema.GroupKind, versions ...string) ([]*meta.RESTMapping, error) {
	start := time.Now()
	rms, err := m.DeferredDiscoveryRESTMapper.RESTMappingsWithContext(ctx, gk, versions...)
	if err != nil && meta.IsNoMatchError(err) {
		m.refresh(ctx, start)
		rms, err = m.DeferredDiscoveryRESTMapper.RESTMappingsWithContext(ctx, gk, versions...)
	}
	return rms, err
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
