package lint

import (
	"sort"
	"strings"

	helmchart "helm.sh/helm/v3/pkg/chart"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/bargehq/barge/pkg/chart/dependency"
)

// checkDependencies checks Chart.yaml's dependencies against charts/ and
// Chart.lock, as Helm does, and the lock's digest, as `helm dependency
// build` does.
func checkDependencies(ch *helmchart.Chart, byName map[string][]byte) []Finding {
	const file = "Chart.yaml"
	var out []Finding
	present := map[string]bool{}
	for _, d := range ch.Dependencies() {
		present[d.Name()] = true
	}
	declared := map[string]bool{}
	var missing []string
	for _, d := range ch.Metadata.Dependencies {
		declared[d.Name] = true
		if !present[d.Name] {
			missing = append(missing, d.Name)
		}
	}
	if len(missing) > 0 {
		out = append(out, finding("dependency-missing", "charts/", 0, "chart directory is missing these dependencies: %s; run `barge dependency build`", strings.Join(missing, ",")))
	}
	var unlisted []string
	for _, d := range ch.Dependencies() {
		if !declared[d.Name()] {
			unlisted = append(unlisted, d.Name())
		}
	}
	if len(unlisted) > 0 {
		sort.Strings(unlisted)
		out = append(out, finding("dependency-unlisted", file, 0, "chart metadata is missing these dependencies: %s", strings.Join(unlisted, ",")))
	}
	return append(out, checkLock(ch, byName)...)
}

// checkLock compares Chart.lock's digest with the dependencies of
// Chart.yaml, where every repository is a URL (a repository named by
// @name or alias: needs the user's repositories to compare).
func checkLock(ch *helmchart.Chart, byName map[string][]byte) []Finding {
	data, ok := byName["Chart.lock"]
	if !ok || ch.Metadata.APIVersion != helmchart.APIVersionV2 {
		return nil
	}
	var lock helmchart.Lock
	if err := sigsyaml.Unmarshal(data, &lock); err != nil {
		return []Finding{finding("dependency-lock", "Chart.lock", errorLine(err), "unable to parse YAML: %v", err)}
	}
	for _, d := range ch.Metadata.Dependencies {
		if strings.HasPrefix(d.Repository, "@") || strings.HasPrefix(d.Repository, "alias:") {
			return nil
		}
	}
	digest, err := dependency.LockDigest(ch.Metadata.Dependencies, lock.Dependencies)
	if err != nil || digest == lock.Digest {
		return nil
	}
	return []Finding{finding("dependency-lock", "Chart.lock", 0, "the lock file (Chart.lock) is out of sync with the dependencies file (Chart.yaml); run `barge dependency update`")}
}
