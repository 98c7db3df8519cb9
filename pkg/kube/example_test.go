package kube_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/bargehq/barge/pkg/kube"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// An install: CRDs first and established, then the rest in Helm's order,
// then a wait for readiness with a line per status change.
func Example() {
	ctx := context.Background()
	c, err := kube.New(kube.Config{Namespace: "demo"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	var crds, objs []*unstructured.Unstructured // rendered manifests

	if _, err := c.ApplyCRDs(ctx, crds, kube.ApplyOptions{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	if err := c.WaitEstablished(ctx, crds, time.Minute); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	kube.SortForInstall(objs)
	if _, err := c.Apply(ctx, objs, kube.ApplyOptions{FieldManager: "barge"}); err != nil {
		fmt.Fprintln(os.Stderr, err) // a *kube.ConflictError suggests --force-conflicts
		return
	}
	err = c.Wait(ctx, objs, kube.WaitOptions{
		Timeout:  5 * time.Minute,
		Progress: func(s kube.Status) { fmt.Println(s) },
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err) // a *kube.WaitError lists what is not ready and why
	}
}
