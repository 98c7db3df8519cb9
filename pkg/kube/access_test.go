package kube

import (
	"errors"
	"fmt"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestExplainAccess(t *testing.T) {
	secrets := schema.GroupResource{Resource: "secrets"}
	tests := []struct {
		name string
		err  error
		code int // 0: left as it is
	}{
		{"unauthorized", apierrors.NewUnauthorized("Unauthorized"), 401},
		{"rbac", fmt.Errorf("list: %w", apierrors.NewForbidden(secrets, "", errors.New(`User "system:serviceaccount:a:b" cannot list resource "secrets" in API group "" in the namespace "a"`))), 403},
		{"quota", apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "p", errors.New("exceeded quota: q")), 0},
		{"terminating", apierrors.NewForbidden(secrets, "s", errors.New("unable to create new content in namespace a because it is being terminated")), 0},
		{"not found", apierrors.NewNotFound(secrets, "s"), 0},
		{"other", errors.New("connection refused"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ExplainAccess(tt.err, "https://k:6443")
			var ae *AccessError
			switch {
			case tt.code == 0 && got != tt.err:
				t.Errorf("ExplainAccess changed %v into %v", tt.err, got)
			case tt.code != 0 && (!errors.As(got, &ae) || ae.Code != tt.code):
				t.Errorf("ExplainAccess(%v) = %v, want an *AccessError %d", tt.err, got, tt.code)
			case tt.code != 0 && !errors.Is(got, tt.err):
				t.Errorf("ExplainAccess(%v) does not wrap the error", tt.err)
			}
		})
	}
}

func TestMissingNamespace(t *testing.T) {
	err := fmt.Errorf("create: %w", apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, "web"))
	if ns, ok := MissingNamespace(err); !ok || ns != "web" {
		t.Errorf("MissingNamespace = %q, %v; want web, true", ns, ok)
	}
	if _, ok := MissingNamespace(apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, "web")); ok {
		t.Error("a missing Secret taken for a missing namespace")
	}
}
