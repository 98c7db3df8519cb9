package render

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	yamlv2 "go.yaml.in/yaml/v2"
	"sigs.k8s.io/yaml"
)

// fastHead reads the head of a document from the YAML parser's own tree,
// skipping the JSON round trip of the whole document that readHead's
// sigs.k8s.io/yaml decoding makes (the cost of sorting large charts). It
// answers only when that round trip could not change or refuse what it
// reads: every map key of the document convertible to JSON, no NaN or
// infinite number, head fields that are plain valid UTF-8 strings under
// their exact names. Otherwise ok is false and readHead decodes as Helm
// does, errors included.
func fastHead(doc string) (h head, ok bool) {
	h, _, ok = fastHeadTree(doc)
	return h, ok
}

// fastHeadTree is fastHead that also returns the document's tree, as
// yaml.v2 decoded it, when ok.
func fastHeadTree(doc string) (h head, obj any, ok bool) {
	if yamlv2.Unmarshal([]byte(doc), &obj) != nil {
		return head{}, nil, false
	}
	h, ok = headOf(obj)
	return h, obj, ok
}

// headOf reads the head of a decoded document, as fastHead.
func headOf(obj any) (h head, ok bool) {
	top, isMap := obj.(map[any]any)
	if !isMap || !jsonable(obj) {
		return head{}, false
	}
	if !exactKeys(top, "apiVersion", "kind", "metadata") {
		return head{}, false
	}
	if h.apiVersion, ok = plainString(top["apiVersion"]); !ok {
		return head{}, false
	}
	if h.kind, ok = plainString(top["kind"]); !ok {
		return head{}, false
	}
	switch md := top["metadata"].(type) {
	case nil:
		return h, true
	case map[any]any:
		if !exactKeys(md, "name", "namespace", "annotations") {
			return head{}, false
		}
		if h.name, ok = plainString(md["name"]); !ok {
			return head{}, false
		}
		if h.namespace, ok = plainString(md["namespace"]); !ok {
			return head{}, false
		}
		switch an := md["annotations"].(type) {
		case nil:
		case map[any]any:
			h.annotations = make(map[string]string, len(an))
			for k, v := range an {
				ks, isString := k.(string)
				vs, isPlain := v.(string)
				if !isString || !isPlain || !utf8.ValidString(ks) || !utf8.ValidString(vs) {
					return head{}, false
				}
				h.annotations[ks] = vs
			}
		default:
			return head{}, false
		}
		return h, true
	default:
		return head{}, false
	}
}

// head is what readHead reads of a document.
type head struct {
	apiVersion, kind, name, namespace string
	annotations                       map[string]string
}

// plainString returns v if it is a valid UTF-8 string, "" if it is absent
// or null; ok is false for anything else.
func plainString(v any) (string, bool) {
	switch s := v.(type) {
	case nil:
		return "", true
	case string:
		return s, utf8.ValidString(s)
	}
	return "", false
}

// exactKeys reports whether m has no string key that matches one of names
// only case-insensitively (which JSON decoding would take for it).
func exactKeys(m map[any]any, names ...string) bool {
	for k := range m {
		ks, isString := k.(string)
		if !isString {
			continue
		}
		for _, n := range names {
			if ks != n && strings.EqualFold(ks, n) {
				return false
			}
		}
	}
	return true
}

// jsonable reports whether sigs.k8s.io/yaml would convert v to JSON without
// an error: map keys of the types it converts, and numbers JSON can hold.
func jsonable(v any) bool {
	switch t := v.(type) {
	case map[any]any:
		for k, e := range t {
			switch k.(type) {
			case string, int, int64, float64, bool:
			default:
				return false
			}
			if !jsonable(e) {
				return false
			}
		}
	case []any:
		for _, e := range t {
			if !jsonable(e) {
				return false
			}
		}
	case float64:
		return !math.IsNaN(t) && !math.IsInf(t, 0)
	}
	return true
}

// jsonValue converts a tree decoded by yaml.v2 that jsonable accepts to
// what sigs.k8s.io/yaml's JSON round trip makes of it: maps with string
// keys (numbers and booleans written out as it writes them) and every
// number a float64.
func jsonValue(v any) any {
	switch t := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			var ks string
			switch kt := k.(type) {
			case string:
				ks = kt
			case int:
				ks = strconv.Itoa(kt)
			case int64:
				ks = strconv.FormatInt(kt, 10)
			case float64:
				ks = strconv.FormatFloat(kt, 'g', -1, 32)
			case bool:
				ks = strconv.FormatBool(kt)
			}
			m[ks] = jsonValue(e)
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = jsonValue(e)
		}
		return out
	case int:
		return float64(t)
	case int64:
		return float64(t)
	case uint64:
		return float64(t)
	}
	return v
}

// DecodeObject decodes one YAML document into a map as sigs.k8s.io/yaml
// does (and so as the API server receives what Helm sends): YAML 1.1
// scalars, string keys, numbers as float64. It parses the YAML once where
// the JSON round trip could not change the result, and falls back to
// sigs.k8s.io/yaml otherwise. A document that is empty or not a map
// decodes to nil.
func DecodeObject(doc string) (map[string]any, error) {
	var obj any
	if yamlv2.Unmarshal([]byte(doc), &obj) == nil && jsonable(obj) {
		m, _ := jsonValue(obj).(map[string]any)
		return m, nil
	}
	var m map[string]any
	if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
		return nil, err
	}
	return m, nil
}
