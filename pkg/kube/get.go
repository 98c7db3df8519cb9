package kube

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Get returns the live object obj names (by apiVersion, kind, namespace
// and name), or nil when it does not exist. It costs one request once the
// kind is mapped, so it can be called for every object before applying it.
//
// A kind the cluster does not serve is an *UnknownKindError, not nil: the
// object cannot exist, but neither can it be applied.
func (c *Client) Get(ctx context.Context, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	return c.get(ctx, obj, metav1.GetOptions{})
}

// Peek is Get answered from the API server's watch cache (resourceVersion
// "0"): the object as it was a moment ago, without a read from etcd. Checks
// that act on their answer later anyway, such as ownership checks before an
// apply, can afford that and spare the server a storage read.
func (c *Client) Peek(ctx context.Context, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	return c.get(ctx, obj, metav1.GetOptions{ResourceVersion: "0"})
}

func (c *Client) get(ctx context.Context, obj *unstructured.Unstructured, opts metav1.GetOptions) (*unstructured.Unstructured, error) {
	r, err := c.resolve(ctx, obj)
	if err != nil {
		return nil, err
	}
	ref := r.ref()
	var live *unstructured.Unstructured
	err = c.retry(ctx, "get "+ref.String(), func(ctx context.Context) error {
		var err error
		live, err = c.resource(r).Get(ctx, r.obj.GetName(), opts)
		return err
	})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: get: %w", ref, err)
	}
	return live, nil
}

func isNotFound(err error) bool { return apierrors.IsNotFound(err) }
