package cluster

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/bargehq/barge/pkg/kube"
)

// Objects reads and creates the cluster's objects by kind, through the
// REST mapping and the connections of a kube.Client. It serves the lookup
// template function (render.Lookuper).
//
// Objects may be used by several goroutines at once.
type Objects struct {
	kc *kube.Client
}

// NewObjects returns the objects of the cluster kc talks to.
func NewObjects(kc *kube.Client) *Objects { return &Objects{kc: kc} }

// Lookup returns one object, or a List of them when name is empty, and an
// empty map when nothing is found (the kind included), as Helm's lookup
// does.
func (o *Objects) Lookup(ctx context.Context, apiVersion, kind, namespace, name string) (map[string]any, error) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return nil, fmt.Errorf("lookup %s %s: %w", apiVersion, kind, err)
	}
	m, err := o.kc.RESTMapper().RESTMapping(gv.WithKind(kind).GroupKind(), gv.Version)
	if err != nil {
		if meta.IsNoMatchError(err) {
			return map[string]any{}, nil
		}
		return nil, fmt.Errorf("lookup %s %s: %w", apiVersion, kind, err)
	}
	var ri dynamic.ResourceInterface = o.kc.Dynamic().Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace && namespace != "" {
		ri = o.kc.Dynamic().Resource(m.Resource).Namespace(namespace)
	}
	if name != "" {
		obj, err := ri.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return map[string]any{}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("lookup %s %s %s/%s: %w", apiVersion, kind, namespace, name, err)
		}
		return obj.Object, nil
	}
	list, err := ri.List(ctx, metav1.ListOptions{})
	if apierrors.IsNotFound(err) {
		return map[string]any{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lookup %s %s in %q: %w", apiVersion, kind, namespace, err)
	}
	return list.UnstructuredContent(), nil
}

// List returns the objects of kind gvk that selector matches, in every
// namespace, in one request. Objects of a cluster-scoped kind have no
// namespace. A kind the cluster does not serve is an error.
func (o *Objects) List(ctx context.Context, gvk schema.GroupVersionKind, selector labels.Selector) ([]unstructured.Unstructured, error) {
	m, err := o.kc.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", gvk.Kind, err)
	}
	opts := metav1.ListOptions{}
	if selector != nil {
		opts.LabelSelector = selector.String()
	}
	list, err := o.kc.Dynamic().Resource(m.Resource).List(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", gvk.Kind, err)
	}
	if m.Scope.Name() != meta.RESTScopeNameNamespace {
		for i := range list.Items {
			list.Items[i].SetNamespace("")
		}
	}
	return list.Items, nil
}

// Create creates obj, as fieldManager, and returns it as created. An
// object that exists already is an error apierrors.IsAlreadyExists
// recognises; obj is not changed then.
func (o *Objects) Create(ctx context.Context, obj *unstructured.Unstructured, fieldManager string) (*unstructured.Unstructured, error) {
	m, err := o.kc.Mapping(ctx, obj)
	if err != nil {
		return nil, err
	}
	var ri dynamic.ResourceInterface = o.kc.Dynamic().Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		ri = o.kc.Dynamic().Resource(m.Resource).Namespace(obj.GetNamespace())
	}
	created, err := ri.Create(ctx, obj, metav1.CreateOptions{FieldManager: fieldManager})
	if err != nil {
		return nil, fmt.Errorf("%s/%s create: %w", obj.GetKind(), obj.GetName(), err)
	}
	return created, nil
}
