package kube_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bargehq/barge/pkg/kube"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
)

const job = `
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: migrate
        image: busybox:1.36
        command: [sh, -c, "echo migrated"]
`

func TestWaitCompleteJob(t *testing.T) {
	kc, _ := newClient(t)
	ctx := testContext(t)
	j := manifest(t, job)
	if _, err := kc.Apply(ctx, []*unstructured.Unstructured{j}, kube.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := kc.WaitComplete(ctx, j, 2*time.Minute); err != nil {
		t.Fatalf("WaitComplete: %v", err)
	}
	live, err := kc.Get(ctx, j)
	if err != nil {
		t.Fatal(err)
	}
	if n, _, _ := unstructured.NestedInt64(live.Object, "status", "succeeded"); n != 1 {
		t.Errorf("after WaitComplete the job has status.succeeded = %d, want 1", n)
	}
}

func TestWaitForJobs(t *testing.T) {
	kc, _ := newClient(t)
	ctx := testContext(t)
	j := manifest(t, job)
	if _, err := kc.Apply(ctx, []*unstructured.Unstructured{j}, kube.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := kc.Wait(ctx, []*unstructured.Unstructured{j}, kube.WaitOptions{Timeout: 2 * time.Minute, WaitForJobs: true}); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	live, err := kc.Get(ctx, j)
	if err != nil {
		t.Fatal(err)
	}
	if n, _, _ := unstructured.NestedInt64(live.Object, "status", "succeeded"); n != 1 {
		t.Errorf("after Wait with WaitForJobs the job has status.succeeded = %d, want 1", n)
	}
}

// A hook Pod bound to a node no simulator runs stays pending until the test
// sets its phase, as a kubelet would.
func TestWaitCompletePod(t *testing.T) {
	tests := []struct {
		name    string
		phase   corev1.PodPhase
		wantErr string
	}{
		{"succeeded", corev1.PodSucceeded, ""},
		{"failed", corev1.PodFailed, "Pod failed: Error: exit code 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kc, ns := newClient(t)
			ctx := testContext(t)
			pod := manifest(t, `
apiVersion: v1
kind: Pod
metadata:
  name: hook
spec:
  nodeName: unmanaged-node
  restartPolicy: Never
  containers:
  - name: test
    image: busybox:1.36
`)
			if _, err := kc.Apply(ctx, []*unstructured.Unstructured{pod}, kube.ApplyOptions{}); err != nil {
				t.Fatal(err)
			}
			cs, err := kubernetes.NewForConfig(kc.RESTConfig())
			if err != nil {
				t.Fatal(err)
			}
			pods := cs.CoreV1().Pods(ns)
			go func() {
				time.Sleep(time.Second)
				p, err := pods.Get(context.Background(), "hook", metav1.GetOptions{})
				if err != nil {
					return
				}
				p.Status.Phase = tt.phase
				if tt.phase == corev1.PodFailed {
					p.Status.Reason, p.Status.Message = "Error", "exit code 3"
				}
				_, _ = pods.UpdateStatus(context.Background(), p, metav1.UpdateOptions{})
			}()
			err = kc.WaitComplete(ctx, pod, time.Minute)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("WaitComplete: %v", err)
				}
				return
			}
			var werr *kube.WaitError
			if !errors.As(err, &werr) || werr.Err != nil {
				t.Fatalf("WaitComplete = %v, want a *WaitError for a failure, not a timeout", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error lacks %q:\n%v", tt.wantErr, err)
			}
		})
	}
}

func TestWaitCompleteOtherKindsReturnAtOnce(t *testing.T) {
	kc, _ := newClient(t)
	err := kc.WaitComplete(testContext(t), manifest(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: never}}`), time.Second)
	if err != nil {
		t.Errorf("WaitComplete(ConfigMap) = %v, want nil", err)
	}
}

// TestLogs reads the logs of a pod whose node does not exist: the local
// cluster runs no kubelet, so the API server's answer to the log request
// is what shows that the request reached the pod's log subresource with a
// container the server accepted (it checks the container before looking
// for the node, and names the missing node a pod).
func TestLogs(t *testing.T) {
	kc, ns := newClient(t)
	ctx := testContext(t)
	pod := manifest(t, `
apiVersion: v1
kind: Pod
metadata:
  name: logged
spec:
  nodeName: unmanaged-node
  restartPolicy: Never
  initContainers:
  - name: setup
    image: busybox:1.36
  containers:
  - name: app
    image: busybox:1.36
`)
	if _, err := kc.Apply(ctx, []*unstructured.Unstructured{pod}, kube.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	err := kc.Logs(ctx, pod, &out)
	wantErr := `Pod/logged in namespace ` + ns + `: logs of container setup: pods "unmanaged-node" not found`
	if err == nil || err.Error() != wantErr {
		t.Errorf("Logs error:\n%v\nwant:\n%s", err, wantErr)
	}
	if got, want := out.String(), "==> container setup <==\n"; got != want {
		t.Errorf("Logs wrote %q, want %q", got, want)
	}

	missing := manifest(t, `{apiVersion: v1, kind: Pod, metadata: {name: missing}}`)
	err = kc.Logs(ctx, missing, &out)
	wantErr = `Pod/missing in namespace ` + ns + `: get: pods "missing" not found`
	if err == nil || err.Error() != wantErr {
		t.Errorf("Logs of a missing pod:\n%v\nwant:\n%s", err, wantErr)
	}
}
