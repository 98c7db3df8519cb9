package kube

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// crdResource is the resource of CustomResourceDefinitions.
func crdResource() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
}

// WaitEstablished waits until each CustomResourceDefinition in crds is
// established and the kinds it defines can be mapped, so that objects of
// those kinds can be applied next. A definition whose names are refused
// (another one already claims them) fails at once, with the server's
// reason. Zero timeout means DefaultWaitTimeout.
func (c *Client) WaitEstablished(ctx context.Context, crds []*unstructured.Unstructured, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = DefaultWaitTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	pending := make([]*unstructured.Unstructured, 0, len(crds))
	for _, crd := range crds {
		if crd == nil || crd.GroupVersionKind().GroupKind() != crdGroupKind() {
			return fmt.Errorf("%s: not a CustomResourceDefinition", refOrEmpty(crd))
		}
		pending = append(pending, crd)
	}
	last := map[string]string{}
	for delay := 100 * time.Millisecond; ; delay = min(2*delay, time.Second) {
		var still []*unstructured.Unstructured
		for _, crd := range pending {
			ready, why, err := c.crdReady(ctx, crd)
			if err != nil {
				return err
			}
			if !ready {
				last[crd.GetName()] = why
				still = append(still, crd)
			}
		}
		pending = still
		if len(pending) == 0 {
			return nil
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			var lines []string
			for _, crd := range pending {
				lines = append(lines, fmt.Sprintf("\n  %s: %s", RefOf(crd), last[crd.GetName()]))
			}
			what := "timed out after " + timeout.String()
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				what = "interrupted"
			}
			return fmt.Errorf("%s waiting for %d CustomResourceDefinitions to be established:%s: %w",
				what, len(pending), strings.Join(lines, ""), ctx.Err())
		case <-t.C:
		}
	}
}

// crdReady reports whether crd is established and its kind maps, and if
// not, why. An error means it never will be.
func (c *Client) crdReady(ctx context.Context, crd *unstructured.Unstructured) (bool, string, error) {
	ref := RefOf(crd)
	var live *unstructured.Unstructured
	err := c.retry(ctx, "get "+ref.String(), func(ctx context.Context) error {
		var err error
		live, err = c.dynamic.Resource(crdResource()).Get(ctx, crd.GetName(), metav1.GetOptions{})
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			return false, "not read yet", nil
		}
		if isNotFound(err) {
			return false, "not found", nil
		}
		return false, "", fmt.Errorf("%s: get: %w", ref, err)
	}
	conds, _, _ := unstructured.NestedSlice(live.Object, "status", "conditions")
	established := false
	for _, c := range conds {
		cm, ok := c.(map[string]any)
		if !ok {
			continue
		}
		switch {
		case cm["type"] == "Established" && cm["status"] == "True":
			established = true
		case cm["type"] == "NamesAccepted" && cm["status"] == "False":
			msg, _ := cm["message"].(string)
			return false, "", fmt.Errorf("%s: names not accepted: %s", ref, msg)
		}
	}
	if !established {
		return false, "not established yet", nil
	}
	group, _, _ := unstructured.NestedString(live.Object, "spec", "group")
	kind, _, _ := unstructured.NestedString(live.Object, "spec", "names", "kind")
	versions, _, _ := unstructured.NestedSlice(live.Object, "spec", "versions")
	for _, v := range versions {
		vm, ok := v.(map[string]any)
		if !ok || vm["served"] != true {
			continue
		}
		name, _ := vm["name"].(string)
		if _, err := c.mapper.RESTMappingWithContext(ctx, schema.GroupKind{Group: group, Kind: kind}, name); err != nil {
			if meta.IsNoMatchError(err) {
				return false, fmt.Sprintf("established, but %s.%s/%s is not in discovery yet", kind, group, name), nil
			}
			return false, "", fmt.Errorf("%s: map %s: %w", ref, kind, err)
		}
	}
	return true, "", nil
}
