package kubeschema

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a Kubernetes release, major and minor: 1.22. The zero Version
// means "not set".
type Version struct {
	Major, Minor int
}

// ParseVersion reads "v1.37", "1.37" or "1.37.2" (the patch release, and any
// pre-release or build suffix after it, are ignored).
func ParseVersion(s string) (Version, error) {
	parts := strings.SplitN(strings.TrimPrefix(s, "v"), ".", 3)
	if len(parts) < 2 {
		return Version{}, fmt.Errorf("version %q: want major.minor, such as 1.37", s)
	}
	minor := parts[1]
	if i := strings.IndexAny(minor, "-+"); i >= 0 && len(parts) == 2 {
		minor = minor[:i]
	}
	major, err1 := strconv.Atoi(parts[0])
	min, err2 := strconv.Atoi(minor)
	if err1 != nil || err2 != nil || major < 0 || min < 0 {
		return Version{}, fmt.Errorf("version %q: want major.minor, such as 1.37", s)
	}
	return Version{Major: major, Minor: min}, nil
}

// IsZero reports whether v is not set.
func (v Version) IsZero() bool {
	return v == Version{}
}

// Less reports whether v is an earlier release than w.
func (v Version) Less(w Version) bool {
	if v.Major != w.Major {
		return v.Major < w.Major
	}
	return v.Minor < w.Minor
}

// String returns "1.22", or "" for the zero Version.
func (v Version) String() string {
	if v.IsZero() {
		return ""
	}
	return strconv.Itoa(v.Major) + "." + strconv.Itoa(v.Minor)
}

// Lifecycle is the life of one apiVersion/kind in the Kubernetes API: when it
// was introduced, deprecated and removed, and what replaces it. Fields not
// known are zero.
type Lifecycle struct {
	Introduced Version
	Deprecated Version
	Removed    Version
	// Replacement is the apiVersion and kind to use instead, such as
	// "networking.k8s.io/v1 Ingress"; "" when there is none.
	Replacement string
}

// RemovedIn reports whether the API is no longer served by Kubernetes v.
func (l Lifecycle) RemovedIn(v Version) bool {
	return !l.Removed.IsZero() && !v.Less(l.Removed)
}

// DeprecatedIn reports whether the API is deprecated (or removed) in
// Kubernetes v.
func (l Lifecycle) DeprecatedIn(v Version) bool {
	return !l.Deprecated.IsZero() && !v.Less(l.Deprecated) || l.RemovedIn(v)
}

// LifecycleOf returns the lifecycle of apiVersion/kind. ok is false when there
// is nothing to tell, as for kinds Kubernetes never had; a generally available
// kind (apps/v1 Deployment) has a Lifecycle with no Deprecated or Removed.
// Facts come from k8s.io/api's prerelease-lifecycle
// methods and, for APIs it no longer has, from the Kubernetes deprecation
// guide.
func LifecycleOf(apiVersion, kind string) (Lifecycle, bool) {
	return lookupLifecycle(apiVersion + " " + kind)
}
