package lint

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	helmchart "helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/bargehq/barge/pkg/chart/archive"
	"github.com/bargehq/barge/pkg/chart/render"
	"github.com/bargehq/barge/pkg/chart/values"
	"github.com/bargehq/barge/pkg/kubeschema"
)

// Pass is one set of values to render the chart with.
type Pass struct {
	// Name is the values file the pass stands for, as the user gave it;
	// empty for the chart's defaults.
	Name string
	// Values are the user's values, coalesced over the chart's defaults
	// as for an install.
	Values map[string]any
}

// Options tune a lint.
type Options struct {
	// Passes are the values to render with, each in turn; none means once
	// with the chart's defaults.
	Passes []Pass
	// ReleaseName and Namespace are .Release.Name and .Release.Namespace;
	// empty means "test-release" and "default", as with `helm lint`.
	ReleaseName, Namespace string
	// KubeVersion is the target Kubernetes version ("v1.37.0"); empty
	// means render.DefaultKubeVersion.
	KubeVersion string
	// Schema is the Kubernetes API's schema objects are checked against;
	// nil skips those checks.
	Schema *kubeschema.Schema
	// SkipSchemaValidation leaves the values unchecked against
	// values.schema.json.
	SkipSchemaValidation bool
	// WithSubcharts lints each chart under charts/ as well, each in its
	// own Report.
	WithSubcharts bool
}

// Chart lints the chart made of files, whose names are relative to the
// chart's directory (as a directory read with chart.ReadDir or an archive
// read with archive.Read gives them); name is how reports call it. The
// first Report is the chart's, then, with WithSubcharts, its subcharts'.
func Chart(ctx context.Context, name string, files []*loader.BufferedFile, opts Options) []Report {
	reports := []Report{{Chart: name, Findings: lintOne(ctx, files, opts)}}
	if !opts.WithSubcharts {
		return reports
	}
	for _, sub := range subcharts(files) {
		if sub.err != nil {
			reports = append(reports, Report{Chart: name + "/" + sub.name, Findings: []Finding{finding("chart-load", sub.name, 0, "%v", sub.err)}})
			continue
		}
		reports = append(reports, Chart(ctx, name+"/"+sub.name, sub.files, opts)...)
	}
	return reports
}

// Input is one chart to lint: its name and its files, as Chart takes them,
// or the error met reading them.
type Input struct {
	Name  string
	Files []*loader.BufferedFile
	Err   error
}

// Charts lints several charts at once, on as many goroutines as there are
// CPUs, and returns their reports in the order of inputs, each chart's
// first and then its subcharts' (with WithSubcharts).
func Charts(ctx context.Context, inputs []Input, opts Options) []Report {
	results := make([][]Report, len(inputs))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(inputs)) {
		wg.Go(func() {
			for i := range work {
				in := inputs[i]
				if in.Err != nil {
					results[i] = []Report{{Chart: in.Name, Findings: []Finding{finding("chart-load", "", 0, "%v", in.Err)}}}
					continue
				}
				results[i] = Chart(ctx, in.Name, in.Files, opts)
			}
		})
	}
	for i := range inputs {
		work <- i
	}
	close(work)
	wg.Wait()
	var out []Report
	for _, r := range results {
		out = append(out, r...)
	}
	return out
}

// subchart is a chart found under charts/.
type subchart struct {
	name  string // "charts/<dir>" or "charts/<archive>.tgz"
	files []*loader.BufferedFile
	err   error
}

