package kubeschema

import (
	"fmt"
	"maps"
	"sort"
	"strings"
)

// WithCRDs returns a copy of s that also validates the custom resources
// defined by crds: CustomResourceDefinition objects (apiextensions.k8s.io/v1
// or v1beta1) decoded as JSON would be. Each served version gets the schema of
// spec.versions[].schema.openAPIV3Schema (or, in v1beta1, of
// spec.validation.openAPIV3Schema). A version whose schema cannot be used
// gives an error naming the CRD, and its kind stays unknown; objects in the
// list that are not CRDs are ignored. s itself is not changed.
//
// The schema of a custom resource is checked for type, properties, required,
// items, additionalProperties, enum and the x-kubernetes-preserve-unknown-fields,
// x-kubernetes-int-or-string and x-kubernetes-embedded-resource extensions;
// anyOf, oneOf, allOf, not, patterns, formats and bounds are not checked. Its
// metadata is checked as ObjectMeta. Fields a structural schema does not have
// are UnknownField problems, since the API server drops them; a v1beta1 CRD
// that keeps unknown fields (spec.preserveUnknownFields, true by default) has
// none.
func (s *Schema) WithCRDs(crds []map[string]any) (*Schema, []error) {
	out := &Schema{version: s.version, meta: s.meta, kinds: maps.Clone(s.kinds)}
	var errs []error
	for _, crd := range crds {
		apiVersion, _ := crd["apiVersion"].(string)
		kind, _ := crd["kind"].(string)
		if kind != "CustomResourceDefinition" || !strings.HasPrefix(apiVersion, "apiextensions.k8s.io/") {
			continue
		}
		kinds, err := s.crdKinds(crd, apiVersion)
		if err != nil {
			name, _ := dig(crd, "metadata", "name").(string)
			errs = append(errs, fmt.Errorf("crd %s: %w", name, err))
		}
		maps.Copy(out.kinds, kinds)
	}
	return out, errs
}

