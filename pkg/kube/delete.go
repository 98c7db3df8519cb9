package kube

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Propagation says what happens to the objects an object owns (a
// Deployment's ReplicaSets and Pods) when it is deleted.
type Propagation string

// The propagation policies, named as Helm's and kubectl's --cascade flag
// names them.
const (
	// PropagationBackground deletes the object at once and its dependents
	// afterwards, in the background. It is the default.
	PropagationBackground Propagation = "background"
	// PropagationForeground deletes the dependents first; the object stays,
	// marked for deletion, until they are gone.
	PropagationForeground Propagation = "foreground"
	// PropagationOrphan deletes the object and leaves its dependents.
	PropagationOrphan Propagation = "orphan"
)

// ParsePropagation parses a --cascade value.
func ParsePropagation(s string) (Propagation, error) {
	switch p := Propagation(strings.ToLower(s)); p {
	case PropagationBackground, PropagationForeground, PropagationOrphan:
		return p, nil
	case "":
		return PropagationBackground, nil
	}
	return "", fmt.Errorf("cascade %q: must be background, foreground or orphan", s)
}

func (p Propagation) policy() (metav1.DeletionPropagation, error) {
	switch p {
	case PropagationBackground, "":
		return metav1.DeletePropagationBackground, nil
	case PropagationForeground:
		return metav1.DeletePropagationForeground, nil
	case PropagationOrphan:
		return metav1.DeletePropagationOrphan, nil
	}
	return "", fmt.Errorf("cascade %q: must be background, foreground or orphan", string(p))
}

// DeleteOptions tune Delete.
type DeleteOptions struct {
	// Propagation is what happens to the object's dependents; empty means
	// PropagationBackground.
	Propagation Propagation
	// DryRun has the server check the deletion without doing it.
	DryRun bool
}

// Delete deletes the object obj names. It returns once the server has
// accepted the deletion, not once the object is gone (see WaitDeleted). An
// object already gone is not an error.
func (c *Client) Delete(ctx context.Context, obj *unstructured.Unstructured, opts DeleteOptions) error {
	policy, err := opts.Propagation.policy()
	if err != nil {
		return err
	}
	r, err := c.resolve(ctx, obj)
	if err != nil {
		return err
	}
	ref := r.ref()
	do := metav1.DeleteOptions{PropagationPolicy: &policy}
	if opts.DryRun {
		do.DryRun = []string{metav1.DryRunAll}
	}
	err = c.retry(ctx, "delete "+ref.String(), func(ctx context.Context) error {
		return c.resource(r).Delete(ctx, r.obj.GetName(), do)
	})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("%s: delete: %w", ref, err)
	}
	c.logger.DebugContext(ctx, "deleted", "object", ref.String(), "propagation", string(policy))
	return nil
}
