package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/Masterminds/semver/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/bargehq/barge/pkg/chart/dependency"
	"github.com/bargehq/barge/pkg/repo"
)

func newDependencyCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "dependency update|build|list",
		Aliases: []string{"dep", "dependencies"},
		Short:   "Manage a chart's dependencies",
		Long: `Manage the dependencies of a chart: the charts listed under "dependencies" in
its Chart.yaml (or requirements.yaml, for apiVersion v1 charts), stored in its
charts/ directory.

A dependency's repository is the URL of a chart repository (its index is at
URL/index.yaml), "@NAME" or "alias:NAME" for a repository added with
'barge repo add', "file://PATH" for a chart directory (relative to the
chart), or empty for a chart unpacked in charts/ already. Its version is a
version or a range (^1.2, ~1.2.0, >=1 <2):

    # Chart.yaml
    dependencies:
    - name: nginx
      version: "^1.2"
      repository: "https://example.com/charts"
    - name: common
      version: "2.x"
      repository: "@bitnami"
    - name: lib
      version: "0.1.0"
      repository: "file://../lib"

'update' picks the newest versions allowed and records them in Chart.lock;
'build' fetches the versions Chart.lock records. barge and Helm read and
write the same Chart.lock, and share the repositories and their cache.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newDependencyListCmd(cfg), newDependencyUpdateCmd(cfg), newDependencyBuildCmd(cfg))
	return cmd
}

func newDependencyUpdateCmd(cfg *Config) *cobra.Command {
	var flags dependencyFlags
	cmd := &cobra.Command{
		Use:     "update CHART",
		Aliases: []string{"up"},
		Short:   "Update charts/ based on the contents of Chart.yaml",
		Long: `Update the dependencies in charts/ to mirror Chart.yaml.

For each dependency, the newest version its constraint allows is fetched
into charts/, in place of the dependency's older archives, and the versions
are recorded in Chart.lock (requirements.lock for apiVersion v1 charts),
which 'barge dependency build' and 'helm dependency build' rebuild from.
The indexes of the repositories involved are downloaded anew first, unless
--skip-refresh. A repository given by URL need not be added: its index is
fetched from the URL, without credentials.

Nothing in charts/ changes unless every dependency is fetched. Archives of
charts that Chart.yaml does not list are left alone. CHART is a chart
directory, "." by default.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := flags.options(cmd, cfg)
			if err != nil {
				return err
			}
			return dependency.Update(cmd.Context(), chartDirArg(args), opts)
		},
	}
	flags.Bind(cmd.Flags())
	return cmd
}

func newDependencyBuildCmd(cfg *Config) *cobra.Command {
	var flags dependencyFlags
	cmd := &cobra.Command{
		Use:   "build CHART",
		Short: "Rebuild the charts/ directory based on the Chart.lock file",
		Long: `Build out the charts/ directory from the Chart.lock file.

Build fetches the versions Chart.lock records (requirements.lock for
apiVersion v1 charts), as 'helm dependency build' does: it does not pick new
versions, as 'barge dependency update' does. A lock that no longer matches
Chart.yaml is an error. As in Helm, repositories given by URL must have been
added ('barge repo add'); their indexes are downloaded anew first, unless
--skip-refresh.

Without a lock file, build does what 'barge dependency update' does. CHART is
a chart directory, "." by default.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := flags.options(cmd, cfg)
			if err != nil {
				return err
			}
			return dependency.Build(cmd.Context(), chartDirArg(args), opts)
		},
	}
	flags.Bind(cmd.Flags())
	return cmd
}

// chartDirArg is the CHART argument of a dependency command, "." if none.
func chartDirArg(args []string) string {
	if len(args) > 0 {
		return filepath.Clean(args[0])
	}
	return "."
}

// dependencyFlags are the flags of dependency update and build.
type dependencyFlags struct {
	skipRefresh bool
	verify      bool
	keyring     string
	registry    registryClientFlags
}

// Bind registers the flags on fs.
func (f *dependencyFlags) Bind(fs *pflag.FlagSet) {
	fs.BoolVar(&f.verify, "verify", false, "verify the packages against signatures")
	fs.StringVar(&f.keyring, "keyring", "", "keyring containing public keys (default: ~/.gnupg/pubring.gpg, as Helm's)")
	fs.BoolVar(&f.skipRefresh, "skip-refresh", false, "do not refresh the local repository cache")
	f.registry.Bind(fs)
}

// options checks the flags and returns the options of a run.
func (f *dependencyFlags) options(cmd *cobra.Command, cfg *Config) (dependency.Options, error) {
	res := cfg.resolver()
	opts := dependency.Options{Resolver: res, SkipRefresh: f.skipRefresh, Out: cfg.Out, Logger: cfg.warnLogger(), Registry: f.registry.ref}
	if f.verify {
		opts.Verify = verifier(cfg, res, f.keyring)
	}
	return opts, nil
}

// updateDependencies runs 'dependency update' on the chart directory dir,
// its progress lines on out, as install, upgrade and template do with
// --dependency-update and package with -u.
func updateDependencies(ctx context.Context, cfg *Config, dir string, registry repo.Ref, out io.Writer) error {
	return dependency.Update(ctx, dir, dependency.Options{Resolver: cfg.resolver(), Out: out, Logger: cfg.warnLogger(), Registry: registry})
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
