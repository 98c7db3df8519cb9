package lint

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/validate/content"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/bargehq/barge/pkg/chart/render"
	"github.com/bargehq/barge/pkg/kubeschema"
)

// Document is one rendered YAML document to check.
type Document struct {
	// File is the file it was rendered from, relative to the chart's
	// directory ("templates/app.yaml", "crds/crd.yaml").
	File string
	// Line is the line of the file's rendered output it begins on.
	Line int
	// Content is the document.
	Content string
	// CRD is set for the files of a crds/ folder.
	CRD bool
	// Object is the document decoded (render.DecodeObject), if it is at
	// hand; nil decodes Content.
	Object map[string]any
}

// Documents returns what a render makes, to give to Objects: the
// manifests, the hooks and the documents of the crds/ folders, with
// their files relative to the top chart's directory.
func Documents(res *render.Result) []Document {
	var docs []Document
	for _, m := range res.Manifests {
		docs = append(docs, Document{File: chartRelative(m.Source), Line: m.Line, Content: m.Content, Object: m.Object})
	}
	for _, h := range res.Hooks {
		docs = append(docs, Document{File: chartRelative(h.Source), Line: h.Line, Content: h.Content, Object: h.Object})
	}
	for _, c := range res.CRDs {
		split, lines := render.SplitDocumentLines(string(c.Content))
		for i, d := range split {
			docs = append(docs, Document{File: chartRelative(c.Source), Line: lines[i], Content: d, CRD: true})
		}
	}
	return docs
}