// subcharts returns the charts directly under charts/, directories and
// archives, sorted by name.
func subcharts(files []*loader.BufferedFile) []subchart {
	dirs := map[string][]*loader.BufferedFile{}
	var out []subchart
	for _, f := range files {
		rest, ok := strings.CutPrefix(f.Name, "charts/")
		if !ok {
			continue
		}
		dir, inner, nested := strings.Cut(rest, "/")
		switch {
		case nested:
			dirs[dir] = append(dirs[dir], &loader.BufferedFile{Name: inner, Data: f.Data})
		case strings.HasSuffix(dir, ".tgz"):
			sub := subchart{name: "charts/" + dir}
			sub.files, sub.err = archive.Read(strings.NewReader(string(f.Data)), sub.name, archive.DefaultLimits())
			out = append(out, sub)
		}
	}
	for dir, fs := range dirs {
		out = append(out, subchart{name: "charts/" + dir, files: fs})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// lintOne lints one chart.
func lintOne(ctx context.Context, files []*loader.BufferedFile, opts Options) []Finding {
	byName := make(map[string][]byte, len(files))
	for _, f := range files {
		byName[f.Name] = f.Data
	}
	chartYAML, found := byName["Chart.yaml"]
	out := checkChartfile(chartYAML, found)
	for _, f := range out {
		if f.Rule == "chart-yaml" || f.Rule == "dependency-duplicate" {
			return out // Helm's loader would refuse the chart for it
		}
	}
	vf := checkValuesFile(byName)
	out = append(out, vf...)
	for _, f := range vf {
		switch f.Rule {
		case "values-yaml":
			return out // Helm's loader would refuse the chart for it
		case "values-schema-invalid":
			opts.SkipSchemaValidation = true // said once is enough
		}
	}
	if _, ok := byName["templates"]; ok {
		out = append(out, finding("templates-dir", "templates", 0, "not a directory"))
	}
	ch, err := loader.LoadFiles(files)
	if err != nil {
		return append(out, finding("chart-load", "Chart.yaml", 0, "%v", err))
	}
	for _, t := range ch.Templates {
		out = append(out, checkTemplateSource(t)...)
	}
	out = append(out, checkDependencies(ch, byName)...)
	if ch.Metadata.Type == "library" {
		return out // a library chart renders nothing on its own
	}
	passes := opts.Passes
	if len(passes) == 0 {
		passes = []Pass{{}}
	}
	r, err := render.New(ch)
	if err != nil {
		return append(out, finding("template-render", "templates/", 0, "%v", err))
	}
	seen := map[string]bool{}
	for _, f := range out {
		seen[key(f)] = true
	}
	for _, p := range passes {
		for _, f := range renderPass(ctx, r, p, opts) {
			if k := key(f); !seen[k] {
				seen[k] = true
				f.Values = p.Name
				out = append(out, f)
			}
		}
	}
	return out
}

// key is what makes two findings the same.
func key(f Finding) string {
	return f.Rule + "\x00" + f.File + "\x00" + strconv.Itoa(f.Line) + "\x00" + f.Object + "\x00" + f.Message
}

// checkValuesFile checks values.yaml parses, and values.schema.json is a
// valid schema.
func checkValuesFile(byName map[string][]byte) []Finding {
	var out []Finding
	data, ok := byName["values.yaml"]
	if !ok {
		out = append(out, finding("values-missing", "values.yaml", 0, "file does not exist"))
	} else {
		var m map[string]any
		if err := sigsyaml.Unmarshal(data, &m); err != nil {
			out = append(out, finding("values-yaml", "values.yaml", errorLine(err), "unable to parse YAML: %v", err))
		}
	}
	if src, ok := byName["values.schema.json"]; ok && len(src) > 0 {
		if err := values.CheckSchema(src); err != nil {
			out = append(out, finding("values-schema-invalid", "values.schema.json", 0, "not a valid JSON schema: %v", err))
		}
	}
	return out
}

var (
	crdHook     = regexp.MustCompile(`"?helm\.sh/hook"?:\s+crd-install`)
	releaseTime = regexp.MustCompile(`\.Release\.Time`)
)

// checkTemplateSource runs the rules that read a template's source.
func checkTemplateSource(t *helmchart.File) []Finding {
	var out []Finding
	switch path.Ext(t.Name) {
	case ".yaml", ".yml", ".tpl", ".txt":
	default:
		out = append(out, finding("template-extension", t.Name, 0, "file extension '%s' not valid. Valid extensions are .yaml, .yml, .tpl, or .txt", path.Ext(t.Name)))
	}
	// The expressions run only where their literal part is found: they
	// cost more than the rest of a lint on large charts.
	if bytes.Contains(t.Data, []byte("crd-install")) {
		if loc := crdHook.FindIndex(t.Data); loc != nil {
			out = append(out, finding("template-crd-hook", t.Name, lineAt(t.Data, loc[0]), "manifest is a crd-install hook. This hook is no longer supported in v3 and all CRDs should also exist the crds/ directory at the top level of the chart"))
		}
	}
	if bytes.Contains(t.Data, []byte(".Release.Time")) {
		if loc := releaseTime.FindIndex(t.Data); loc != nil {
			out = append(out, finding("template-release-time", t.Name, lineAt(t.Data, loc[0]), ".Release.Time has been removed in v3, please replace with the `now` function in your templates"))
		}
	}
	return out
}

// lineAt returns the line of data that offset lies on.
func lineAt(data []byte, offset int) int {
	return 1 + strings.Count(string(data[:offset]), "\n")
}

// renderPass renders the chart with one pass's values and checks what
// comes out.
func renderPass(ctx context.Context, r *render.Renderer, p Pass, opts Options) []Finding {
	name, ns := opts.ReleaseName, opts.Namespace
	if name == "" {
		name = "test-release"
	}
	if ns == "" {
		ns = "default"
	}
	caps := render.DefaultCapabilities()
	if opts.KubeVersion != "" {
		kv, err := render.ParseKubeVersion(opts.KubeVersion)
		if err != nil {
			return []Finding{finding("template-render", "templates/", 0, "invalid kube version %q: %v", opts.KubeVersion, err)}
		}
		caps.KubeVersion = *kv
	}
	res, err := r.Render(ctx, render.Options{
		ReleaseName:          name,
		Namespace:            ns,
		Values:               p.Values,
		Capabilities:         caps,
		Lint:                 true,
		KeepObjects:          true,
		SkipSchemaValidation: opts.SkipSchemaValidation,
	})
	if err != nil {
		return []Finding{renderFinding(err, p)}
	}
	var out []Finding
	for _, msg := range res.LintMessages {
		out = append(out, finding("template-required", "templates/", 0, "%s", msg))
	}
	top := r.Chart().Name() + "/"
	names := make([]string, 0, len(res.Rendered))
	for n := range res.Rendered {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if !strings.HasPrefix(n, top+"templates/") || path.Ext(n) != ".yaml" {
			continue
		}
		if line, text, ok := indented(res.Rendered[n]); ok {
			out = append(out, finding("template-indent", chartRelative(n), line, "document starts with an illegal indent: %q, which may cause parsing problems", text))
		}
	}
	return append(out, Objects(Documents(res), ObjectOptions{Schema: opts.Schema, KubeVersion: caps.KubeVersion.Version, Namespace: ns})...)
}

// indented finds a rendered output whose first non-blank line is indented.
func indented(s string) (line int, text string, bad bool) {
	for i, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t") {
			return i + 1, l, true
		}
		return 0, "", false
	}
	return 0, "", false
}