// crdKinds returns the root node of each served version of a CRD it can use,
// and an error for those it cannot.
func (s *Schema) crdKinds(crd map[string]any, apiVersion string) (map[gvk]*node, error) {
	group, _ := dig(crd, "spec", "group").(string)
	kind, _ := dig(crd, "spec", "names", "kind").(string)
	if group == "" || kind == "" {
		return nil, fmt.Errorf("spec.group and spec.names.kind are required")
	}
	v1beta1 := apiVersion == "apiextensions.k8s.io/v1beta1"
	// v1beta1 keeps unknown fields unless told not to; v1 always drops them.
	prune := !v1beta1
	if p, ok := dig(crd, "spec", "preserveUnknownFields").(bool); ok && v1beta1 {
		prune = !p
	}
	shared := dig(crd, "spec", "validation", "openAPIV3Schema")

	type version struct {
		name   string
		schema any
		path   string
	}
	var versions []version
	list, _ := dig(crd, "spec", "versions").([]any)
	for i, item := range list {
		m, _ := item.(map[string]any)
		name, _ := m["name"].(string)
		if served, ok := m["served"].(bool); name == "" || ok && !served {
			continue
		}
		versions = append(versions, version{name, dig(m, "schema", "openAPIV3Schema"), fmt.Sprintf("spec.versions[%d].schema.openAPIV3Schema", i)})
	}
	if v, ok := dig(crd, "spec", "version").(string); ok && v1beta1 && len(versions) == 0 {
		versions = append(versions, version{name: v})
	}
	if len(versions) == 0 {
		return nil, fmt.Errorf("no served version in spec.versions")
	}

	kinds := map[gvk]*node{}
	var problems []string
	for _, v := range versions {
		raw, path := v.schema, v.path
		if raw == nil && v1beta1 {
			raw, path = shared, "spec.validation.openAPIV3Schema"
		}
		var root *node
		switch {
		case raw != nil:
			c := crdConverter{prune: prune}
			root = c.convert(raw, path)
			if len(c.errs) > 0 {
				problems = append(problems, "version "+v.name+": "+strings.Join(c.errs, "; "))
				continue
			}
		case v1beta1:
			// No schema at all: anything goes but the metadata.
			root = &node{typ: typObject, preserve: true}
		default:
			problems = append(problems, "version "+v.name+": "+path+" is missing")
			continue
		}
		kinds[gvk{group + "/" + v.name, kind}] = asResource(root)
	}
	if len(problems) > 0 {
		return kinds, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return kinds, nil
}

// asResource makes n the root of a Kubernetes object: apiVersion and kind are
// strings, and metadata is ObjectMeta whatever the CRD's schema says.
func asResource(n *node) *node {
	if n.typ == typAny {
		return &node{typ: typObject, embedded: true, preserve: true}
	}
	n.embedded = true
	if n.props != nil {
		for _, k := range []string{"apiVersion", "kind", "metadata"} {
			delete(n.props, k)
		}
		n.names = sortedKeys(n.props)
	}
	return n
}

// crdConverter turns an openAPIV3Schema into nodes, collecting what it cannot
// use.
type crdConverter struct {
	prune bool
	errs  []string
}

func (c *crdConverter) fail(path, format string, args ...any) {
	c.errs = append(c.errs, path+": "+fmt.Sprintf(format, args...))
}

func (c *crdConverter) convert(raw any, path string) *node {
	m, ok := raw.(map[string]any)
	if !ok {
		c.fail(path, "expected a schema (an object), got %s", describe(raw))
		return &node{}
	}
	n := &node{}
	if e, ok := m["enum"].([]any); ok && len(e) > 0 {
		n.enum = e
	}
	preserve, _ := m["x-kubernetes-preserve-unknown-fields"].(bool)
	if ios, _ := m["x-kubernetes-int-or-string"].(bool); ios {
		n.typ = typIntOrString
		return n
	}
	t, _ := m["type"].(string)
	if _, ok := m["type"]; ok && t == "" {
		c.fail(path+".type", "expected a string, got %s", describe(m["type"]))
	}
	switch t {
	case "string":
		n.typ = typString
	case "integer":
		n.typ = typInteger
	case "number":
		n.typ = typNumber
	case "boolean":
		n.typ = typBoolean
	case "array":
		n.typ = typArray
		if items, ok := m["items"]; ok {
			if _, isList := items.([]any); isList {
				// A tuple (non-structural): not checked.
				n.items = &node{}
			} else {
				n.items = c.convert(items, path+".items")
			}
		}
	case "object":
		n.typ = typObject
		c.object(n, m, path, preserve)
	case "":
		if preserve || m["properties"] == nil {
			// Anything (non-structural or x-kubernetes-preserve-unknown-fields).
			return n
		}
		n.typ = typObject
		c.object(n, m, path, preserve)
	default:
		c.fail(path+".type", "unknown type %q", t)
	}
	return n
}

func (c *crdConverter) object(n *node, m map[string]any, path string, preserve bool) {
	n.preserve = preserve || !c.prune
	n.embedded, _ = m["x-kubernetes-embedded-resource"].(bool)
	if raw, ok := m["properties"]; ok {
		props, ok := raw.(map[string]any)
		if !ok {
			c.fail(path+".properties", "expected an object, got %s", describe(raw))
		}
		n.props = make(map[string]*node, len(props))
		for name, p := range props {
			n.props[name] = c.convert(p, path+".properties."+name)
		}
		n.names = sortedKeys(n.props)
	}
	switch a := m["additionalProperties"].(type) {
	case nil:
		if len(n.props) == 0 && m["properties"] == nil && !c.prune {
			n.preserve = true
		}
	case bool:
		if a {
			n.additional = &node{}
		}
	default:
		n.additional = c.convert(a, path+".additionalProperties")
	}
	if raw, ok := m["required"]; ok {
		list, ok := raw.([]any)
		if !ok {
			c.fail(path+".required", "expected a list of names, got %s", describe(raw))
		}
		for _, r := range list {
			name, ok := r.(string)
			if !ok {
				c.fail(path+".required", "expected a list of names, got %s in it", describe(r))
				continue
			}
			n.required = append(n.required, name)
		}
	}
	if n.embedded {
		asResource(n)
	}
}

func sortedKeys(m map[string]*node) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// dig returns the value at a path of keys in nested objects, or nil.
func dig(obj any, keys ...string) any {
	for _, k := range keys {
		m, ok := obj.(map[string]any)
		if !ok {
			return nil
		}
		obj = m[k]
	}
	return obj
}
