package kube

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
)

// ObjectRef names an object: its apiVersion, kind, namespace and name.
type ObjectRef struct {
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
}

// RefOf returns the reference of obj.
func RefOf(obj *unstructured.Unstructured) ObjectRef {
	return ObjectRef{
		APIVersion: obj.GetAPIVersion(),
		Kind:       obj.GetKind(),
		Namespace:  obj.GetNamespace(),
		Name:       obj.GetName(),
	}
}

// String returns "Kind/name" or, for an object in a namespace,
// "Kind/name in namespace ns".
func (r ObjectRef) String() string {
	kind := r.Kind
	if kind == "" {
		kind = "<no kind>"
	}
	name := r.Name
	if name == "" {
		name = "<no name>"
	}
	if r.Namespace == "" {
		return kind + "/" + name
	}
	return fmt.Sprintf("%s/%s in namespace %s", kind, name, r.Namespace)
}

// resolved is an object with its mapping, namespace settled: namespaced
// objects without one get the Client's namespace, cluster-scoped objects
// have none.
type resolved struct {
	obj     *unstructured.Unstructured // a copy when the namespace had to change
	mapping *meta.RESTMapping
}

func (r resolved) ref() ObjectRef { return RefOf(r.obj) }

// resolve maps obj's kind and settles its namespace, copying obj rather
// than changing the caller's.
func (c *Client) resolve(ctx context.Context, obj *unstructured.Unstructured) (resolved, error) {
	if obj == nil {
		return resolved{}, fmt.Errorf("nil object")
	}
	if obj.GetName() == "" {
		return resolved{}, fmt.Errorf("%s: metadata.name must be set", RefOf(obj))
	}
	rm, err := c.Mapping(ctx, obj)
	if err != nil {
		return resolved{}, err
	}
	namespaced := rm.Scope.Name() == meta.RESTScopeNameNamespace
	switch ns := obj.GetNamespace(); {
	case namespaced && ns == "":
		obj = obj.DeepCopy()
		obj.SetNamespace(c.namespace)
	case !namespaced && ns != "":
		obj = obj.DeepCopy()
		obj.SetNamespace("")
	}
	return resolved{obj: obj, mapping: rm}, nil
}

// resource returns the dynamic client for r's resource and namespace.
func (c *Client) resource(r resolved) dynamic.ResourceInterface {
	ri := c.dynamic.Resource(r.mapping.Resource)
	if r.mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		return ri.Namespace(r.obj.GetNamespace())
	}
	return ri
}
