package kubeschema

import (
	"fmt"
	"sort"

	yamlv3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"
)

// ValidateDocument parses one YAML document (one object as Helm renders it,
// without "---") as the API server would receive it from kubectl or Helm:
// with sigs.k8s.io/yaml, so that YAML 1.1 booleans such as yes and on are
// booleans. It validates the object like [Schema.Validate] and sets each
// Problem's Line to its 1-based line in doc: the line of the field (or list
// item) at the problem's path; for a missing required field, the line of the
// object that lacks it. Problems are ordered by line. An empty document (or
// one of comments only) has no problems and is not known; a document that is
// not YAML, or not a mapping, is an error.
func (s *Schema) ValidateDocument(doc string) (problems []Problem, known bool, err error) {
	var obj any
	if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
		return nil, false, fmt.Errorf("yaml: %w", err)
	}
	if obj == nil {
		return nil, false, nil
	}
	m, ok := obj.(map[string]any)
	if !ok {
		return nil, false, fmt.Errorf("yaml: expected an object (a mapping), got %s", describe(obj))
	}
	problems, known = s.ValidateDecoded(m, doc)
	return problems, known, nil
}

// ValidateDecoded is ValidateDocument for a document already decoded as
// sigs.k8s.io/yaml decodes it: obj is doc decoded. doc is parsed again
// only when there are problems, to find their lines.
func (s *Schema) ValidateDecoded(m map[string]any, doc string) (problems []Problem, known bool) {
	v := validator{schema: s, path: make([]seg, 0, 16)}
	known = v.object(m)
	if len(v.problems) == 0 {
		return nil, known
	}
	problems = v.result()
	var root yamlv3.Node
	if err := yamlv3.Unmarshal([]byte(doc), &root); err != nil {
		// sigs.k8s.io/yaml read it: leave the lines unknown.
		return problems, known
	}
	lines := make(map[string]int, len(v.problems))
	for _, p := range v.problems {
		lines[formatPath(p.segs)] = lineOf(&root, p.segs)
	}
	for i := range problems {
		problems[i].Line = lines[problems[i].Path]
	}
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
	return problems, known
}

// FieldLine returns the line of doc, a YAML document, where the field
// that keys lead to from the top is (its key's line), or, where the path
// stops short, the line of the deepest field found; 1 for a document
// that does not parse.
func FieldLine(doc string, keys ...string) int {
	var root yamlv3.Node
	if err := yamlv3.Unmarshal([]byte(doc), &root); err != nil {
		return 1
	}
	segs := make([]seg, len(keys))
	for i, k := range keys {
		segs[i] = seg{key: k}
	}
	return lineOf(&root, segs)
}

// lineOf follows segs from the document node n and returns the line of the
// last node it reaches: a mapping's key, a sequence's item. Where the path
// cannot be followed further (merge keys), it stops at the deepest node found.
func lineOf(n *yamlv3.Node, segs []seg) int {
	n = resolve(n)
	if n.Kind == yamlv3.DocumentNode && len(n.Content) > 0 {
		n = resolve(n.Content[0])
	}
	line := n.Line
	for _, s := range segs {
		next, at := child(n, s)
		if next == nil {
			return line
		}
		n, line = next, at
	}
	return line
}

// child returns the node that s leads to from n, and the line to report for
// it.
func child(n *yamlv3.Node, s seg) (*yamlv3.Node, int) {
	switch {
	case n.Kind == yamlv3.MappingNode && s.key != "":
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Value == s.key || yaml11Bool(k) == s.key {
				return resolve(n.Content[i+1]), k.Line
			}
		}
	case n.Kind == yamlv3.SequenceNode && s.key == "":
		if s.index >= 0 && s.index < len(n.Content) {
			item := resolve(n.Content[s.index])
			return item, n.Content[s.index].Line
		}
	}
	return nil, 0
}

func resolve(n *yamlv3.Node) *yamlv3.Node {
	for n.Kind == yamlv3.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// yaml11Bool returns "true" or "false" for a plain key that YAML 1.1 reads as
// a boolean (y, yes, on, n, no, off...), as sigs.k8s.io/yaml does; "" for
// other keys.
func yaml11Bool(k *yamlv3.Node) string {
	if k.Kind != yamlv3.ScalarNode || k.Style != 0 || k.Tag != "!!str" && k.Tag != "!!bool" {
		return ""
	}
	switch k.Value {
	case "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE":
		return "true"
	case "n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE":
		return "false"
	}
	return ""
}
