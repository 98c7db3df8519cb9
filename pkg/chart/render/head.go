package render

import (
	"math"
	"strings"
	"unicode/utf8"

	yamlv2 "go.yaml.in/yaml/v2"
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
	var obj any
	if yamlv2.Unmarshal([]byte(doc), &obj) != nil {
		return head{}, false
	}
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
