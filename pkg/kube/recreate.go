package kube

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// recreateTimeout bounds how long Apply waits for an object it deleted to
// recreate it (ApplyOptions.Recreate) to be gone, when ctx has no earlier
// deadline.
const recreateTimeout = 2 * time.Minute

// IsImmutable reports whether err is the server refusing a change to a
// field that cannot change once set: a Job's template, a Service's
// clusterIP, a Deployment's selector, a PersistentVolumeClaim's spec...
func IsImmutable(err error) bool {
	var status apierrors.APIStatus
	if !errors.As(err, &status) || !apierrors.IsInvalid(err) {
		return false
	}
	return strings.Contains(strings.ToLower(status.Status().Message), "immutable")
}

// ImmutableError is an apply the server refused because it changes fields
// that cannot change once set.
type ImmutableError struct {
	// Ref names the object.
	Ref ObjectRef
	// Err is the server's refusal.
	Err error
}

// Error names the object and the fix.
func (e *ImmutableError) Error() string {
	return fmt.Sprintf("%s: apply: %v (the change touches fields that cannot change once set: rerun with --force-replace to delete and recreate the object, or change it back)", e.Ref, e.Err)
}

// Unwrap returns the server's refusal.
func (e *ImmutableError) Unwrap() error { return e.Err }

// recreate deletes the live object of r, waits until it is gone, and
// creates it again with server-side apply: what Apply does with
// ApplyOptions.Recreate to an object the server refuses to change in place.
func (c *Client) recreate(ctx context.Context, r resolved, opts ApplyOptions) (*unstructured.Unstructured, error) {
	ref := r.ref()
	c.logger.InfoContext(ctx, "recreating object: the server refuses to change it in place", "object", ref.String())
	if err := c.Delete(ctx, r.obj, DeleteOptions{Propagation: PropagationBackground}); err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, recreateTimeout)
	defer cancel()
	for {
		_, err := c.resource(r).Get(wctx, r.obj.GetName(), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: waiting for the deleted object to be gone before recreating it: %w", ref, err)
		}
		select {
		case <-wctx.Done():
			return nil, fmt.Errorf("%s: waiting for the deleted object to be gone before recreating it (finalizers?): %w", ref, wctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
	var out *unstructured.Unstructured
	err := c.retry(ctx, "recreate "+ref.String(), func(ctx context.Context) error {
		var err error
		out, err = c.resource(r).Apply(ctx, r.obj.GetName(), r.obj, opts.apiOptions())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: recreate: %w", ref, err)
	}
	return out, nil
}
