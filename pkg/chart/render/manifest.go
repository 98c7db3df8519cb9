package render

import (
	"fmt"
	"path"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	helmchart "helm.sh/helm/v3/pkg/chart"
	"sigs.k8s.io/yaml"

	"github.com/bargehq/barge/pkg/chart/render/internal/releaseutil"
)

// Result is the output of one render.
type Result struct {
	// Chart is the chart as rendered: subcharts disabled by the values
	// removed, aliases applied.
	Chart *helmchart.Chart
	// Values are the final values of the top chart, as .Values saw them.
	Values map[string]any
	// Manifests are the documents that are not hooks, in Helm's install
	// order (by kind, then by template path, then by position).
	Manifests []Manifest
	// Hooks are the hook documents, in Helm's install order by kind.
	Hooks []Hook
	// Notes is the rendered NOTES.txt of the top chart (and of subcharts,
	// after it, with Options.SubchartNotes).
	Notes string
	// CRDs are the files of the crds/ folders of the chart and its enabled
	// subcharts, parent first.
	CRDs []CRD
	// Manifest is the release manifest as Helm stores it: every document of
	// Manifests, each as "---\n# Source: <path>\n<document>\n".
	Manifest string
	// Warnings are messages Helm would log while rendering: values that
	// could not be coalesced, conditions that are not booleans, hooks of
	// unknown events that were skipped.
	Warnings []string
	// LintMessages are, with Options.Lint, what `required` and `fail` said
	// instead of failing the render, as "Missing required value: <msg>" and
	// "Fail: <msg>", in the order the templates ran.
	LintMessages []string
	// Rendered is, with Options.Lint, the output of every template that is
	// not a partial, NOTES.txt included, by its path.
	Rendered map[string]string
}

// Manifest is one YAML document rendered from a template.
type Manifest struct {
	// Source is the template's path, e.g. "mychart/templates/service.yaml".
	Source string
	// Content is the document without its "---" separator, trimmed of
	// surrounding white space.
	Content string
	// APIVersion, Kind, Name and Namespace are read from the document;
	// they are empty where the document lacks them.
	APIVersion, Kind, Name, Namespace string
	// Line is the line of the template's rendered output on which Content
	// begins, counting from 1.
	Line int
	// Object is, with Options.KeepObjects, the document decoded as
	// DecodeObject decodes it, where that took no second parse; nil
	// otherwise.
	Object map[string]any
}

// Hook is a document annotated with helm.sh/hook.
type Hook struct {
	Manifest
	// Events are the hook's events, lower case, as in the annotation:
	// "pre-install", "post-upgrade", "test" ("test-success" reads as
	// "test").
	Events []string
	// Weight is helm.sh/hook-weight, 0 when absent or not an integer.
	Weight int
	// DeletePolicies are helm.sh/hook-delete-policy's values, lower case.
	DeletePolicies []string
	// OutputLogPolicies are helm.sh/hook-output-log-policy's values.
	OutputLogPolicies []string
}

// IsTest reports whether the hook runs for `helm test`.
func (h *Hook) IsTest() bool {
	for _, e := range h.Events {
		if e == "test" {
			return true
		}
	}
	return false
}

// CRD is a file of a crds/ folder.
type CRD struct {
	// Source is the file's path, e.g. "mychart/charts/sub/crds/crd.yaml".
	Source string
	// Content is the file as it is in the chart.
	Content []byte
}

// Hook annotations.
const (
	hookAnnotation       = "helm.sh/hook"
	hookWeightAnnotation = "helm.sh/hook-weight"
	hookDeleteAnnotation = "helm.sh/hook-delete-policy"
	hookOutputAnnotation = "helm.sh/hook-output-log-policy"
)

// hookEvent returns the canonical name of a hook event Helm knows.
func hookEvent(e string) (string, bool) {
	switch e {
	case "pre-install":
		return "pre-install", true
	case "post-install":
		return "post-install", true
	case "pre-delete":
		return "pre-delete", true
	case "post-delete":
		return "post-delete", true
	case "pre-upgrade":
		return "pre-upgrade", true
	case "post-upgrade":
		return "post-upgrade", true
	case "pre-rollback":
		return "pre-rollback", true
	case "post-rollback":
		return "post-rollback", true
	case "test":
		return "test", true
	case "test-success":
		return "test", true
	}
	return "", false
}

