// Package source opens the chart a command or a fleet names: it finds it
// (a local directory or archive, repo/chart, --repo URL, or a chart URL,
// with pkg/repo's Resolver), loads it, bounded, and checks it can be
// installed, so that every command and the fleet take charts alike.
package source

import (
	"context"
	"errors"
	"fmt"
	"os"

	helmchart "helm.sh/helm/v3/pkg/chart"

	"github.com/bargehq/barge/pkg/chart"
	"github.com/bargehq/barge/pkg/repo"
	"github.com/bargehq/barge/pkg/repo/getter"
)

// Options tune Open.
type Options struct {
	// Resolver finds the chart; nil takes references as local paths only.
	Resolver *repo.Resolver
	// Installable checks the chart can be installed or rendered on its
	// own: an application chart with every dependency in charts/.
	Installable bool
	// UpdateDependencies, when set, is called for a chart directory whose
	// dependencies are missing (install's --dependency-update); the chart
	// is then loaded again. Nil leaves missing dependencies an error.
	UpdateDependencies func(ctx context.Context, dir string) error
	// Verify, when set, is called with where the chart was found before it
	// is loaded (--verify): an error refuses the chart.
	Verify func(ctx context.Context, loc *repo.Located) error
}

// Opened is a chart Open found and loaded.
type Opened struct {
	// Chart is the loaded chart.
	Chart *helmchart.Chart
	// Located is where it was found: Path, and for a downloaded chart its
	// repository, URL and digest.
	Located *repo.Located
}

// Open finds the chart ref names, loads it and, with opts.Installable,
// checks it. Errors name the reference and say what to do.
func Open(ctx context.Context, ref repo.Ref, opts Options) (*Opened, error) {
	loc, err := locate(ctx, ref, opts.Resolver)
	if err != nil {
		return nil, err
	}
	if opts.Verify != nil {
		if err := opts.Verify(ctx, loc); err != nil {
			return nil, err
		}
	}
	ch, err := load(loc)
	if err != nil {
		return nil, err
	}
	if !opts.Installable {
		return &Opened{Chart: ch, Located: loc}, nil
	}
	if err := chart.CheckInstallable(ch); err != nil {
		return nil, err
	}
	err = chart.CheckDependencies(ch)
	if errors.Is(err, chart.ErrMissingDependencies) && opts.UpdateDependencies != nil && isDir(loc.Path) {
		if err := opts.UpdateDependencies(ctx, loc.Path); err != nil {
			return nil, fmt.Errorf("chart %s: updating its dependencies: %w", ref.Chart, err)
		}
		if ch, err = chart.Load(loc.Path); err != nil {
			return nil, err
		}
		err = chart.CheckDependencies(ch)
	}
	if err != nil {
		return nil, err
	}
	return &Opened{Chart: ch, Located: loc}, nil
}

// load loads the chart loc found: a downloaded archive's errors name its
// URL, not the cache's file.
func load(loc *repo.Located) (*helmchart.Chart, error) {
	if loc.URL == "" {
		return chart.Load(loc.Path)
	}
	return chart.LoadArchive(loc.Path, getter.Redact(loc.URL))
}

// locate finds ref with r, or as a local path without one.
func locate(ctx context.Context, ref repo.Ref, r *repo.Resolver) (*repo.Located, error) {
	if r != nil {
		return r.Locate(ctx, ref)
	}
	// chart.Load words a missing path.
	return &repo.Located{Path: ref.Chart}, nil
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
