package chart

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	helmchart "helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/bargehq/barge/pkg/chart/archive"
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
	if !fi.IsDir() {
		return LoadArchive(path, path)
	}
	ch, err := loader.LoadDir(path)
	if err == nil {
		return ch, nil
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "Chart.yaml file is missing"):
		return nil, fmt.Errorf("chart %s: %w: %s; a chart directory needs a Chart.yaml with at least apiVersion, name and version", path, ErrChartYAML, msg)
	case strings.Contains(msg, "cannot load Chart.yaml"):
		return nil, fmt.Errorf("chart %s: %w: %s; fix the YAML syntax of Chart.yaml", path, ErrChartYAML, strings.TrimPrefix(msg, "cannot load Chart.yaml: "))
	}
	return nil, fmt.Errorf("chart %s: %w", path, err)
}

// LoadArchive loads the chart archive at path, which users know as name
// (its path, or the URL it was downloaded from): an archive is untrusted,
// and read bounded and checked. Errors name name and wrap
// ErrCorruptArchive.
func LoadArchive(path, name string) (*helmchart.Chart, error) {
	ch, err := archive.LoadFileAs(path, name, archive.DefaultLimits())
	if err != nil {
		return nil, &archiveError{err: err}
	}
	return ch, nil
}

// archiveError is an archive refused by pkg/chart/archive, whose message
// names the archive already: it wraps ErrCorruptArchive too.
type archiveError struct{ err error }

func (e *archiveError) Error() string { return e.err.Error() }

func (e *archiveError) Unwrap() []error { return []error{ErrCorruptArchive, e.err} }

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
		return fmt.Errorf("chart %s: %w: found in Chart.yaml, but missing in charts/ directory: %s; run `barge dependency build` to fetch them", ch.Name(), ErrMissingDependencies, strings.Join(missing, ", "))
	}
	return nil
}
