package charts

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// HelmStarterPlaceholder is what a Helm starter chart's templates and
// values.yaml say where the new chart's name goes.
const HelmStarterPlaceholder = "<CHARTNAME>"

// starterChartYAML is the Chart.yaml CreateFrom writes, as `helm create
// --starter` writes it: the starter's own metadata is not kept.
const starterChartYAML = `apiVersion: v2
name: %s
description: A Helm chart for Kubernetes
type: application
version: 0.1.0
appVersion: "0.1.0"
`

// CreateFrom writes the chart at path from the starter chart directory
// starter, as `helm create --starter` does: every file of the starter is
// copied, with <CHARTNAME> in the templates and values.yaml replaced by the
// chart's name (path's last element), and Chart.yaml is written anew. The
// directory is created if missing; an existing one must be empty. On
// failure CreateFrom removes what it wrote.
func CreateFrom(ctx context.Context, path, starter string) (string, error) {
	name := filepath.Base(filepath.Clean(path))
	if err := ValidateName(name); err != nil {
		return "", err
	}
	fi, err := os.Stat(filepath.Join(starter, "Chart.yaml"))
	if err != nil || fi.IsDir() {
		return name, fmt.Errorf("starter %s: not a chart directory (no Chart.yaml): give the name of a chart in Helm's starters directory, or its path", starter)
	}
	created, err := prepareDir(path)
	if err != nil {
		return name, err
	}
	if err := copyStarter(ctx, starter, path, name); err != nil {
		if created {
			_ = os.RemoveAll(path)
		}
		return name, err
	}
	return name, nil
}

func copyStarter(ctx context.Context, starter, dir, name string) error {
	root := os.DirFS(starter)
	err := fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		target := filepath.Join(dir, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if p == "Chart.yaml" {
			return os.WriteFile(target, fmt.Appendf(nil, starterChartYAML, name), 0o644)
		}
		data, err := fs.ReadFile(root, p)
		if err != nil {
			return err
		}
		if p == "values.yaml" || strings.HasPrefix(p, "templates/") {
			data = []byte(strings.ReplaceAll(string(data), HelmStarterPlaceholder, name))
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		return fmt.Errorf("chart %s from starter %s: %w", name, starter, err)
	}
	return os.MkdirAll(filepath.Join(dir, "charts"), 0o755)
}
