package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/Masterminds/semver/v3"
	"github.com/spf13/cobra"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
)

func newDependencyCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "dependency list",
		Aliases: []string{"dep", "dependencies"},
		Short:   "Manage a chart's dependencies",
		Long: `Manage the dependencies of a chart: the charts listed under "dependencies" in
its Chart.yaml, stored in its charts/ directory.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newDependencyListCmd(cfg))
	return cmd
}

func newDependencyListCmd(cfg *Config) *cobra.Command {
	var maxColWidth uint
	cmd := &cobra.Command{
		Use:     "list [CHART]",
		Aliases: []string{"ls"},
		Short:   "List the dependencies of a chart",
		Long: `List the dependencies a chart declares in its Chart.yaml, with their status
in its charts/ directory:

  ok               a matching archive is in charts/
  unpacked         a matching chart directory is in charts/
  missing          nothing in charts/ bears the dependency's name
  wrong version    what is in charts/ does not satisfy the version constraint
  misnamed         the archive named after the dependency holds another chart
  corrupt          the archive named after the dependency cannot be loaded
  invalid version  the constraint or the chart's version is not valid semver

Charts found in charts/ but not declared are reported after the table.
CHART is a chart directory or archive, "." by default. Nothing is changed.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			path := "."
			if len(args) > 0 {
				path = filepath.Clean(args[0])
			}
			return listDependencies(cfg.Out, path, maxColWidth)
		},
	}
	cmd.Flags().UintVar(&maxColWidth, "max-col-width", 80, "maximum column width of the table")
	return cmd
}

// listDependencies prints the dependency table of the chart at path in
// Helm's format.
func listDependencies(w io.Writer, path string, maxColWidth uint) error {
	c, err := loader.Load(path)
	if err != nil {
		return fmt.Errorf("chart %s: %w", path, err)
	}
	if c.Metadata.Dependencies == nil {
		fmt.Fprintf(w, "WARNING: no dependencies at %s\n", filepath.Join(path, "charts"))
		return nil
	}
	rows := [][]string{{"NAME", "VERSION", "REPOSITORY", "STATUS"}}
	for _, d := range c.Metadata.Dependencies {
		rows = append(rows, []string{d.Name, d.Version, d.Repository, dependencyStatus(path, d, c)})
	}
	fmt.Fprintln(w, alignColumns(rows, maxColWidth, "\t"))
	fmt.Fprintln(w)
	printUndeclared(w, path, c.Metadata.Dependencies)
	return nil
}

// dependencyStatus says how dep is satisfied in the charts/ directory of the
// chart at path. An archive charts/NAME-*.tgz is looked at first (it reports
// "ok"), then the loaded subcharts (they report "unpacked").
func dependencyStatus(path string, dep *chart.Dependency, parent *chart.Chart) string {
	archives, err := filepath.Glob(filepath.Join(path, "charts", dep.Name+"-*.tgz"))
	if err != nil {
		return "bad pattern"
	}
	if len(archives) > 1 {
		// Keep the archives whose suffix is a version: "nginx-1.2.3.tgz"
		// matches nginx but "nginx-ingress-1.0.0.tgz" does not.
		var versioned []string
		for _, a := range archives {
			v := strings.TrimPrefix(strings.TrimSuffix(filepath.Base(a), ".tgz"), dep.Name+"-")
			if _, err := semver.StrictNewVersion(v); err == nil {
				versioned = append(versioned, a)
			}
		}
		if len(versioned) > 1 {
			return "too many matches"
		}
		archives = versioned
	}
	if len(archives) == 1 {
		if s := archiveStatus(archives[0], dep); s != "" {
			return s
		}
	}
	var sub *chart.Chart
	for _, d := range parent.Dependencies() {
		if d.Name() == dep.Name {
			sub = d
		}
	}
	if sub == nil {
		return "missing"
	}
	if s := versionStatus(sub.Metadata.Version, dep.Version); s != "" {
		return s
	}
	return "unpacked"
}

// archiveStatus is the status of dep given the archive that bears its name,
// or "" when the archive cannot be read at all.
func archiveStatus(archive string, dep *chart.Dependency) string {
	if _, err := os.Stat(archive); err != nil {
		return ""
	}
	c, err := loader.Load(archive)
	if err != nil {
		return "corrupt"
	}
	if c.Name() != dep.Name {
		return "misnamed"
	}
	if s := versionStatus(c.Metadata.Version, dep.Version); s != "" {
		return s
	}
	return "ok"
}

// versionStatus checks a chart's version against a dependency's constraint:
// "" when it satisfies it.
func versionStatus(version, constraint string) string {
	if version == constraint {
		return ""
	}
	cons, err := semver.NewConstraint(constraint)
	if err != nil {
		return "invalid version"
	}
	v, err := semver.NewVersion(version)
	if err != nil {
		return "invalid version"
	}
	if !cons.Check(v) {
		return "wrong version"
	}
	return ""
}

// printUndeclared warns about the charts in charts/ that Chart.yaml does not
// declare.
func printUndeclared(w io.Writer, path string, deps []*chart.Dependency) {
	entries, err := filepath.Glob(filepath.Join(path, "charts/*"))
	if err != nil {
		fmt.Fprintln(w, err)
		return
	}
	for _, e := range entries {
		fi, err := os.Stat(e)
		if err != nil {
			fmt.Fprintf(w, "Warning: %s\n", err)
			continue
		}
		if !fi.IsDir() && filepath.Ext(e) != ".tgz" {
			continue
		}
		c, err := loader.Load(e)
		if err != nil {
			fmt.Fprintf(w, "WARNING: %q is not a chart.\n", e)
			continue
		}
		declared := false
		for _, d := range deps {
			if d.Name == c.Name() {
				declared = true
				break
			}
		}
		if !declared {
			fmt.Fprintf(w, "WARNING: %q is not in Chart.yaml.\n", e)
		}
	}
}

// alignColumns lays rows out in columns as wide as their widest cell (at most
// maxWidth, 0 for no limit; longer cells end in "..."), every cell padded
// with spaces, joined by sep, with no final newline. Width counts runes, so
// columns holding double-width characters do not line up.
func alignColumns(rows [][]string, maxWidth uint, sep string) string {
	var widths []int
	for _, r := range rows {
		for i, cell := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			cw := utf8.RuneCountInString(cell)
			if maxWidth != 0 && cw > int(maxWidth) {
				cw = int(maxWidth)
			}
			widths[i] = max(widths[i], cw)
		}
	}
	var b strings.Builder
	for ri, r := range rows {
		if ri > 0 {
			b.WriteString("\n")
		}
		for i, cell := range r {
			if i > 0 {
				b.WriteString(sep)
			}
			b.WriteString(fitColumn(cell, widths[i]))
		}
	}
	return b.String()
}

// fitColumn pads s with spaces to width columns, or cuts it to end in "...".
func fitColumn(s string, width int) string {
	w := utf8.RuneCountInString(s)
	if w <= width {
		return s + strings.Repeat(" ", width-w)
	}
	var b strings.Builder
	used := 0
	for _, r := range s {
		b.WriteRune(r)
		if used+1 >= width-3 {
			break
		}
		used++
	}
	b.WriteString("...")
	return b.String()
}