// tplLocation finds the first "<chart>/<file>:<line>" of an error.
var tplLocation = regexp.MustCompile(`([^\s():]+/[^\s():]+):(\d+)`)

// renderFinding turns a render's error into a finding that names the
// file and line at fault.
func renderFinding(err error, p Pass) Finding {
	var (
		te *render.TemplateError
		me *render.ManifestError
		ke *render.KubeVersionError
		se *values.SchemaError
	)
	switch {
	case errors.As(err, &ke):
		return finding("template-render", "Chart.yaml", 0, "%v", err)
	case errors.As(err, &se):
		file := "values.yaml"
		if p.Name != "" {
			file = p.Name
		}
		return finding("values-schema", file, 0, "%s", strings.TrimSpace(err.Error()))
	case errors.As(err, &te):
		file, line := chartRelative(te.Template), 0
		if m := tplLocation.FindStringSubmatch(err.Error()); m != nil {
			file = chartRelative(m[1])
			line, _ = strconv.Atoi(m[2])
		}
		id := "template-render"
		if strings.HasSuffix(te.Template, "NOTES.txt") {
			id = "notes-render"
		}
		return finding(id, file, line, "%v", err)
	case errors.As(err, &me):
		return manifestFinding(me)
	}
	return finding("template-render", "templates/", 0, "%v", err)
}

// manifestFinding finds the document of a template's output that does
// not parse, and the line of the output at fault.
func manifestFinding(me *render.ManifestError) Finding {
	file := chartRelative(me.Template)
	docs, lines := render.SplitDocumentLines(me.Rendered[me.Template])
	for i, d := range docs {
		var v any
		if err := sigsyaml.Unmarshal([]byte(d), &v); err != nil {
			line := lines[i]
			if n := errorLine(err); n > 0 {
				line += n - 1
			}
			return finding("template-yaml", file, line, "unable to parse YAML: %v", err)
		}
	}
	return finding("template-yaml", file, 0, "%v", me.Err)
}

// String returns the rule's line of `barge lint --list-rules`.
func (r Rule) String() string {
	helm := ""
	if r.Helm {
		helm = " (as helm lint)"
	}
	return fmt.Sprintf("%-24s %-8s %s%s", r.ID, strings.ToLower(r.Severity.String()), r.Doc, helm)
}