// kindRank returns the place of kind in the order in which Helm installs
// kinds; other kinds come after those, sorted by name.
func kindRank(kind string) (int, bool) {
	switch kind {
	case "PriorityClass":
		return 0, true
	case "Namespace":
		return 1, true
	case "NetworkPolicy":
		return 2, true
	case "ResourceQuota":
		return 3, true
	case "LimitRange":
		return 4, true
	case "PodSecurityPolicy":
		return 5, true
	case "PodDisruptionBudget":
		return 6, true
	case "ServiceAccount":
		return 7, true
	case "Secret":
		return 8, true
	case "SecretList":
		return 9, true
	case "ConfigMap":
		return 10, true
	case "StorageClass":
		return 11, true
	case "PersistentVolume":
		return 12, true
	case "PersistentVolumeClaim":
		return 13, true
	case "CustomResourceDefinition":
		return 14, true
	case "ClusterRole":
		return 15, true
	case "ClusterRoleList":
		return 16, true
	case "ClusterRoleBinding":
		return 17, true
	case "ClusterRoleBindingList":
		return 18, true
	case "Role":
		return 19, true
	case "RoleList":
		return 20, true
	case "RoleBinding":
		return 21, true
	case "RoleBindingList":
		return 22, true
	case "Service":
		return 23, true
	case "DaemonSet":
		return 24, true
	case "Pod":
		return 25, true
	case "ReplicationController":
		return 26, true
	case "ReplicaSet":
		return 27, true
	case "Deployment":
		return 28, true
	case "HorizontalPodAutoscaler":
		return 29, true
	case "StatefulSet":
		return 30, true
	case "Job":
		return 31, true
	case "CronJob":
		return 32, true
	case "IngressClass":
		return 33, true
	case "Ingress":
		return 34, true
	case "APIService":
		return 35, true
	}
	return 0, false
}

// lessByKind orders kinds as Helm's install order does.
func lessByKind(a, b string) bool {
	ra, aok := kindRank(a)
	rb, bok := kindRank(b)
	switch {
	case !aok && !bok:
		return a < b
	case !aok:
		return false
	case !bok:
		return true
	}
	return ra < rb
}

// headNS is releaseutil.SimpleHead with metadata.namespace, read in the
// same pass.
type headNS struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind,omitempty"`
	Metadata   *struct {
		Name        string            `json:"name"`
		Namespace   string            `json:"namespace"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata,omitempty"`
}

// readHead reads the head of a document. A document is rejected only where
// Helm rejects it: a namespace of the wrong type is not an error here.
func readHead(doc string) (apiVersion, kind, name, namespace string, annotations map[string]string, err error) {
	if fh, ok := fastHead(doc); ok {
		return fh.apiVersion, fh.kind, fh.name, fh.namespace, fh.annotations, nil
	}
	return slowHead(doc)
}

// slowHead is readHead by sigs.k8s.io/yaml, as Helm reads heads.
func slowHead(doc string) (apiVersion, kind, name, namespace string, annotations map[string]string, err error) {
	var h headNS
	if yaml.Unmarshal([]byte(doc), &h) == nil {
		if h.Metadata != nil {
			name, namespace, annotations = h.Metadata.Name, h.Metadata.Namespace, h.Metadata.Annotations
		}
		return h.APIVersion, h.Kind, name, namespace, annotations, nil
	}
	var hh releaseutil.SimpleHead
	if err := yaml.Unmarshal([]byte(doc), &hh); err != nil {
		return "", "", "", "", nil, err
	}
	if hh.Metadata != nil {
		name, annotations = hh.Metadata.Name, hh.Metadata.Annotations
	}
	return hh.Version, hh.Kind, name, "", annotations, nil
}

// SplitDocuments splits a YAML stream into its documents as Helm does:
// trimmed, without separators, empty ones dropped.
func SplitDocuments(s string) []string {
	var docs []string
	for _, d := range splitSeparators(strings.TrimSpace(s)) {
		if d == "" {
			continue
		}
		docs = append(docs, strings.TrimSpace(d))
	}
	return docs
}

