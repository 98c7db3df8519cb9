package render

import (
	"runtime"
	"slices"
	"strconv"

	"k8s.io/apimachinery/pkg/util/version"
)

// HelmVersion is the Helm version templates see as .Capabilities.HelmVersion:
// barge renders as this version of Helm does.
const HelmVersion = "v3.22.0"

// DefaultKubeVersion is the Kubernetes version templates see when no cluster
// is asked, as with `helm template`.
const DefaultKubeVersion = "v1.37.0"

// Capabilities describes the cluster a chart is rendered for; templates see
// it as .Capabilities. Its fields and methods are those of Helm's.
type Capabilities struct {
	// KubeVersion is the Kubernetes version.
	KubeVersion KubeVersion
	// APIVersions are the API group versions (and group/version/Kind
	// resources) the cluster serves.
	APIVersions VersionSet
	// HelmVersion is the Helm build the templates are rendered as.
	HelmVersion BuildInfo
}

// KubeVersion is a Kubernetes version as templates see it.
type KubeVersion struct {
	Version string // Version is the full version, e.g. "v1.37.0".
	Major   string // Major is the major version, e.g. "1".
	Minor   string // Minor is the minor version, e.g. "37".
}

// String returns the full version.
func (kv *KubeVersion) String() string { return kv.Version }

// GitVersion returns the full version. It is kept for charts written for
// Helm 2.
func (kv *KubeVersion) GitVersion() string { return kv.Version }

// BuildInfo describes a Helm build, as .Capabilities.HelmVersion.
type BuildInfo struct {
	Version      string `json:"version,omitempty"`        // Version is the semantic version.
	GitCommit    string `json:"git_commit,omitempty"`     // GitCommit is the commit built, empty for barge.
	GitTreeState string `json:"git_tree_state,omitempty"` // GitTreeState is the tree state, empty for barge.
	GoVersion    string `json:"go_version,omitempty"`     // GoVersion is the Go release the binary was built with.
}

// VersionSet is a set of API versions.
type VersionSet []string

// Has reports whether the set holds apiVersion, e.g. "apps/v1" or
// "apps/v1/Deployment".
func (v VersionSet) Has(apiVersion string) bool { return slices.Contains(v, apiVersion) }

// DefaultCapabilities returns the capabilities `helm template` renders with
// when no cluster is asked: Kubernetes v1.37.0 and the API versions known to
// client-go v0.37. The caller owns the result.
func DefaultCapabilities() *Capabilities {
	return &Capabilities{
		KubeVersion: KubeVersion{Version: DefaultKubeVersion, Major: "1", Minor: "37"},
		APIVersions: defaultAPIVersions(),
		HelmVersion: BuildInfo{Version: HelmVersion, GoVersion: runtime.Version()},
	}
}

// ParseKubeVersion parses a Kubernetes version as --kube-version takes it
// ("1.30", "v1.30.2", "1.30.2-gke.1") into a KubeVersion, as Helm does:
// Version is "v" followed by the generic version, Major and Minor its first
// two numbers.
func ParseKubeVersion(s string) (*KubeVersion, error) {
	v, err := version.ParseGeneric(s)
	if err != nil {
		return nil, err
	}
	return &KubeVersion{
		Version: "v" + v.String(),
		Major:   strconv.FormatUint(uint64(v.Major()), 10),
		Minor:   strconv.FormatUint(uint64(v.Minor()), 10),
	}, nil
}
