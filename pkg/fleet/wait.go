package fleet

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/bargehq/barge/pkg/kube"
	"github.com/bargehq/barge/pkg/release"
)

// sharedWaitCluster is the cluster the releases of one execution see: the
// fleet's client, except that they wait through one shared waiter, with a
// watch per kind for the whole fleet rather than per release and namespace.
// It tells the waiter what each apply returned, so that a wait does not
// take the watch's older copy of an object for the applied one.
type sharedWaitCluster struct {
	*kube.Client
	waiter *kube.SharedWaiter
}

var _ release.Cluster = sharedWaitCluster{}

// newSharedWaiter returns the waiter of an execution. The objects of every
// release carry app.kubernetes.io/managed-by=Helm, so each kind's watch
// selects them alone.
func newSharedWaiter(c *kube.Client) *kube.SharedWaiter {
	return c.NewSharedWaiter(kube.SharedWaiterOptions{
		Selector: labels.SelectorFromSet(labels.Set{release.ManagedByLabel: release.ManagedByHelm}),
	})
}

// Apply applies objs and records the results with the waiter.
func (c sharedWaitCluster) Apply(ctx context.Context, objs []*unstructured.Unstructured, opts kube.ApplyOptions) ([]kube.Result, error) {
	res, err := c.Client.Apply(ctx, objs, opts)
	if !opts.DryRun {
		c.waiter.Applied(res)
	}
	return res, err
}

// Wait waits through the shared waiter.
func (c sharedWaitCluster) Wait(ctx context.Context, objs []*unstructured.Unstructured, opts kube.WaitOptions) error {
	return c.waiter.Wait(ctx, objs, opts)
}