// SplitDocumentLines is SplitDocuments that also gives, for each document,
// the line of s on which it begins (from 1).
func SplitDocumentLines(s string) (docs []string, lines []int) {
	body := strings.TrimSpace(s)
	if body == "" {
		return nil, nil
	}
	lead := strings.Index(s, body) // TrimSpace only cuts both ends
	line, at := 1+strings.Count(s[:lead], "\n"), 0
	for _, sp := range separatorSpans(body) {
		d := body[sp[0]:sp[1]]
		t := strings.TrimSpace(d)
		line += strings.Count(body[at:sp[0]], "\n")
		at = sp[0]
		if t == "" {
			continue
		}
		docs = append(docs, t)
		lines = append(lines, line+strings.Count(d[:strings.Index(d, t)], "\n"))
	}
	return docs, lines
}

// splitSeparators splits s where Helm's document separator, the regular
// expression `(?:^|\s*\n)---\s*`, matches, as regexp.Split(s, -1) would:
// a "---" at the very start of s or right after a newline, together with
// the whitespace before that newline and all the whitespace after it. It
// scans for "---" instead of running the expression, which costs more than
// the rest of the split on large charts.
func splitSeparators(s string) []string {
	spans := separatorSpans(s)
	out := make([]string, len(spans))
	for i, sp := range spans {
		out[i] = s[sp[0]:sp[1]]
	}
	return out
}

// separatorSpans is splitSeparators giving the start and end of each piece
// in s.
func separatorSpans(s string) [][2]int {
	if s == "" {
		return [][2]int{{0, 0}}
	}
	var out [][2]int
	beg, pos := 0, 0 // start of the current piece; where matching resumes
	for i := 0; ; {
		j := strings.Index(s[i:], "---")
		if j < 0 {
			break
		}
		k := i + j
		start := -1
		switch {
		case k == 0:
			start = 0
		case s[k-1] == '\n' && k-1 >= pos:
			start = k - 1
			for start > pos && isRegexpSpace(s[start-1]) {
				start--
			}
		}
		if start < 0 {
			i = k + 1
			continue
		}
		end := k + 3
		for end < len(s) && isRegexpSpace(s[end]) {
			end++
		}
		out = append(out, [2]int{beg, start})
		beg, pos, i = end, end, end
	}
	return append(out, [2]int{beg, len(s)})
}

// isRegexpSpace reports whether c is in the regular expression class \s.
func isRegexpSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

// takeNotes removes the NOTES.txt outputs from files and returns the top
// chart's (and the subcharts', if subNotes), joined by newlines.
func takeNotes(files map[string]string, top string, subNotes bool) string {
	var names []string
	for k := range files {
		if strings.HasSuffix(k, "NOTES.txt") {
			names = append(names, k)
		}
	}
	sort.Slice(names, func(i, j int) bool {
		// The top chart's notes first, then by path.
		ti, tj := names[i] == top+"/templates/NOTES.txt", names[j] == top+"/templates/NOTES.txt"
		if ti != tj {
			return ti
		}
		return names[i] < names[j]
	})
	var b strings.Builder
	for _, k := range names {
		if subNotes || k == top+"/templates/NOTES.txt" {
			if b.Len() > 0 {
				b.WriteString("\n")
			}
			b.WriteString(files[k])
		}
		delete(files, k)
	}
	return b.String()
}

// parallelHeadsSize is the size of rendered output above which sortManifests
// reads the documents' heads in parallel.
const parallelHeadsSize = 256 << 10

// document is one rendered YAML document and what its head says.
type document struct {
	file, content                     string
	line                              int
	keep                              bool // keep the decoded tree in obj
	obj                               map[string]any
	apiVersion, kind, name, namespace string
	annotations                       map[string]string
	err                               error
}

func (d *document) readHead() {
	if d.keep {
		if h, tree, ok := fastHeadTree(d.content); ok {
			d.apiVersion, d.kind, d.name, d.namespace, d.annotations = h.apiVersion, h.kind, h.name, h.namespace, h.annotations
			d.obj, _ = jsonValue(tree).(map[string]any)
			return
		}
	}
	d.apiVersion, d.kind, d.name, d.namespace, d.annotations, d.err = readHead(d.content)
}

// forEach calls fn(i) for every i in [0, n) on up to workers goroutines and
// returns when all calls have.
func forEach(n, workers int, fn func(i int)) {
	if workers <= 1 || n < 2 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				fn(i)
			}
		})
	}
	wg.Wait()
}

