package render

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"text/template"
	"text/template/parse"

	"github.com/Masterminds/semver/v3"
	helmchart "helm.sh/helm/v3/pkg/chart"

	"github.com/bargehq/barge/pkg/chart/render/internal/chartutil"
	"github.com/bargehq/barge/pkg/chart/values"
)

// Lookuper reads one object, or a list of objects, from a cluster for the
// lookup template function. It returns the object as its unstructured map,
// a List object when name is empty, and an empty map (no error) when nothing
// is found.
type Lookuper interface {
	Lookup(ctx context.Context, apiVersion, kind, namespace, name string) (map[string]any, error)
}

// Options are the inputs of one render.
type Options struct {
	// ReleaseName is .Release.Name.
	ReleaseName string
	// Namespace is .Release.Namespace.
	Namespace string
	// Revision is .Release.Revision; 0 means 1.
	Revision int
	// IsUpgrade sets .Release.IsUpgrade instead of .Release.IsInstall.
	IsUpgrade bool
	// Values are the user-supplied values (from -f and the --set flags),
	// coalesced over the chart's defaults. Render does not modify them.
	Values map[string]any
	// Capabilities are .Capabilities; nil means DefaultCapabilities().
	Capabilities *Capabilities
	// Lookup serves the lookup template function; nil makes lookup return
	// empty maps, as Helm does without a cluster.
	Lookup Lookuper
	// SubchartNotes keeps the NOTES.txt of subcharts in Result.Notes, after
	// the top chart's.
	SubchartNotes bool
	// Lint renders as `helm lint` does: `required` with a missing value
	// and `fail` do not stop the render, they render as "" and what they
	// would have said is kept in Result.LintMessages; Result.Rendered keeps
	// each template's output.
	Lint bool
	// KeepObjects keeps each document decoded in its Manifest.Object, for
	// callers that check the objects.
	KeepObjects bool
	// SkipSchemaValidation leaves the values unchecked against the charts'
	// values.schema.json (Helm's --skip-schema-validation).
	SkipSchemaValidation bool
}

// Renderer renders one chart. Make it with New.
//
// A Renderer may be used by several goroutines at once.
type Renderer struct {
	chart *helmchart.Chart
	base  *template.Template
	// funcNames names the functions templates may call, for parsing.
	funcNames map[string]any

	mu     sync.RWMutex
	parsed map[fileKey]*parsedFile
	tpls   map[string]*parsedFile // tpl function texts, by text

	schemas values.SchemaCache
}

// parsedFile holds the parse trees of one template file (the file's own and
// those of the templates it defines), or the error parsing it.
type parsedFile struct {
	trees []namedTree
	err   error
}

type namedTree struct {
	name string
	tree *parse.Tree
}

// fileKey identifies a parsed template file: its full name (which depends
// on aliases) and the chart file it was read from. Resolved charts share
// their files with the chart given to New.
type fileKey struct {
	name string
	file *helmchart.File
}

// maxCachedFiles bounds the cache of parsed template files.
const maxCachedFiles = 1 << 14

// maxCachedTpls bounds the cache of texts parsed by the tpl function.
const maxCachedTpls = 4096

// New returns a Renderer for ch, parsing the templates of ch and of all its
// subcharts once. Parse errors are not returned here: they are reported by
// Render, and only for templates of the charts that a render enables, as Helm
// does. New does not modify ch and ch must not be modified afterwards.
func New(ch *helmchart.Chart) (*Renderer, error) {
	if ch == nil || ch.Metadata == nil {
		return nil, fmt.Errorf("render: chart has no metadata (Chart.yaml)")
	}
	funcs := staticFuncs()
	r := &Renderer{
		chart:     ch,
		base:      template.New(rootName).Option("missingkey=zero").Funcs(funcs),
		funcNames: parseNames(funcs),
		parsed:    make(map[fileKey]*parsedFile),
		tpls:      make(map[string]*parsedFile),
	}
	// Schemas compile on another core while the templates are parsed.
	walkCharts(ch, func(c *helmchart.Chart, _ string) {
		if len(c.Schema) > 0 {
			r.schemas.Prepare(c.Schema)
		}
	})
	walkCharts(ch, func(c *helmchart.Chart, fullPath string) {
		for _, t := range c.Templates {
			if t != nil && templateValid(c, t.Name) {
				r.parse(fullPath+"/"+t.Name, t)
			}
		}
	})
	return r, nil
}

// rootName names the template set, and the text given to tpl, as Helm does.
const rootName = "gotpl"

// Chart returns the chart the Renderer renders.
func (r *Renderer) Chart() *helmchart.Chart { return r.chart }

// parse returns the parse trees of the template file f named name, parsing
// it on first use.
func (r *Renderer) parse(name string, f *helmchart.File) *parsedFile {
	key := fileKey{name, f}
	r.mu.RLock()
	p, ok := r.parsed[key]
	r.mu.RUnlock()
	if ok {
		return p
	}
	p = r.parseText(name, string(f.Data))
	r.mu.Lock()
	if len(r.parsed) < maxCachedFiles {
		r.parsed[key] = p
	}
	r.mu.Unlock()
	return p
}

