package kube

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// AccessError is a request the API server answered but refused: the
// credentials (401 Unauthorized) or the permissions (403 Forbidden by RBAC).
// It is told apart from a server that cannot be reached, whose fix is
// different.
type AccessError struct {
	// Host is the API server's address.
	Host string
	// Code is the HTTP status: http.StatusUnauthorized or http.StatusForbidden.
	Code int
	// Err is the API server's error.
	Err error
}

func (e *AccessError) Error() string {
	if e.Code == http.StatusUnauthorized {
		return fmt.Sprintf("unauthorized: the API server at %s rejected the credentials (401): %v "+
			"(check the user of the kube-context: a token or client certificate that expired, was revoked or belongs to another cluster; --kubeconfig, --kube-context, --kube-token)",
			e.Host, e.Err)
	}
	return fmt.Sprintf("forbidden: the API server at %s accepted the credentials but RBAC does not allow this (403): %v "+
		"(grant the user a Role or ClusterRole with the verb on the resource named, see 'kubectl auth can-i --list', or use a kube-context whose user has it)",
		e.Host, e.Err)
}

// Unwrap returns the API server's error.
func (e *AccessError) Unwrap() error { return e.Err }

// ExplainAccess returns err as an *AccessError when it is the API server at
// host refusing a request's credentials (401) or, by RBAC, its permissions
// (403), and err otherwise. Other refusals answered with 403, an admission
// webhook's, a quota's, a Pod security policy's or a terminating namespace's,
// are left as they are: their messages say what is wrong, and RBAC is not.
func ExplainAccess(err error, host string) error {
	var ae *AccessError
	if err == nil || errors.As(err, &ae) {
		return err
	}
	var st apierrors.APIStatus
	if !errors.As(err, &st) {
		return err
	}
	switch s := st.Status(); {
	case s.Code == http.StatusUnauthorized:
		return &AccessError{Host: host, Code: http.StatusUnauthorized, Err: err}
	case s.Code == http.StatusForbidden && rbacDenied(s.Message):
		return &AccessError{Host: host, Code: http.StatusForbidden, Err: err}
	}
	return err
}

// rbacDenied reports whether a 403's message is the authorizer's: `User
// "alice" cannot list resource "secrets" in API group "" in the namespace
// "web"`.
func rbacDenied(msg string) bool {
	return strings.Contains(msg, `User "`) && strings.Contains(msg, " cannot ")
}

// MissingNamespace returns the name of the namespace err says does not
// exist (the API server's NotFound for a namespace, as when an object or a
// release record is created in it), and whether it says so.
func MissingNamespace(err error) (string, bool) {
	var st apierrors.APIStatus
	if !errors.As(err, &st) {
		return "", false
	}
	s := st.Status()
	if s.Code != http.StatusNotFound || s.Details == nil || s.Details.Kind != "namespaces" {
		return "", false
	}
	return s.Details.Name, true
}