// sortManifests splits the rendered files into documents, separates hooks
// and sorts both into Helm's install order.
func (res *Result) sortManifests(files map[string]string, keep bool) error {
	names := make([]string, 0, len(files))
	for k := range files {
		names = append(names, k)
	}
	sort.Strings(names)
	var docs []document
	size := 0
	for _, file := range names {
		content := files[file]
		if strings.HasPrefix(path.Base(file), "_") || strings.TrimSpace(content) == "" {
			continue
		}
		split, lines := SplitDocumentLines(content)
		for i, doc := range split {
			docs = append(docs, document{file: file, content: doc, line: lines[i], keep: keep})
			size += len(doc)
		}
	}
	// Reading a head parses the whole document: large outputs (CRDs) are
	// parsed on every core.
	workers := 1
	if size > parallelHeadsSize {
		workers = runtime.GOMAXPROCS(0)
	}
	forEach(len(docs), workers, func(i int) { docs[i].readHead() })
	for _, d := range docs {
		if d.err != nil {
			return &ManifestError{Template: d.file, Err: fmt.Errorf("YAML parse error on %s: %w", d.file, d.err), Rendered: files}
		}
		m := Manifest{Source: d.file, Content: d.content, Line: d.line, Object: d.obj, APIVersion: d.apiVersion, Kind: d.kind, Name: d.name, Namespace: d.namespace}
		events, isHook := d.annotations[hookAnnotation]
		if !isHook {
			res.Manifests = append(res.Manifests, m)
			continue
		}
		hook := Hook{Manifest: m, Events: []string{}, DeletePolicies: []string{}, OutputLogPolicies: []string{}}
		known := true
		for _, ev := range strings.Split(events, ",") {
			e, ok := hookEvent(strings.ToLower(strings.TrimSpace(ev)))
			if !ok {
				known = false
				break
			}
			hook.Events = append(hook.Events, e)
		}
		if !known {
			res.Warnings = append(res.Warnings, fmt.Sprintf("info: skipping unknown hook: %q", events))
			continue
		}
		if w, err := strconv.Atoi(d.annotations[hookWeightAnnotation]); err == nil {
			hook.Weight = w
		}
		hook.DeletePolicies = policies(d.annotations, hookDeleteAnnotation, hook.DeletePolicies)
		hook.OutputLogPolicies = policies(d.annotations, hookOutputAnnotation, hook.OutputLogPolicies)
		res.Hooks = append(res.Hooks, hook)
	}
	sort.SliceStable(res.Manifests, func(i, j int) bool { return lessByKind(res.Manifests[i].Kind, res.Manifests[j].Kind) })
	sort.SliceStable(res.Hooks, func(i, j int) bool { return lessByKind(res.Hooks[i].Kind, res.Hooks[j].Kind) })
	return nil
}

func policies(annotations map[string]string, key string, into []string) []string {
	v, ok := annotations[key]
	if !ok {
		return into
	}
	for _, p := range strings.Split(v, ",") {
		into = append(into, strings.ToLower(strings.TrimSpace(p)))
	}
	return into
}

// ManifestError is a rendered template whose output is not valid YAML, or
// not shaped as a Kubernetes object.
type ManifestError struct {
	// Template is the template's path.
	Template string
	// Err is the error, worded as Helm words it.
	Err error
	// Rendered is the output of every template of the render, by path, to
	// show the user what did not parse.
	Rendered map[string]string
}

func (e *ManifestError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *ManifestError) Unwrap() error { return e.Err }

// crdsOf returns the crds/ files of ch and its subcharts, parent first.
func crdsOf(ch *helmchart.Chart) []CRD {
	var out []CRD
	walkCharts(ch, func(c *helmchart.Chart, fullPath string) {
		for _, f := range c.Files {
			if f != nil && strings.HasPrefix(f.Name, "crds/") && manifestExt(f.Name) {
				out = append(out, CRD{Source: fullPath + "/" + f.Name, Content: f.Data})
			}
		}
	})
	return out
}

func manifestExt(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".yaml" || ext == ".yml" || ext == ".json"
}

// joinManifests returns the documents as Helm's release manifest.
func joinManifests(ms []Manifest) string {
	n := 0
	for _, m := range ms {
		n += len(m.Source) + len(m.Content) + len("---\n# Source: \n\n")
	}
	var b strings.Builder
	b.Grow(n)
	for _, m := range ms {
		b.WriteString("---\n# Source: ")
		b.WriteString(m.Source)
		b.WriteString("\n")
		b.WriteString(m.Content)
		b.WriteString("\n")
	}
	return b.String()
}
