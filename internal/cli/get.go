package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/spf13/cobra"
	helmchart "helm.sh/helm/v3/pkg/chart"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/bargehq/barge/pkg/chart/values"
	"github.com/bargehq/barge/pkg/release"
)

func newGetCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "get",
		Short: "Download extended information of a named release",
		Long: `Get prints what is stored of a release revision: the values it was
deployed with, its manifest, its chart's notes, its hooks and its metadata.
Each subcommand reads the latest revision unless --revision says otherwise.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(
		newGetAllCmd(cfg),
		newGetValuesCmd(cfg),
		newGetManifestCmd(cfg),
		newGetHooksCmd(cfg),
		newGetNotesCmd(cfg),
		newGetMetadataCmd(cfg),
	)
	return cmd
}

// readRevision connects and reads a release revision (the latest when 0).
func readRevision(ctx context.Context, cfg *Config, name string, revision int) (*release.Release, error) {
	cc, err := cfg.connect(ctx, cfg.Namespace(), false)
	if err != nil {
		return nil, err
	}
	return getRevision(ctx, cc.store, name, revision)
}

// getSubcommand builds a `get` subcommand that reads one revision and prints
// it with print.
func getSubcommand(cfg *Config, use, short string, revision *int, print func(io.Writer, *release.Release) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   use + " RELEASE_NAME",
		Short: short,
		Args:  releaseArgs(cobra.ExactArgs(1), 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rls, err := readRevision(cmd.Context(), cfg, args[0], *revision)
			if err != nil {
				return err
			}
			return print(cfg.Out, rls)
		},
	}
	cmd.Flags().IntVar(revision, "revision", 0, "get the named release with revision")
	return cmd
}

func newGetValuesCmd(cfg *Config) *cobra.Command {
	var revision int
	var all bool
	var out outputFlags
	cmd := getSubcommand(cfg, "values", "Download the values file for a named release", &revision,
		func(w io.Writer, rls *release.Release) error {
			vals := rls.Config
			if all {
				var err error
				if vals, err = computedValues(rls); err != nil {
					return err
				}
			}
			return out.format.write(w, valuesView{vals: vals, all: all})
		})
	cmd.Flags().BoolVarP(&all, "all", "a", false, "dump all (computed) values")
	out.Bind(cmd.Flags())
	return cmd
}

// computedValues coalesces a release's chart values with its user values.
func computedValues(rls *release.Release) (map[string]any, error) {
	ch := rls.Chart
	if ch == nil {
		ch = &helmchart.Chart{Metadata: &helmchart.Metadata{}}
	}
	vals, err := values.Coalesce(ch, rls.Config)
	if err != nil {
		return nil, fmt.Errorf("release %q revision %d: computing values: %w", rls.Name, rls.Version, err)
	}
	return vals, nil
}

type valuesView struct {
	vals map[string]any
	all  bool
}

func (v valuesView) WriteTable(w io.Writer) error {
	if v.all {
		fmt.Fprintln(w, "COMPUTED VALUES:")
	} else {
		fmt.Fprintln(w, "USER-SUPPLIED VALUES:")
	}
	return encodeYAML(w, v.vals)
}

func (v valuesView) WriteJSON(w io.Writer) error { return encodeJSON(w, v.vals) }
func (v valuesView) WriteYAML(w io.Writer) error { return encodeYAML(w, v.vals) }

func newGetManifestCmd(cfg *Config) *cobra.Command {
	var revision int
	return getSubcommand(cfg, "manifest", "Download the manifest for a named release", &revision,
		func(w io.Writer, rls *release.Release) error {
			_, err := fmt.Fprintln(w, rls.Manifest)
			return err
		})
}

func newGetNotesCmd(cfg *Config) *cobra.Command {
	var revision int
	return getSubcommand(cfg, "notes", "Download the notes for a named release", &revision,
		func(w io.Writer, rls *release.Release) error {
			if rls.Info != nil && rls.Info.Notes != "" {
				fmt.Fprintf(w, "NOTES:\n%s\n", rls.Info.Notes)
			}
			return nil
		})
}

func newGetHooksCmd(cfg *Config) *cobra.Command {
	var revision int
	return getSubcommand(cfg, "hooks", "Download all hooks for a named release", &revision,
		func(w io.Writer, rls *release.Release) error {
			for _, h := range rls.Hooks {
				fmt.Fprintf(w, "---\n# Source: %s\n%s\n", h.Path, h.Manifest)
			}
			return nil
		})
}

func newGetMetadataCmd(cfg *Config) *cobra.Command {
	var revision int
	var out outputFlags
	cmd := getSubcommand(cfg, "metadata", "Fetch metadata for a given release", &revision,
		func(w io.Writer, rls *release.Release) error {
			return out.format.write(w, newMetadataView(rls))
		})
	out.Bind(cmd.Flags())
	return cmd
}

// metadataView is `get metadata`, with Helm's field names.
type metadataView struct {
	Name         string                  `json:"name"`
	Chart        string                  `json:"chart"`
	Version      string                  `json:"version"`
	AppVersion   string                  `json:"appVersion"`
	Annotations  map[string]string       `json:"annotations,omitempty"`
	Dependencies []*helmchart.Dependency `json:"dependencies,omitempty"`
	Namespace    string                  `json:"namespace"`
	Revision     int                     `json:"revision"`
	Status       string                  `json:"status"`
	DeployedAt   string                  `json:"deployedAt"`
}

func newMetadataView(rls *release.Release) *metadataView {
	m := &metadataView{Name: rls.Name, Namespace: rls.Namespace, Revision: rls.Version}
	if rls.Chart != nil && rls.Chart.Metadata != nil {
		md := rls.Chart.Metadata
		m.Chart, m.Version, m.AppVersion = md.Name, md.Version, md.AppVersion
		m.Annotations, m.Dependencies = md.Annotations, md.Dependencies
	}
	if rls.Info != nil {
		m.Status = rls.Info.Status.String()
		m.DeployedAt = rls.Info.LastDeployed.Format(time.RFC3339)
	}
	return m
}

func (m *metadataView) WriteTable(w io.Writer) error {
	deps := make([]string, 0, len(m.Dependencies))
	for _, d := range m.Dependencies {
		deps = append(deps, d.Name)
	}
	slices.Sort(deps)
	fmt.Fprintf(w, "NAME: %v\n", m.Name)
	fmt.Fprintf(w, "CHART: %v\n", m.Chart)
	fmt.Fprintf(w, "VERSION: %v\n", m.Version)
	fmt.Fprintf(w, "APP_VERSION: %v\n", m.AppVersion)
	fmt.Fprintf(w, "ANNOTATIONS: %v\n", labels.Set(m.Annotations).String())
	fmt.Fprintf(w, "DEPENDENCIES: %v\n", strings.Join(deps, ","))
	fmt.Fprintf(w, "NAMESPACE: %v\n", m.Namespace)
	fmt.Fprintf(w, "REVISION: %v\n", m.Revision)
	fmt.Fprintf(w, "STATUS: %v\n", m.Status)
	fmt.Fprintf(w, "DEPLOYED_AT: %v\n", m.DeployedAt)
	return nil
}

func (m *metadataView) WriteJSON(w io.Writer) error { return encodeJSON(w, m) }
func (m *metadataView) WriteYAML(w io.Writer) error { return encodeYAML(w, m) }

func newGetAllCmd(cfg *Config) *cobra.Command {
	var revision int
	var tmpl string
	cmd := getSubcommand(cfg, "all", "Download all information for a named release", &revision,
		func(w io.Writer, rls *release.Release) error {
			if tmpl != "" {
				t, err := template.New("--template").Parse(tmpl)
				if err != nil {
					return fmt.Errorf("--template: %w", err)
				}
				return t.Execute(w, map[string]any{"Release": rls})
			}
			computed, err := computedValues(rls)
			if err != nil {
				return err
			}
			v := &releaseView{rls: rls, showMetadata: true, debug: true, computed: computed}
			return v.WriteTable(w)
		})
	cmd.Flags().StringVar(&tmpl, "template", "", "go template for formatting the output, eg: {{.Release.Name}}")
	return cmd
}
