package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"helm.sh/helm/v3/pkg/chart"
	"k8s.io/client-go/util/jsonpath"
	"sigs.k8s.io/yaml"
)

// showPart is what `barge show` prints of a chart.
type showPart string

const (
	showAll    showPart = "all"
	showChart  showPart = "chart"
	showValues showPart = "values"
	showReadme showPart = "readme"
	showCRDs   showPart = "crds"
)

// showOptions are the flags of the show subcommands.
type showOptions struct {
	// JSONPath filters the values through a JSONPath template (values only).
	JSONPath string
}

func newShowCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "show",
		Aliases: []string{"inspect"},
		Short:   "Show information about a chart",
		Long:    "Show a chart's Chart.yaml, values, README or CRDs, from a chart directory or archive.",
		Args:    cobra.NoArgs,
	}
	subs := []struct {
		part  showPart
		short string
		long  string
	}{
		{showAll, "Show all the information of a chart", "Show a chart's Chart.yaml, values.yaml, README and CRDs, separated by ---."},
		{showChart, "Show the chart's definition", "Show the contents of a chart's Chart.yaml."},
		{showValues, "Show the chart's values", "Show the contents of a chart's values.yaml, or the part of its values a JSONPath template selects."},
		{showReadme, "Show the chart's README", "Show a chart's README file (README.md, README.txt or README, in any case)."},
		{showCRDs, "Show the chart's CRDs", "Show the CustomResourceDefinitions of a chart and its subcharts (the files in their crds/ directories)."},
	}
	for _, s := range subs {
		opts := &showOptions{}
		from := &chartFlags{}
		sub := &cobra.Command{
			Use:   string(s.part) + " CHART",
			Short: s.short,
			Long:  s.long + "\n\nCHART is a chart directory, a packaged chart (.tgz), repo/chart from a repository added with `barge repo add`, a chart name with --repo URL, the URL of a chart archive, or oci://HOST/PATH/CHART[:TAG|@DIGEST] in a registry.",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				opened, err := from.open(cmd.Context(), cfg, args[0], false)
				if err != nil {
					return err
				}
				return writeShow(cfg.Out, opened.Chart, s.part, opts)
			},
		}
		from.Bind(sub.Flags(), false)
		if s.part == showValues {
			sub.Flags().StringVar(&opts.JSONPath, "jsonpath", "", "print only the values a JSONPath template selects, e.g. '{.image.tag}'")
		}
		cmd.AddCommand(sub)
	}
	cmd.AddCommand(newShowVersionsCmd(cfg))
	return cmd
}

// newShowVersionsCmd returns `show versions CHART`: the versions a
// registry or a repository holds, which Helm cannot list for OCI charts.
func newShowVersionsCmd(cfg *Config) *cobra.Command {
	from := &chartFlags{}
	var output string
	cmd := &cobra.Command{
		Use:   "versions CHART",
		Short: "Show the versions of a chart in a registry or a repository",
		Long: `List the versions of CHART, newest first by SemVer: for oci://HOST/PATH/CHART,
from the registry's tags (Helm has no command for this); for repo/chart, or a
chart name with --repo URL, from the repository's index. Pre-releases are
listed with --devel.`,
		Example: `  barge show versions oci://ghcr.io/example/charts/web
  barge show versions bitnami/nginx --devel -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "table" && output != "json" && output != "yaml" {
				return fmt.Errorf("-o/--output %q: use table, json or yaml", output)
			}
			ref := from.ref
			ref.Chart = args[0]
			vs, err := cfg.resolver().Versions(cmd.Context(), ref)
			if err != nil {
				return err
			}
			if vs == nil {
				vs = []string{}
			}
			switch output {
			case "json":
				b, _ := json.Marshal(vs)
				fmt.Fprintf(cfg.Out, "%s\n", b)
			case "yaml":
				b, _ := yaml.Marshal(vs)
				cfg.Out.Write(b)
			default:
				for _, v := range vs {
					fmt.Fprintln(cfg.Out, v)
				}
			}
			return nil
		},
	}
	from.Bind(cmd.Flags(), false)
	cmd.Flags().StringVarP(&output, "output", "o", "table", "prints the output in the specified format. Allowed values: table, json, yaml")
	return cmd
}

// writeShow prints part of chart c in Helm's `show` format.
func writeShow(w io.Writer, c *chart.Chart, part showPart, opts *showOptions) error {
	var out bytes.Buffer
	all := part == showAll
	if part == showChart || all {
		meta, err := yaml.Marshal(c.Metadata)
		if err != nil {
			return fmt.Errorf("chart %s: Chart.yaml: %w", c.Name(), err)
		}
		out.Write(meta)
		out.WriteString("\n")
	}
	if (part == showValues || all) && c.Values != nil {
		if all {
			out.WriteString("---\n")
		}
		if opts != nil && opts.JSONPath != "" {
			// Like Helm, print nothing for keys the values lack.
			jp := jsonpath.New("values").AllowMissingKeys(true)
			if err := jp.Parse(opts.JSONPath); err != nil {
				return fmt.Errorf("--jsonpath %q: %w", opts.JSONPath, err)
			}
			if err := jp.Execute(&out, c.Values); err != nil {
				return fmt.Errorf("--jsonpath %q on the values of chart %s: %w", opts.JSONPath, c.Name(), err)
			}
		} else {
			for _, f := range c.Raw {
				if f.Name == "values.yaml" {
					out.Write(f.Data)
					out.WriteString("\n")
				}
			}
		}
	}
	if part == showReadme || all {
		if readme := findReadme(c.Files); readme != nil {
			if all {
				out.WriteString("---\n")
			}
			out.Write(readme.Data)
			out.WriteString("\n")
		}
	}
	if part == showCRDs || all {
		crds := c.CRDObjects()
		if len(crds) > 0 && all && !bytes.HasPrefix(crds[0].File.Data, []byte("---")) {
			out.WriteString("---\n")
		}
		for _, crd := range crds {
			out.Write(crd.File.Data)
			out.WriteString("\n")
		}
	}
	_, err := w.Write(out.Bytes())
	return err
}

// findReadme returns the first of files named README.md, README.txt or
// README, ignoring case.
func findReadme(files []*chart.File) *chart.File {
	for _, f := range files {
		if f == nil {
			continue
		}
		for _, n := range []string{"readme.md", "readme.txt", "readme"} {
			if strings.EqualFold(f.Name, n) {
				return f
			}
		}
	}
	return nil
}
