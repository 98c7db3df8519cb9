package kube

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Conflict is one field another manager owns with a different value.
type Conflict struct {
	// Manager is the other field manager, such as "kubectl-edit".
	Manager string
	// Detail says how the manager set the field, such as
	// "using apps/v1 at 2026-01-02T03:04:05Z"; empty for another apply.
	Detail string
	// Field is the field's path, such as ".spec.replicas".
	Field string
}

// ConflictError is returned when server-side apply refuses an object
// because other field managers own some of its fields. Apply with Force
// takes them over.
type ConflictError struct {
	Ref       ObjectRef
	Conflicts []Conflict
	// Err is the API server's error.
	Err error
}

func (e *ConflictError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: apply conflicts with ", e.Ref)
	type group struct {
		manager, detail string
		fields          []string
	}
	var groups []*group
	index := map[string]*group{}
	for _, c := range e.Conflicts {
		key := c.Manager + "\x00" + c.Detail
		g := index[key]
		if g == nil {
			g = &group{manager: c.Manager, detail: c.Detail}
			index[key] = g
			groups = append(groups, g)
		}
		g.fields = append(g.fields, c.Field)
	}
	if len(groups) == 0 {
		fmt.Fprintf(&b, "another field manager (%v)", e.Err)
	}
	for i, g := range groups {
		if i > 0 {
			b.WriteString("; and with ")
		}
		fmt.Fprintf(&b, "field manager %q", g.manager)
		if g.detail != "" {
			fmt.Fprintf(&b, " (%s)", g.detail)
		}
		b.WriteString(" on ")
		b.WriteString(strings.Join(g.fields, ", "))
	}
	b.WriteString(": rerun with --force-conflicts to take these fields over, or remove them from the manifest")
	return b.String()
}

func (e *ConflictError) Unwrap() error { return e.Err }

// newConflictError returns a *ConflictError when err is a server-side apply
// conflict, nil otherwise.
func newConflictError(ref ObjectRef, err error) *ConflictError {
	var se apierrors.APIStatus
	if !errors.As(err, &se) || !apierrors.IsConflict(err) {
		return nil
	}
	st := se.Status()
	ce := &ConflictError{Ref: ref, Err: err}
	if st.Details != nil {
		for _, cause := range st.Details.Causes {
			if cause.Type != metav1.CauseTypeFieldManagerConflict {
				continue
			}
			manager, detail := parseConflictManager(cause.Message)
			ce.Conflicts = append(ce.Conflicts, Conflict{Manager: manager, Detail: detail, Field: cause.Field})
		}
	}
	if len(ce.Conflicts) == 0 && !strings.Contains(st.Message, "Apply failed with") {
		// A plain 409 (a resourceVersion mismatch), not a field conflict.
		return nil
	}
	return ce
}

// parseConflictManager splits the API server's cause message
// `conflict with "kubectl-edit" using apps/v1 at 2026-01-02T03:04:05Z`
// into the manager's name and the rest.
func parseConflictManager(msg string) (manager, detail string) {
	s := strings.TrimPrefix(msg, "conflict with ")
	q, err := strconv.QuotedPrefix(s)
	if err != nil {
		return s, ""
	}
	name, err := strconv.Unquote(q)
	if err != nil {
		return s, ""
	}
	return name, strings.TrimSpace(s[len(q):])
}
