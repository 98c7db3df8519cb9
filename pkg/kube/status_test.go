package kube

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/yaml"
)

func fromYAML(t *testing.T, s string) *unstructured.Unstructured {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(j); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestCompleteStatus(t *testing.T) {
	tests := []struct {
		name    string
		obj     string
		want    status.Status
		wantMsg string
	}{
		{
			name: "job running",
			obj: `{apiVersion: batch/v1, kind: Job, metadata: {name: j},
				status: {active: 1, startTime: "2026-01-01T00:00:00Z"}}`,
			want:    status.InProgressStatus,
			wantMsg: "Job running: 0 succeeded, 1 active, 0 failed",
		},
		{
			name: "job complete",
			obj: `{apiVersion: batch/v1, kind: Job, metadata: {name: j},
				status: {succeeded: 1, conditions: [{type: SuccessCriteriaMet, status: "True"}, {type: Complete, status: "True"}]}}`,
			want:    status.CurrentStatus,
			wantMsg: "Job completed: 1 succeeded",
		},
		{
			name: "job failed",
			obj: `{apiVersion: batch/v1, kind: Job, metadata: {name: j},
				status: {failed: 2, conditions: [{type: Failed, status: "True", reason: BackoffLimitExceeded, message: Job has reached the specified backoff limit}]}}`,
			want:    status.FailedStatus,
			wantMsg: "Job failed: 2 failed: BackoffLimitExceeded: Job has reached the specified backoff limit",
		},
		{
			name: "job condition not true is ignored",
			obj: `{apiVersion: batch/v1, kind: Job, metadata: {name: j},
				status: {conditions: [{type: Complete, status: "False"}]}}`,
			want:    status.InProgressStatus,
			wantMsg: "Job running: 0 succeeded, 0 active, 0 failed",
		},
		{
			name:    "pod pending",
			obj:     `{apiVersion: v1, kind: Pod, metadata: {name: p}}`,
			want:    status.InProgressStatus,
			wantMsg: "Pod phase Pending",
		},
		{
			name:    "pod running",
			obj:     `{apiVersion: v1, kind: Pod, metadata: {name: p}, status: {phase: Running}}`,
			want:    status.InProgressStatus,
			wantMsg: "Pod phase Running",
		},
		{
			name:    "pod succeeded",
			obj:     `{apiVersion: v1, kind: Pod, metadata: {name: p}, status: {phase: Succeeded}}`,
			want:    status.CurrentStatus,
			wantMsg: "Pod succeeded",
		},
		{
			name:    "pod failed",
			obj:     `{apiVersion: v1, kind: Pod, metadata: {name: p}, status: {phase: Failed, reason: Evicted, message: low on memory}}`,
			want:    status.FailedStatus,
			wantMsg: "Pod failed: Evicted: low on memory",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := completeStatus(fromYAML(t, tt.obj))
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tt.want || got.Message != tt.wantMsg {
				t.Errorf("status = %s %q, want %s %q", got.Status, got.Message, tt.want, tt.wantMsg)
			}
		})
	}
}

func TestReadyStatus(t *testing.T) {
	runningJob := `{apiVersion: batch/v1, kind: Job, metadata: {name: j, generation: 1},
		status: {active: 1, startTime: "2026-01-01T00:00:00Z"}}`
	tests := []struct {
		name string
		jobs bool
		obj  string
		want status.Status
	}{
		{"running job is ready without --wait-for-jobs", false, runningJob, status.CurrentStatus},
		{"running job is in progress with --wait-for-jobs", true, runningJob, status.InProgressStatus},
		{
			name: "paused deployment is ready",
			obj: `{apiVersion: apps/v1, kind: Deployment, metadata: {name: d, generation: 2},
				spec: {paused: true, replicas: 3}, status: {observedGeneration: 1}}`,
			want: status.CurrentStatus,
		},
		{
			name: "deployment rolling out is in progress",
			obj: `{apiVersion: apps/v1, kind: Deployment, metadata: {name: d, generation: 1},
				spec: {replicas: 3}, status: {observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 1, availableReplicas: 1}}`,
			want: status.InProgressStatus,
		},
		{
			name: "configmap is ready",
			obj:  `{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}`,
			want: status.CurrentStatus,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readyStatus(tt.jobs)(fromYAML(t, tt.obj))
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tt.want {
				t.Errorf("status = %s (%s), want %s", got.Status, got.Message, tt.want)
			}
		})
	}
}

func TestWaitErrorMessage(t *testing.T) {
	pending := []Status{
		{Ref: ObjectRef{Kind: "Deployment", Namespace: "demo", Name: "web"}, State: StateInProgress, Message: "Ready: 1/3"},
		{Ref: ObjectRef{Kind: "ClusterRole", Name: "reader"}, State: StateNotFound, Message: "not found"},
	}
	tests := []struct {
		name string
		err  *WaitError
		want string
	}{
		{
			name: "timeout",
			err:  &WaitError{Goal: "ready", Total: 5, Pending: pending, Timeout: 90 * time.Second, Err: context.DeadlineExceeded},
			want: "timed out after 1m30s waiting for 2 of 5 objects to be ready:\n" +
				"  Deployment/web in namespace demo: InProgress: Ready: 1/3\n" +
				"  ClusterRole/reader: NotFound: not found",
		},
		{
			name: "interrupted",
			err:  &WaitError{Goal: "deleted", Total: 2, Pending: pending[:1], Timeout: time.Minute, Err: context.Canceled},
			want: "interrupted (context canceled) while waiting for 1 of 2 objects to be deleted:\n" +
				"  Deployment/web in namespace demo: InProgress: Ready: 1/3",
		},
		{
			name: "failed",
			err: &WaitError{Goal: "complete", Total: 1, Timeout: time.Minute, Pending: []Status{
				{Ref: ObjectRef{Kind: "Job", Namespace: "demo", Name: "migrate"}, State: StateFailed, Message: "Job failed: 1 failed"}}},
			want: "1 of 1 objects failed and will not be complete:\n" +
				"  Job/migrate in namespace demo: Failed: Job failed: 1 failed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.err.Error()); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
		})
	}
}