// parseTpl returns the parse trees of a text given to the tpl function.
func (r *Renderer) parseTpl(text string) *parsedFile {
	r.mu.RLock()
	p, ok := r.tpls[text]
	r.mu.RUnlock()
	if ok {
		return p
	}
	p = r.parseText(rootName, text)
	r.mu.Lock()
	if len(r.tpls) < maxCachedTpls {
		r.tpls[text] = p
	}
	r.mu.Unlock()
	return p
}

// parseText parses text as Template.Parse does, with the same function
// names and errors, but without a template set of its own: cloning one per
// file copied the whole function map each time.
func (r *Renderer) parseText(name, text string) *parsedFile {
	trees, err := parse.Parse(name, text, "{{", "}}", r.funcNames)
	if err != nil {
		return &parsedFile{err: err}
	}
	p := &parsedFile{}
	// The file's own tree first, then its definitions in name order; names
	// are unique within a file, so the order does not change the set.
	if t := trees[name]; t != nil {
		p.trees = append(p.trees, namedTree{name, t})
	}
	var defs []namedTree
	for n, t := range trees {
		if n != name && n != rootName && t != nil {
			defs = append(defs, namedTree{n, t})
		}
	}
	sort.Slice(defs, func(i, j int) bool { return defs[i].name < defs[j].name })
	p.trees = append(p.trees, defs...)
	return p
}

// Render renders the chart for one release. It resolves the values (see
// package values), checks the chart's kubeVersion against the capabilities,
// executes the templates and splits and sorts their output.
func (r *Renderer) Render(ctx context.Context, opts Options) (*Result, error) {
	var (
		warnMu   sync.Mutex
		warnings []string
	)
	resolver := &values.Resolver{Schemas: &r.schemas, SkipSchema: opts.SkipSchemaValidation, Warn: func(msg string) {
		warnMu.Lock()
		warnings = append(warnings, msg)
		warnMu.Unlock()
	}}
	ch, vals, err := resolver.Resolve(r.chart, opts.Values)
	if err != nil {
		return nil, err
	}
	caps := opts.Capabilities
	if caps == nil {
		caps = DefaultCapabilities()
	}
	if kv := ch.Metadata.KubeVersion; kv != "" && !compatible(kv, caps.KubeVersion.Version) {
		return nil, &KubeVersionError{Constraint: kv, KubeVersion: caps.KubeVersion.Version}
	}
	rev := opts.Revision
	if rev == 0 {
		rev = 1
	}
	top := map[string]any{
		"Capabilities": caps,
		"Release": map[string]any{
			"Name":      opts.ReleaseName,
			"Namespace": opts.Namespace,
			"IsUpgrade": opts.IsUpgrade,
			"IsInstall": !opts.IsUpgrade,
			"Revision":  rev,
			"Service":   "Helm",
		},
		"Values": vals,
	}
	e := &execution{r: r, ctx: ctx, lookup: opts.Lookup, included: make(map[string]int), lint: opts.Lint}
	files, err := r.execute(ch, top, e)
	if err != nil {
		return nil, err
	}
	res := &Result{Chart: ch, Values: vals, Warnings: warnings, LintMessages: e.lintMessages}
	if opts.Lint {
		res.Rendered = make(map[string]string, len(files))
		for k, v := range files {
			res.Rendered[k] = v
		}
	}
	res.Notes = takeNotes(files, ch.Name(), opts.SubchartNotes)
	if err := res.sortManifests(files, opts.KeepObjects); err != nil {
		return nil, err
	}
	res.CRDs = crdsOf(ch)
	res.Manifest = joinManifests(res.Manifests)
	return res, nil
}

// KubeVersionError is returned by Render when the chart's kubeVersion
// constraint excludes the Kubernetes version of the capabilities.
type KubeVersionError struct {
	Constraint  string // Constraint is the chart's kubeVersion.
	KubeVersion string // KubeVersion is the version rendered for.
}

func (e *KubeVersionError) Error() string {
	return fmt.Sprintf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", e.Constraint, e.KubeVersion)
}

// compatible reports whether version satisfies the semver constraint, as
// Helm checks a chart's kubeVersion.
func compatible(constraint, version string) bool {
	v, err := semver.NewVersion(version)
	if err != nil {
		return false
	}
	c, err := semver.NewConstraint(constraint)
	if err != nil {
		return false
	}
	return c.Check(v)
}

// renderable is one template file to parse and, unless it is a partial,
// execute with vals.
type renderable struct {
	file     *helmchart.File
	vals     map[string]any
	basePath string
}

