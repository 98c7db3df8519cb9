package kube

import (
	"context"
	"fmt"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

func groupKind(group, kind string) schema.GroupKind {
	return schema.GroupKind{Group: group, Kind: kind}
}

// WaitComplete waits for a hook to finish: a Job until it is Complete, a
// Pod until it has Succeeded. Other kinds are done at once. A Job that
// fails or a Pod that fails ends the wait early with a *WaitError whose
// Err is nil and whose status says why; so does the timeout (zero means
// DefaultWaitTimeout) or the end of ctx, with Err set.
func (c *Client) WaitComplete(ctx context.Context, obj *unstructured.Unstructured, timeout time.Duration) error {
	switch obj.GroupVersionKind().GroupKind() {
	case groupKind("batch", "Job"), groupKind("", "Pod"):
	default:
		return nil
	}
	done := func(s State) bool { return s == StateCurrent || s == StateFailed }
	return c.watchUntil(ctx, []*unstructured.Unstructured{obj}, "complete", timeout, completeStatus, done, StateCurrent, nil)
}

// completeStatus is Current for a completed Job or a succeeded Pod, Failed
// for a failed one, and InProgress before.
func completeStatus(u *unstructured.Unstructured) (*status.Result, error) {
	switch u.GroupVersionKind().GroupKind() {
	case groupKind("batch", "Job"):
		return jobStatus(u), nil
	case groupKind("", "Pod"):
		return podStatus(u), nil
	}
	return status.Compute(u)
}

// jobStatus is Current once the Job has completed, Failed once it has
// failed, InProgress before.
func jobStatus(u *unstructured.Unstructured) *status.Result {
	if u.GetDeletionTimestamp() != nil {
		return &status.Result{Status: status.TerminatingStatus, Message: "Job is being deleted"}
	}
	succeeded := nestedInt(u, "status", "succeeded")
	active := nestedInt(u, "status", "active")
	failed := nestedInt(u, "status", "failed")
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		cm, ok := c.(map[string]any)
		if !ok || cm["status"] != "True" {
			continue
		}
		switch cm["type"] {
		case "Complete":
			return &status.Result{Status: status.CurrentStatus,
				Message: fmt.Sprintf("Job completed: %d succeeded", succeeded)}
		case "Failed":
			msg := fmt.Sprintf("Job failed: %d failed", failed)
			if reason, _ := cm["reason"].(string); reason != "" {
				msg += ": " + reason
			}
			if m, _ := cm["message"].(string); m != "" {
				msg += ": " + m
			}
			return &status.Result{Status: status.FailedStatus, Message: msg}
		}
	}
	return &status.Result{Status: status.InProgressStatus,
		Message: fmt.Sprintf("Job running: %d succeeded, %d active, %d failed", succeeded, active, failed)}
}

// podStatus is Current once the Pod has succeeded, Failed once it has
// failed, InProgress before.
func podStatus(u *unstructured.Unstructured) *status.Result {
	phase, _, _ := unstructured.NestedString(u.Object, "status", "phase")
	switch corev1.PodPhase(phase) {
	case corev1.PodSucceeded:
		return &status.Result{Status: status.CurrentStatus, Message: "Pod succeeded"}
	case corev1.PodFailed:
		msg := "Pod failed"
		if reason, _, _ := unstructured.NestedString(u.Object, "status", "reason"); reason != "" {
			msg += ": " + reason
		}
		if m, _, _ := unstructured.NestedString(u.Object, "status", "message"); m != "" {
			msg += ": " + m
		}
		return &status.Result{Status: status.FailedStatus, Message: msg}
	}
	if u.GetDeletionTimestamp() != nil {
		return &status.Result{Status: status.TerminatingStatus, Message: "Pod is being deleted"}
	}
	if phase == "" {
		phase = "Pending"
	}
	return &status.Result{Status: status.InProgressStatus, Message: "Pod phase " + phase}
}

// Logs writes the logs of pod's containers to w: init containers first,
// then the others. When the pod has more than one container, each log is
// preceded by a line "==> container NAME <==".
func (c *Client) Logs(ctx context.Context, pod *unstructured.Unstructured, w io.Writer) error {
	ns := pod.GetNamespace()
	if ns == "" {
		ns = c.namespace
	}
	ref := RefOf(pod)
	ref.Namespace = ns
	pods := schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	live, err := c.dynamic.Resource(pods).Namespace(ns).Get(ctx, pod.GetName(), metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("%s: get: %w", ref, err)
	}
	names := containerNames(live, "initContainers")
	names = append(names, containerNames(live, "containers")...)
	for _, name := range names {
		if len(names) > 1 {
			if _, err := fmt.Fprintf(w, "==> container %s <==\n", name); err != nil {
				return err
			}
		}
		if err := c.containerLogs(ctx, ns, pod.GetName(), name, w); err != nil {
			return fmt.Errorf("%s: logs of container %s: %w", ref, name, err)
		}
	}
	return nil
}

// containerNames returns the names of the containers of a pod listed in
// spec.FIELD.
func containerNames(pod *unstructured.Unstructured, field string) []string {
	ctrs, _, _ := unstructured.NestedSlice(pod.Object, "spec", field)
	var names []string
	for _, ctr := range ctrs {
		if m, ok := ctr.(map[string]any); ok {
			if name, _ := m["name"].(string); name != "" {
				names = append(names, name)
			}
		}
	}
	return names
}

// containerLogs copies the log of one container of a pod to w, as GET
// /api/v1/namespaces/NS/pods/POD/log?container=CONTAINER streams it.
func (c *Client) containerLogs(ctx context.Context, ns, pod, container string, w io.Writer) error {
	rc, err := c.raw.Get().AbsPath("/api/v1/namespaces", ns, "pods", pod, "log").
		Param("container", container).Stream(ctx)
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(w, rc)
	return err
}

// nestedInt reads an integer field whether it was decoded as int64 (from
// the server) or float64 (from generic JSON or YAML); 0 when absent.
func nestedInt(u *unstructured.Unstructured, fields ...string) int64 {
	v, _, _ := unstructured.NestedFieldNoCopy(u.Object, fields...)
	switch n := v.(type) {
	case int64:
		return n
	case int:
		return int64(n)
	case float64:
		return int64(n)
	}
	return 0
}
