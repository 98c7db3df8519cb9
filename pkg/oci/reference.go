package oci

import (
	"fmt"
	"strings"

	"oras.land/oras-go/v2/registry"
)

// Scheme is the prefix of an OCI chart reference.
const Scheme = "oci://"

// IsReference reports whether s names a chart in an OCI registry: whether
// it starts with oci://.
func IsReference(s string) bool { return strings.HasPrefix(s, Scheme) }

// Reference is a parsed OCI chart reference,
// oci://REGISTRY/REPOSITORY[:TAG][@DIGEST].
type Reference struct {
	// Registry is the registry's host and optional port: "ghcr.io",
	// "127.0.0.1:5000".
	Registry string
	// Repository is the path in the registry, the chart's name last:
	// "org/charts/web".
	Repository string
	// Tag is the tag, "" for none. A '+' (SemVer build metadata) is
	// written '_', as Helm does: OCI tags cannot hold '+'.
	Tag string
	// Digest is the manifest's digest, "sha256:...", "" for none.
	Digest string
}

// ParseReference parses oci://HOST[:PORT]/PATH/CHART[:TAG][@DIGEST]. A '+'
// in the tag becomes '_'. An error names the reference and says what is
// wrong with it.
func ParseReference(s string) (Reference, error) {
	if !IsReference(s) {
		return Reference{}, fmt.Errorf("%w %q: it must start with oci://, as in oci://registry.example.com/charts/web", ErrInvalidReference, s)
	}
	rest := strings.TrimPrefix(s, Scheme)
	if host, _, _ := strings.Cut(rest, "/"); strings.Contains(host, "@") {
		// user:password@host: never repeat it.
		shown := Scheme + "***@" + host[strings.LastIndex(host, "@")+1:] + strings.TrimPrefix(rest, host)
		return Reference{}, fmt.Errorf("%w %q: credentials in a reference are not read; pass --username and --password, or run 'barge registry login'", ErrInvalidReference, shown)
	}
	var r Reference
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		r.Digest = rest[i+1:]
		rest = rest[:i]
		if r.Digest == "" {
			return Reference{}, fmt.Errorf("%w %q: an empty digest after '@'; give @sha256:<64 hex digits>, or no '@'", ErrInvalidReference, s)
		}
	}
	host, path, ok := strings.Cut(rest, "/")
	if !ok || host == "" || path == "" {
		return Reference{}, fmt.Errorf("%w %q: no repository after the registry; give oci://HOST/PATH/CHART", ErrInvalidReference, s)
	}
	if i := strings.LastIndex(path, ":"); i >= 0 {
		r.Tag = strings.ReplaceAll(path[i+1:], "+", "_")
		path = path[:i]
		if r.Tag == "" {
			return Reference{}, fmt.Errorf("%w %q: an empty tag after ':'; give a tag such as :1.2.3, or none", ErrInvalidReference, s)
		}
	}
	r.Registry, r.Repository = host, path
	or := registry.Reference{Registry: r.Registry, Repository: r.Repository}
	if err := or.ValidateRegistry(); err != nil {
		return Reference{}, fmt.Errorf("%w %q: registry %q is not a host[:port]", ErrInvalidReference, s, r.Registry)
	}
	if err := or.ValidateRepository(); err != nil {
		return Reference{}, fmt.Errorf("%w %q: repository %q is not valid: lowercase letters, digits and separators (. _ - /) only", ErrInvalidReference, s, r.Repository)
	}
	if r.Tag != "" {
		or.Reference = r.Tag
		if err := or.ValidateReferenceAsTag(); err != nil {
			return Reference{}, fmt.Errorf("%w %q: tag %q is not valid: letters, digits, '.', '_' and '-', at most 128", ErrInvalidReference, s, r.Tag)
		}
	}
	if r.Digest != "" {
		or.Reference = r.Digest
		if err := or.ValidateReferenceAsDigest(); err != nil {
			return Reference{}, fmt.Errorf("%w %q: digest %q is not valid; give sha256:<64 lowercase hex digits>", ErrInvalidReference, s, r.Digest)
		}
	}
	return r, nil
}

// String returns the reference as oci://REGISTRY/REPOSITORY[:TAG][@DIGEST].
func (r Reference) String() string { return Scheme + r.Name() }

// Name returns the reference without oci://, as Helm prints it after
// "Pushed:" and "Pulled:": REGISTRY/REPOSITORY[:TAG][@DIGEST].
func (r Reference) Name() string {
	s := r.Registry + "/" + r.Repository
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// Chart returns the last element of the repository, the chart's name.
func (r Reference) Chart() string {
	return r.Repository[strings.LastIndex(r.Repository, "/")+1:]
}

// Repo returns r without tag nor digest.
func (r Reference) Repo() Reference {
	return Reference{Registry: r.Registry, Repository: r.Repository}
}

// oras returns r as oras-go's reference, the digest winning over the tag.
func (r Reference) oras() registry.Reference {
	ref := r.Tag
	if r.Digest != "" {
		ref = r.Digest
	}
	return registry.Reference{Registry: r.Registry, Repository: r.Repository, Reference: ref}
}

// TagOf returns the tag Helm gives a chart version: the version with '+'
// written '_'.
func TagOf(version string) string { return strings.ReplaceAll(version, "+", "_") }

// VersionOf returns the chart version a tag stands for: the tag with '_'
// written '+'.
func VersionOf(tag string) string { return strings.ReplaceAll(tag, "_", "+") }