// walkCharts calls fn for ch and then, depth first, every subchart, with each
// chart's full path ("top/charts/sub").
//
// The full path follows the charts' parent links, as Helm's does: a chart
// shared by two aliased copies of its parent has one path, that of its
// original parent.
func walkCharts(ch *helmchart.Chart, fn func(c *helmchart.Chart, fullPath string)) {
	fn(ch, ch.ChartFullPath())
	for _, d := range ch.Dependencies() {
		walkCharts(d, fn)
	}
}

// templateValid reports whether a template of c is rendered: library charts
// only contribute their partials.
func templateValid(c *helmchart.Chart, name string) bool {
	if strings.EqualFold(c.Metadata.Type, "library") {
		return strings.HasPrefix(baseName(name), "_")
	}
	return true
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// chartObject is .Chart: the chart's metadata and whether it is the top
// chart.
type chartObject struct {
	helmchart.Metadata
	IsRoot bool
}

// collect builds the scope (.Values, .Chart, .Files, ...) of c and its
// subcharts and records their templates in tpls. parent is the scope of the
// parent chart, or top for the top chart.
//
// Templates are keyed by their chart's full path, as in Helm: where two
// charts share a path (see walkCharts), the later one's templates win.
func collect(c *helmchart.Chart, isRoot bool, parent map[string]any, tpls map[string]renderable) map[string]any {
	subcharts := make(map[string]any)
	next := map[string]any{
		"Chart":        chartObject{Metadata: *c.Metadata, IsRoot: isRoot},
		"Files":        newFiles(c.Files),
		"Release":      parent["Release"],
		"Capabilities": parent["Capabilities"],
		"Values":       chartutil.Values{},
		"Subcharts":    subcharts,
	}
	if isRoot {
		next["Values"] = asValues(parent["Values"])
	} else if vs, ok := table(parent, "Values."+c.Name()); ok {
		next["Values"] = chartutil.Values(vs)
	}
	for _, d := range c.Dependencies() {
		subcharts[d.Name()] = collect(d, false, next, tpls)
	}
	fullPath := c.ChartFullPath()
	for _, t := range c.Templates {
		if t == nil || !templateValid(c, t.Name) {
			continue
		}
		tpls[fullPath+"/"+t.Name] = renderable{file: t, vals: next, basePath: fullPath + "/templates"}
	}
	return next
}

// asValues returns v, a map of values, as the type templates see.
func asValues(v any) chartutil.Values {
	switch m := v.(type) {
	case chartutil.Values:
		return m
	case map[string]any:
		if m == nil {
			return chartutil.Values{}
		}
		return chartutil.Values(m)
	}
	return chartutil.Values{}
}

// table walks the dot-separated path through nested maps, as Helm's
// Values.Table does.
func table(m map[string]any, path string) (map[string]any, bool) {
	cur := m
	for _, k := range strings.Split(path, ".") {
		v, ok := cur[k]
		if !ok {
			return nil, false
		}
		switch next := v.(type) {
		case map[string]any:
			cur = next
		case chartutil.Values:
			cur = next
		default:
			return nil, false
		}
	}
	return cur, true
}

// sortedTemplateNames returns the template names in Helm's parse and
// execution order: deepest paths first, and by name in reverse within a
// depth, so that the top chart's definitions win.
func sortedTemplateNames(tpls map[string]renderable) []string {
	keys := make([]string, 0, len(tpls))
	for k := range tpls {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		ca, cb := strings.Count(a, "/"), strings.Count(b, "/")
		if ca == cb {
			return a > b
		}
		return ca > cb
	})
	return keys
}

// execute renders every template of ch and returns the output by template
// name, partials left out.
func (r *Renderer) execute(ch *helmchart.Chart, top map[string]any, e *execution) (out map[string]string, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("rendering template failed: %v", p)
		}
	}()
	tpls := make(map[string]renderable)
	collect(ch, true, top, tpls)
	keys := sortedTemplateNames(tpls)

	r.mu.RLock()
	t, err := r.base.Clone()
	r.mu.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	e.bind(t)
	for _, name := range keys {
		p := r.parse(name, tpls[name].file)
		if p.err != nil {
			return nil, parseError(name, p.err)
		}
		addTrees(t, p.trees)
	}
	out = make(map[string]string, len(keys))
	var buf strings.Builder
	for _, name := range keys {
		if strings.HasPrefix(baseName(name), "_") {
			continue
		}
		if err := e.ctx.Err(); err != nil {
			return nil, err
		}
		rd := tpls[name]
		rd.vals["Template"] = chartutil.Values{"Name": name, "BasePath": rd.basePath}
		buf.Reset()
		if err := t.ExecuteTemplate(&buf, name, rd.vals); err != nil {
			return nil, execError(name, err)
		}
		out[name] = strings.ReplaceAll(buf.String(), "<no value>", "")
	}
	return out, nil
}

// addTrees adds parse trees to the set of t the way Template.Parse does: a
// definition replaces an earlier one of the same name unless it is empty.
func addTrees(t *template.Template, trees []namedTree) {
	for _, nt := range trees {
		// AddParseTree only fails on a nil template.
		_, _ = t.AddParseTree(nt.name, nt.tree)
	}
}
