package kube

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestConflictError(t *testing.T) {
	ref := ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "demo", Name: "web"}
	cause := func(msg, field string) metav1.StatusCause {
		return metav1.StatusCause{Type: metav1.CauseTypeFieldManagerConflict, Message: msg, Field: field}
	}
	tests := []struct {
		name      string
		err       error
		want      []Conflict // nil: not a conflict error
		wantError string
	}{
		{
			name: "one conflict with another apply",
			err: apierrors.NewApplyConflict([]metav1.StatusCause{
				cause(`conflict with "other"`, ".spec.replicas"),
			}, `Apply failed with 1 conflict: conflict with "other": .spec.replicas`),
			want: []Conflict{{Manager: "other", Field: ".spec.replicas"}},
			wantError: `Deployment/web in namespace demo: apply conflicts with field manager "other" on .spec.replicas: ` +
				`rerun with --force-conflicts to take these fields over, or remove them from the manifest`,
		},
		{
			name: "two managers, one an update",
			err: apierrors.NewApplyConflict([]metav1.StatusCause{
				cause(`conflict with "kubectl-edit" using apps/v1 at 2026-01-02T03:04:05Z`, ".spec.replicas"),
				cause(`conflict with "kubectl-edit" using apps/v1 at 2026-01-02T03:04:05Z`, `.spec.template.spec.containers[name="web"].image`),
				cause(`conflict with "helm"`, ".metadata.labels.app"),
			}, "Apply failed with 3 conflicts: ..."),
			want: []Conflict{
				{Manager: "kubectl-edit", Detail: "using apps/v1 at 2026-01-02T03:04:05Z", Field: ".spec.replicas"},
				{Manager: "kubectl-edit", Detail: "using apps/v1 at 2026-01-02T03:04:05Z", Field: `.spec.template.spec.containers[name="web"].image`},
				{Manager: "helm", Field: ".metadata.labels.app"},
			},
			wantError: `Deployment/web in namespace demo: apply conflicts with field manager "kubectl-edit" ` +
				`(using apps/v1 at 2026-01-02T03:04:05Z) on .spec.replicas, .spec.template.spec.containers[name="web"].image; ` +
				`and with field manager "helm" on .metadata.labels.app: ` +
				`rerun with --force-conflicts to take these fields over, or remove them from the manifest`,
		},
		{
			name: "resource version conflict is not a field conflict",
			err:  apierrors.NewConflict(schema.GroupResource{Group: "apps", Resource: "deployments"}, "web", errors.New("the object has been modified")),
		},
		{
			name: "other errors are not conflicts",
			err:  apierrors.NewNotFound(schema.GroupResource{Resource: "configmaps"}, "x"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ce := newConflictError(ref, tt.err)
			if tt.want == nil {
				if ce != nil {
					t.Fatalf("newConflictError = %v, want nil", ce)
				}
				return
			}
			if ce == nil {
				t.Fatal("newConflictError = nil, want a conflict")
			}
			if diff := cmp.Diff(tt.want, ce.Conflicts); diff != "" {
				t.Errorf("conflicts (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantError, ce.Error()); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
			if !apierrors.IsConflict(ce) {
				t.Error("the API error is not reachable with errors.As")
			}
		})
	}
}