// chartRelative drops the chart's name from a rendered file's path:
// "mychart/templates/a.yaml" is "templates/a.yaml".
func chartRelative(p string) string {
	if i := strings.IndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// ObjectOptions tune Objects.
type ObjectOptions struct {
	// Schema is the Kubernetes API's schema to validate objects against;
	// nil skips the object-schema-* and crd-schema rules.
	Schema *kubeschema.Schema
	// KubeVersion is the Kubernetes version the objects are for, as
	// "v1.37.0"; empty means render.DefaultKubeVersion.
	KubeVersion string
	// Namespace is the release's namespace, where objects that name none
	// go.
	Namespace string
}

// Objects checks rendered documents: against the Kubernetes API's schema
// (custom resources against the CRDs among the documents), for API
// versions deprecated or removed in the target version, for valid names
// and labels, Helm's selector and List rules, and for duplicates.
func Objects(docs []Document, opts ObjectOptions) []Finding {
	kv, err := render.ParseKubeVersion(opts.KubeVersion)
	if opts.KubeVersion == "" || err != nil {
		kv, _ = render.ParseKubeVersion(render.DefaultKubeVersion)
	}
	target := kubeschema.Version{Major: atoi(kv.Major), Minor: atoi(kv.Minor)}
	objs := make([]object, 0, len(docs))
	var crds []map[string]any
	for _, d := range docs {
		o, ok := readObject(d)
		if !ok {
			continue
		}
		objs = append(objs, o)
		if o.kind == "CustomResourceDefinition" && strings.HasPrefix(o.apiVersion, "apiextensions.k8s.io/") {
			crds = append(crds, o.m)
		}
	}
	var out []Finding
	sch := opts.Schema
	if sch != nil && !schemaCovers(sch, target) {
		sch = nil // a newer Kubernetes may have fields the schema lacks
	}
	if sch != nil && len(crds) > 0 {
		var errs []error
		sch, errs = sch.WithCRDs(crds)
		for _, err := range errs {
			out = append(out, crdFinding(objs, err))
		}
	}
	seen := map[string]object{}
	for _, o := range objs {
		out = append(out, o.check(sch, target)...)
		if o.name == "" || strings.HasSuffix(o.kind, "List") {
			continue
		}
		ns := o.namespace
		if ns == "" {
			ns = opts.Namespace
		}
		gv, _ := schema.ParseGroupVersion(o.apiVersion)
		key := gv.Group + "/" + o.kind + "/" + ns + "/" + o.name
		if first, dup := seen[key]; dup {
			f := o.finding("object-duplicate", o.line("metadata", "name"), "rendered twice: %s:%d renders the same %s %q in namespace %q; give one of them another name", first.doc.File, first.line("metadata", "name"), o.kind, o.name, ns)
			out = append(out, f)
			continue
		}
		seen[key] = o
	}
	return out
}

// schemaCovers reports whether the schema is for target's Kubernetes
// version or a later one.
func schemaCovers(s *kubeschema.Schema, target kubeschema.Version) bool {
	v, err := kubeschema.ParseVersion(s.Version())
	return err == nil && !v.Less(target)
}

// crdFinding attributes an error of WithCRDs, "crd <name>: ...", to the
// document of that CRD.
func crdFinding(objs []object, err error) Finding {
	name, _, _ := strings.Cut(strings.TrimPrefix(err.Error(), "crd "), ":")
	for _, o := range objs {
		if o.kind == "CustomResourceDefinition" && o.name == name {
			return o.finding("crd-schema", o.doc.Line, "%v; its custom resources are not checked", err)
		}
	}
	return finding("crd-schema", "", 0, "%v; its custom resources are not checked", err)
}

// object is a document decoded, and its head.
type object struct {
	doc              Document
	m                map[string]any
	apiVersion, kind string
	name, namespace  string
	generateName     bool
	labels           map[string]any
}

// readObject decodes a document as the API server would receive it. A
// document that does not decode to an object is the renderer's to report;
// it is not an object to check.
func readObject(d Document) (object, bool) {
	m := d.Object
	if m == nil {
		var err error
		if m, err = render.DecodeObject(d.Content); err != nil || m == nil {
			return object{}, false
		}
	}
	o := object{doc: d, m: m}
	o.apiVersion, _ = m["apiVersion"].(string)
	o.kind, _ = m["kind"].(string)
	if meta, ok := m["metadata"].(map[string]any); ok {
		o.name, _ = meta["name"].(string)
		o.namespace, _ = meta["namespace"].(string)
		gn, _ := meta["generateName"].(string)
		o.generateName = gn != ""
		o.labels, _ = meta["labels"].(map[string]any)
	}
	return o, true
}

// line returns the line of the template's output where the field keys
// lead to is.
func (o object) line(keys ...string) int {
	return o.doc.Line + kubeschema.FieldLine(o.doc.Content, keys...) - 1
}

// finding makes a finding about o.
func (o object) finding(id string, line int, format string, args ...any) Finding {
	f := finding(id, o.doc.File, line, format, args...)
	if o.kind != "" {
		f.Object = o.kind + "/" + o.name
	}
	return f
}

// check runs the rules that look at one object.
func (o object) check(sch *kubeschema.Schema, target kubeschema.Version) []Finding {
	if o.kind == "" {
		return nil
	}
	var out []Finding
	if lc, ok := kubeschema.LifecycleOf(o.apiVersion, o.kind); ok {
		switch {
		case lc.RemovedIn(target):
			out = append(out, o.finding("api-removed", o.line("apiVersion"), "%s %s was removed in Kubernetes v%s and the target is v%s; %s", o.apiVersion, o.kind, lc.Removed, target, replacement(lc)))
		case lc.DeprecatedIn(target):
			msg := fmt.Sprintf("%s %s is deprecated in v%s+", o.apiVersion, o.kind, lc.Deprecated)
			if !lc.Removed.IsZero() {
				msg += fmt.Sprintf(", unavailable in v%s+", lc.Removed)
			}
			out = append(out, o.finding("api-deprecated", o.line("apiVersion"), "%s; %s", msg, replacement(lc)))
		}
	}
	list := strings.HasSuffix(o.kind, "List")
	if !list {
		out = append(out, o.checkName()...)
		out = append(out, o.checkLabels()...)
	}
	switch o.kind {
	case "Deployment", "ReplicaSet", "DaemonSet", "StatefulSet":
		if !strings.Contains(o.doc.Content, "matchLabels") && !strings.Contains(o.doc.Content, "matchExpressions") {
			out = append(out, o.finding("object-selector", o.doc.Line, "a %s must contain matchLabels or matchExpressions, and %q does not", o.kind, o.name))
		}
	case "List":
		if strings.Contains(o.doc.Content, "helm.sh/resource-policy") {
			out = append(out, o.finding("list-annotations", o.doc.Line, "Annotation 'helm.sh/resource-policy' within List objects are ignored"))
		}
	}
	if sch != nil {
		problems, known := sch.ValidateDecoded(o.m, o.doc.Content)
		if known {
			for _, p := range problems {
				line := o.doc.Line
				if p.Line > 0 {
					line = o.doc.Line + p.Line - 1
				}
				out = append(out, o.finding(schemaRule(p.Kind), line, "%s", p.Message))
			}
		}
	}
	return out
}

// replacement says what to use instead of a deprecated API.
func replacement(lc kubeschema.Lifecycle) string {
	if lc.Replacement == "" {
		return "move to a supported API version"
	}
	return "use " + lc.Replacement
}

// schemaRule is the rule of a kind of schema problem.
func schemaRule(k kubeschema.ProblemKind) string {
	switch k {
	case kubeschema.MissingRequired:
		return "object-schema-required"
	case kubeschema.UnknownField:
		return "object-schema-unknown"
	case kubeschema.NotInEnum:
		return "object-schema-enum"
	}
	return "object-schema-type"
}

// checkName checks metadata.name as the API server does for the kind.
func (o object) checkName() []Finding {
	if o.name == "" {
		if o.generateName {
			return nil
		}
		return []Finding{o.finding("object-name", o.line("metadata"), "%s has no metadata.name; give it a name", o.kind)}
	}
	var msgs []string
	switch strings.ToLower(o.kind) {
	case "service":
		msgs = apivalidation.NameIsDNS1035Label(o.name, false)
	case "namespace":
		msgs = apivalidation.ValidateNamespaceName(o.name, false)
	case "role", "clusterrole", "rolebinding", "clusterrolebinding":
		msgs = content.IsPathSegmentName(o.name)
	case "certificatesigningrequest":
	default:
		msgs = apivalidation.NameIsDNSSubdomain(o.name, false)
	}
	if len(msgs) == 0 {
		return nil
	}
	return []Finding{o.finding("object-name", o.line("metadata", "name"), "metadata.name %s is not a valid %s name: %s", quoteCut(o.name), o.kind, strings.Join(msgs, "; "))}
}

// checkLabels checks the keys and values of metadata.labels.
func (o object) checkLabels() []Finding {
	keys := make([]string, 0, len(o.labels))
	for k := range o.labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []Finding
	for _, k := range keys {
		if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
			out = append(out, o.finding("object-labels", o.line("metadata", "labels", k), "label key %s is invalid: %s", quoteCut(k), strings.Join(msgs, "; ")))
		}
		v, ok := o.labels[k].(string)
		if !ok {
			continue // a value that is not a string is the schema's to report
		}
		if msgs := validation.IsValidLabelValue(v); len(msgs) > 0 {
			out = append(out, o.finding("object-labels", o.line("metadata", "labels", k), "label %s's value %s is invalid: %s", quoteCut(k), quoteCut(v), strings.Join(msgs, "; ")))
		}
	}
	return out
}

// quoteCut quotes s for a message, cut to 60 characters with its length
// said when it is longer.
func quoteCut(s string) string {
	const max = 60
	if len(s) <= max {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:max]) + fmt.Sprintf("... (%d bytes)", len(s))
}

// atoi reads a version number, 0 if it is not one.
func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}
