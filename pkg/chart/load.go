package chart

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	helmchart "helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
)

// ErrNotFound is returned by Load when no chart directory or archive exists at
// the path given.
var ErrNotFound = errors.New("chart not found")

// ErrCorruptArchive is returned by Load when the path is a file that is not a
// readable chart archive (a gzipped tar holding a chart directory).
var ErrCorruptArchive = errors.New("chart archive is corrupt")

// ErrChartYAML is returned by Load when a chart's Chart.yaml (or a
// subchart's) is missing or does not parse.
var ErrChartYAML = errors.New("invalid Chart.yaml")

// ErrNotInstallable is returned by CheckInstallable for charts whose type is
// not "application" (library charts).
var ErrNotInstallable = errors.New("chart is not installable")

// ErrMissingDependencies is returned by CheckDependencies when Chart.yaml
// lists dependencies that are not present under charts/.
var ErrMissingDependencies = errors.New("chart dependencies are missing")

// Load loads the chart at path, a chart directory or a packaged chart
// archive, with Helm's loader. Errors wrap ErrNotFound, ErrCorruptArchive or
// ErrChartYAML where one of them applies, and name the path.
func Load(path string) (*helmchart.Chart, error) {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("chart %s: %w: no chart directory or .tgz archive at this path; check the path, or run the command from the directory it is relative to", path, ErrNotFound)
		}
		return nil, fmt.Errorf("chart %s: %w", path, err)
	}
	ch, err := loader.Load(path)
	if err == nil {
		return ch, nil
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "Chart.yaml file is missing"):
		if fi.IsDir() {
			return nil, fmt.Errorf("chart %s: %w: %s; a chart directory needs a Chart.yaml with at least apiVersion, name and version", path, ErrChartYAML, msg)
		}
		return nil, fmt.Errorf("chart %s: %w: %s", path, ErrCorruptArchive, msg)
	case strings.Contains(msg, "cannot load Chart.yaml"):
		return nil, fmt.Errorf("chart %s: %w: %s; fix the YAML syntax of Chart.yaml", path, ErrChartYAML, strings.TrimPrefix(msg, "cannot load Chart.yaml: "))
	case !fi.IsDir() && isArchiveError(msg):
		return nil, fmt.Errorf("chart %s: %w: %s; repackage the chart with `helm package`, or download it again", path, ErrCorruptArchive, msg)
	}
	return nil, fmt.Errorf("chart %s: %w", path, err)
}

// isArchiveError reports whether a loader error message is about the archive
// itself rather than about the chart inside it.
func isArchiveError(msg string) bool {
	for _, s := range []string{
		"does not appear to be a valid chart file",
		"does not appear to be a gzipped archive",
		"expected a gzipped archive",
		"cannot be read",
		"no files in chart archive",
		"unexpected EOF",
		"gzip:",
		"archive/tar:",
		"illegally",
		"chart yaml not in base directory",
	} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// CheckInstallable returns an error wrapping ErrNotInstallable when ch cannot
// be installed or rendered on its own: only charts of type "application"
// (or no type) can, library charts cannot.
func CheckInstallable(ch *helmchart.Chart) error {
	switch ch.Metadata.Type {
	case "", "application":
		return nil
	}
	return &notInstallableError{typ: ch.Metadata.Type}
}

// notInstallableError words ErrNotInstallable as Helm does.
type notInstallableError struct{ typ string }

func (e *notInstallableError) Error() string { return e.typ + " charts are not installable" }

func (e *notInstallableError) Unwrap() error { return ErrNotInstallable }

// CheckDependencies returns an error wrapping ErrMissingDependencies that
// names every dependency listed in Chart.yaml but absent from charts/.
func CheckDependencies(ch *helmchart.Chart) error {
	var missing []string
	for _, d := range ch.Metadata.Dependencies {
		if d == nil {
			continue
		}
		found := false
		for _, sub := range ch.Dependencies() {
			if sub.Name() == d.Name {
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, d.Name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("chart %s: %w: found in Chart.yaml, but missing in charts/ directory: %s; run `helm dependency build` to fetch them", ch.Name(), ErrMissingDependencies, strings.Join(missing, ", "))
	}
	return nil
}
