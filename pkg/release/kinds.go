package release

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/bargehq/barge/pkg/chart/render"
)

// MissingKindsError reports rendered objects of kinds the cluster does not
// serve and no CustomResourceDefinition of the chart defines: the operation
// refuses them before writing anything, as Helm does.
type MissingKindsError struct {
	// Errs has one *MissingKindError per object.
	Errs []error
}

func (e *MissingKindsError) Error() string {
	if len(e.Errs) == 1 {
		return e.Errs[0].Error() + ": install the CustomResourceDefinition that defines it first (or ship it in the chart's crds/), or fix its apiVersion; nothing was changed"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d objects are of kinds the cluster does not serve and the chart ships no CustomResourceDefinition for: install the CustomResourceDefinitions that define them first (or ship them in the chart's crds/), or fix their apiVersion; nothing was changed:", len(e.Errs))
	for _, err := range e.Errs {
		b.WriteString("\n  ")
		b.WriteString(err.Error())
	}
	return b.String()
}

// Unwrap returns the errors of the objects.
func (e *MissingKindsError) Unwrap() []error { return e.Errs }

// MissingKindError reports one rendered object of a kind the cluster does
// not serve and no CustomResourceDefinition of the chart defines.
type MissingKindError struct {
	// Kind, APIVersion and Name name the object.
	Kind, APIVersion, Name string
	// Source is the template that rendered it ("mychart/templates/x.yaml");
	// empty when not known.
	Source string
}

func (e *MissingKindError) Error() string {
	src := ""
	if e.Source != "" {
		src = " (from " + e.Source + ")"
	}
	return fmt.Sprintf("%s %q%s: the cluster serves no kind %s in %s and the chart ships no CustomResourceDefinition for it",
		e.Kind, e.Name, src, e.Kind, e.APIVersion)
}

// unknownKind returns the error of obj, a rendered object of an unknown
// kind, naming the template of manifest that rendered it.
func unknownKind(manifest string, obj *unstructured.Unstructured) error {
	return &MissingKindError{Kind: obj.GetKind(), APIVersion: obj.GetAPIVersion(), Name: obj.GetName(), Source: sourceOf(manifest, obj)}
}

// sourceOf returns the template of manifest that rendered obj, from its
// "# Source:" comment, or "" when not found.
func sourceOf(manifest string, obj *unstructured.Unstructured) string {
	key := objectKey(obj)
	for _, doc := range render.SplitDocuments(manifest) {
		src := ""
		for _, line := range strings.Split(doc, "\n") {
			if s, ok := strings.CutPrefix(strings.TrimSpace(line), "# Source: "); ok {
				src = s
				break
			}
		}
		if src == "" {
			continue
		}
		objs, err := parseObjects(src, doc, obj.GetNamespace())
		if err != nil {
			continue
		}
		for _, o := range objs {
			if objectKey(o) == key {
				return src
			}
		}
	}
	return ""
}

// shippedCRDs returns the CustomResourceDefinitions a plan brings: those of
// crds/ and those among its objects. It never returns nil.
func shippedCRDs(p *Plan) []*unstructured.Unstructured {
	out := append([]*unstructured.Unstructured{}, p.CRDs...)
	for _, o := range p.Apply {
		if o.GroupVersionKind().GroupKind() == (schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}) {
			out = append(out, o)
		}
	}
	return out
}

// definesKind reports whether one of crds defines the kind gvk, in its
// version.
func definesKind(crds []*unstructured.Unstructured, gvk schema.GroupVersionKind) bool {
	for _, c := range crds {
		group, _, _ := unstructured.NestedString(c.Object, "spec", "group")
		kind, _, _ := unstructured.NestedString(c.Object, "spec", "names", "kind")
		if group != gvk.Group || kind != gvk.Kind {
			continue
		}
		if v, _, _ := unstructured.NestedString(c.Object, "spec", "version"); v == gvk.Version {
			return true // apiextensions.k8s.io/v1beta1
		}
		versions, _, _ := unstructured.NestedSlice(c.Object, "spec", "versions")
		for _, v := range versions {
			if m, ok := v.(map[string]any); ok && m["name"] == gvk.Version {
				return true
			}
		}
	}
	return false
}
