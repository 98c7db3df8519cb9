package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/bargehq/barge/internal/version"
	"github.com/bargehq/barge/pkg/chart"
	"github.com/bargehq/barge/pkg/chart/archive"
	"github.com/bargehq/barge/pkg/chart/lint"
	"github.com/bargehq/barge/pkg/chart/render"
	"github.com/bargehq/barge/pkg/chart/values"
	"github.com/bargehq/barge/pkg/kubeschema"
)

// lintOptions are the flags of `barge lint`.
type lintOptions struct {
	chart         chartFlags
	values        values.Options
	strict        bool
	quiet         bool
	withSubcharts bool
	kubeVersion   string
	output        string
	listRules     bool
	skipSchema    bool
}

// newLintCmd returns `barge lint [CHART...]`: helm lint's checks and flags,
// and the Kubernetes API schema, deprecated APIs, names, labels and
// duplicates on top, offline.
func newLintCmd(cfg *Config) *cobra.Command {
	o := &lintOptions{}
	cmd := &cobra.Command{
		Use:   "lint [CHART...]",
		Short: "examine a chart for possible issues, offline, before anything reaches a cluster",
		Long: `Lint each CHART (a directory, an archive, repo/chart, a URL or oci://...; the
current directory when none is given) as 'helm lint' does, and more:

  - Chart.yaml, values.yaml and values.schema.json, dependencies against
    charts/ and Chart.lock;
  - every template renders, with the chart's defaults and with each -f file
    given (each on its own, over the defaults, with the --set flags), and
    what it renders parses as YAML;
  - every rendered object is validated against the Kubernetes API's schema
    (embedded in barge, Kubernetes ` + "v1.37" + `; no cluster is needed): types,
    required fields and unknown fields; custom resources against the CRDs the
    chart ships;
  - API versions deprecated or removed in --kube-version, with the
    replacement; names and label values; objects rendered twice.

Each finding names its rule ('barge lint --list-rules'), the file and, for
rendered objects, the line of the template's rendered output. The exit code
is 1 when a chart has an error (or a warning, with --strict), 0 otherwise.
-o sarif writes a SARIF 2.1.0 log for code scanning in CI.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.listRules {
				for _, r := range lint.Rules() {
					fmt.Fprintln(cfg.Out, r)
				}
				return nil
			}
			if len(args) == 0 {
				args = []string{"."}
			}
			return runLint(cmd.Context(), cfg, o, args)
		},
	}
	f := cmd.Flags()
	o.chart.Bind(f, false)
	(&valuesFlags{opts: &o.values}).Bind(f)
	f.BoolVar(&o.strict, "strict", false, "fail on lint warnings")
	f.BoolVar(&o.quiet, "quiet", false, "print only warnings and errors")
	f.BoolVar(&o.withSubcharts, "with-subcharts", false, "lint dependent charts")
	f.StringVar(&o.kubeVersion, "kube-version", "", "Kubernetes version used for capabilities, deprecation checks and removed APIs (default "+render.DefaultKubeVersion+")")
	f.StringVarP(&o.output, "output", "o", "text", "prints the output in the specified format. Allowed values: text, json, sarif")
	f.BoolVar(&o.listRules, "list-rules", false, "list the rules, with their id, severity and what each checks, and exit")
	f.BoolVar(&o.skipSchema, "skip-schema-validation", false, "disable validation of the values against values.schema.json and of the objects against the Kubernetes API schema")
	return cmd
}

// runLint lints the charts and writes the reports.
func runLint(ctx context.Context, cfg *Config, o *lintOptions, charts []string) error {
	switch o.output {
	case "text", "json", "sarif":
	default:
		return fmt.Errorf("--output %q: use text, json or sarif", o.output)
	}
	if o.kubeVersion != "" {
		if _, err := render.ParseKubeVersion(o.kubeVersion); err != nil {
			return fmt.Errorf("--kube-version %q: %w; give a version such as v1.30 or 1.30.2", o.kubeVersion, err)
		}
	}
	passes, err := lintPasses(ctx, cfg, o.values)
	if err != nil {
		return err
	}
	opts := lint.Options{
		Passes:               passes,
		Namespace:            cfg.Namespace(),
		KubeVersion:          o.kubeVersion,
		SkipSchemaValidation: o.skipSchema,
		WithSubcharts:        o.withSubcharts,
	}
	if !o.skipSchema {
		if opts.Schema, err = kubeschema.Embedded(); err != nil {
			return err
		}
	}
	inputs := make([]lint.Input, len(charts))
	for i, name := range charts {
		inputs[i].Name = name
		inputs[i].Files, inputs[i].Err = lintFiles(ctx, cfg, o, name)
	}
	reports := lint.Charts(ctx, inputs, opts)
	switch o.output {
	case "json":
		err = lint.WriteJSON(cfg.Out, reports, o.strict)
	case "sarif":
		err = lint.WriteSARIF(cfg.Out, reports, lint.SARIFTool{Name: "barge", Version: version.Get().Version, InformationURI: "https://github.com/bargehq/barge"})
	default:
		err = lint.WriteText(cfg.Out, reports, o.quiet)
	}
	if err != nil {
		return err
	}
	sum := lint.Summarize(reports, o.strict)
	if sum.Failed > 0 {
		return &ExitError{Code: 1, Err: errors.New(sum.String())}
	}
	if o.output == "text" {
		fmt.Fprintln(cfg.Out, sum)
	}
	return nil
}

// lintPasses returns the values a chart is linted with: the --set flags
// over the chart's defaults, then each -f file on its own with them.
func lintPasses(ctx context.Context, cfg *Config, v values.Options) ([]lint.Pass, error) {
	sets := v
	sets.ValueFiles = nil
	base, err := cfg.mergeValues(ctx, sets)
	if err != nil {
		return nil, err
	}
	passes := []lint.Pass{{Values: base}}
	for _, f := range v.ValueFiles {
		one := sets
		one.ValueFiles = []string{f}
		vals, err := cfg.mergeValues(ctx, one)
		if err != nil {
			return nil, err
		}
		passes = append(passes, lint.Pass{Name: f, Values: vals})
	}
	return passes, nil
}

// lintFiles reads the files of the chart name: a directory or an archive
// on disk, or a chart found as install finds it.
func lintFiles(ctx context.Context, cfg *Config, o *lintOptions, name string) ([]*loader.BufferedFile, error) {
	p := name
	if fi, err := os.Stat(name); err != nil || !fi.IsDir() && !strings.HasSuffix(name, ".tgz") {
		ref := o.chart.ref
		ref.Chart = name
		loc, err := cfg.resolver().Locate(ctx, ref)
		if err != nil {
			return nil, err
		}
		p = loc.Path
	}
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return chart.ReadDir(p)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return archive.Read(f, name, archive.DefaultLimits())
}
