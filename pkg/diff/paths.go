package diff

import (
	"reflect"
	"regexp"
	"slices"
	"strconv"
)

// PathChange is one field that differs between the two sides of a Change.
type PathChange struct {
	// Path is the field's JSON path from the object's root, as jq spells
	// it: .spec.replicas, .spec.template.spec.containers[0].image,
	// .metadata.labels["app.kubernetes.io/name"].
	Path string `json:"path"`
	// Before is the field's value on the live side; absent when the field
	// is added.
	Before any `json:"before,omitempty"`
	// After is the field's value as it would become; absent when the field
	// is removed.
	After any `json:"after,omitempty"`
}

// plainKey matches map keys that a path can show after a dot.
var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// keySegment formats a map key as a path segment.
func keySegment(k string) string {
	if plainKey.MatchString(k) {
		return "." + k
	}
	return "[" + strconv.Quote(k) + "]"
}

// changedPaths lists the leaves where before and after differ, under path.
// Maps are compared key by key; lists index by index; anything else, or
// values of different types, as a whole.
func changedPaths(before, after any, path string, out []PathChange) []PathChange {
	switch b := before.(type) {
	case map[string]any:
		a, ok := after.(map[string]any)
		if !ok {
			break
		}
		keys := make([]string, 0, len(a)+len(b))
		for k := range b {
			keys = append(keys, k)
		}
		for k := range a {
			if _, ok := b[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			bv, inB := b[k]
			av, inA := a[k]
			p := path + keySegment(k)
			switch {
			case inB && inA:
				out = changedPaths(bv, av, p, out)
			case inB:
				out = append(out, PathChange{Path: p, Before: bv})
			default:
				out = append(out, PathChange{Path: p, After: av})
			}
		}
		return out
	case []any:
		a, ok := after.([]any)
		if !ok {
			break
		}
		for i := range max(len(a), len(b)) {
			p := path + "[" + strconv.Itoa(i) + "]"
			switch {
			case i < len(b) && i < len(a):
				out = changedPaths(b[i], a[i], p, out)
			case i < len(b):
				out = append(out, PathChange{Path: p, Before: b[i]})
			default:
				out = append(out, PathChange{Path: p, After: a[i]})
			}
		}
		return out
	}
	if !reflect.DeepEqual(before, after) {
		if path == "" {
			path = "."
		}
		out = append(out, PathChange{Path: path, Before: before, After: after})
	}
	return out
}
