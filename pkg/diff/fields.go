package diff

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ForeignField is a field of a live object that a field manager other
// than the release's set, and that the release's own apply does not set.
// Server-side apply leaves such fields alone: a label added with `kubectl
// label` survives every upgrade. Foreign fields are what a comparison of
// "live" with "as the next apply leaves it" cannot show, so they are
// reported on their own.
type ForeignField struct {
	// Path is the field's path, as in PathChange; an item of a list is
	// named by its key fields ([name="web"]), by its value ([="x"]) or by
	// its index.
	Path string `json:"path"`
	// Manager is the field manager that set it, and Operation how
	// (Update or Apply).
	Manager   string `json:"manager"`
	Operation string `json:"operation,omitempty"`
	// Value is the field's live value, when the path leads to one; masked
	// for the data of Secrets unless secrets are shown.
	Value any `json:"value,omitempty"`
}

// systemManager reports whether a field manager is one of the cluster's
// own controllers, whose writes are the cluster doing its job (a
// Deployment's revision annotation, a bound claim's volume name) rather
// than a change made behind a release's back. A binary's default field
// manager is its file name, so a versioned name such as
// "kube-controller-manager-v1.37.2" counts too.
func systemManager(name string) bool {
	if name == "before-first-apply" {
		return true
	}
	for _, c := range []string{"kube-controller-manager", "kube-scheduler", "kubelet", "kube-apiserver"} {
		if name == c || strings.HasPrefix(name, c+"-") {
			return true
		}
	}
	return false
}

// fieldSet is a fieldsV1 tree: member name ("f:x", "k:{...}", "v:...",
// "i:N", ".") to its subtree.
type fieldSet map[string]any

// Foreign returns the fields of live (as its managedFields record them)
// set by managers other than owners and the cluster's controllers, that no
// manager in owners set, sorted by path. A field owned by both counts as
// the release's. Status and other subresources are left out. When no
// entry of live's managedFields belongs to owners, nothing is reported:
// there is no record of what the release set.
func Foreign(live *unstructured.Unstructured, owners []string, showSecrets bool) []ForeignField {
	if live == nil {
		return nil
	}
	ours := fieldSet{}
	type entry struct {
		manager, operation string
		fields             fieldSet
	}
	var others []entry
	for _, mf := range live.GetManagedFields() {
		if mf.Subresource != "" || mf.FieldsV1 == nil {
			continue
		}
		var fs fieldSet
		if err := json.Unmarshal(mf.FieldsV1.GetRawBytes(), &fs); err != nil {
			continue
		}
		switch {
		case slices.Contains(owners, mf.Manager):
			mergeFields(ours, fs)
		case !systemManager(mf.Manager):
			others = append(others, entry{mf.Manager, string(mf.Operation), fs})
		}
	}
	if len(ours) == 0 {
		return nil
	}
	seen := map[string]bool{}
	var out []ForeignField
	for _, e := range others {
		var found [][]string
		walkForeign(e.fields, ours, nil, &found)
		for _, segs := range found {
			if len(segs) > 0 && segs[0] == "f:status" {
				continue
			}
			p := fieldPath(segs)
			if seen[p] {
				continue
			}
			seen[p] = true
			ff := ForeignField{Path: p, Manager: e.manager, Operation: e.operation}
			if v, ok := valueAt(live.Object, segs); ok {
				ff.Value = v
				if !showSecrets && isSecret(live) && secretPath(fieldNames(segs)) {
					ff.Value = Masked
				}
			}
			out = append(out, ff)
		}
	}
	slices.SortFunc(out, func(a, b ForeignField) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// mergeFields adds src's members to dst.
func mergeFields(dst, src fieldSet) {
	for k, v := range src {
		sv, _ := v.(map[string]any)
		dv, ok := dst[k].(map[string]any)
		if !ok {
			dv = map[string]any{}
			dst[k] = dv
		}
		mergeFields(dv, sv)
	}
}

// walkForeign appends to found the paths of theirs that ours lacks, each
// the highest such member (a list item or map the release never set is
// reported once, not field by field).
func walkForeign(theirs, ours fieldSet, path []string, found *[][]string) {
	keys := make([]string, 0, len(theirs))
	for k := range theirs {
		if k != "." {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		sub, _ := theirs[k].(map[string]any)
		p := append(slices.Clone(path), k)
		o, ok := ours[k].(map[string]any)
		if !ok {
			*found = append(*found, p)
			continue
		}
		walkForeign(sub, o, p, found)
	}
}

// fieldNames returns the map keys of a fieldsV1 path, dropping list items.
func fieldNames(segs []string) []string {
	var out []string
	for _, s := range segs {
		if name, ok := strings.CutPrefix(s, "f:"); ok {
			out = append(out, name)
		}
	}
	return out
}

// fieldPath formats a fieldsV1 path.
func fieldPath(segs []string) string {
	var b strings.Builder
	for _, s := range segs {
		switch {
		case strings.HasPrefix(s, "f:"):
			b.WriteString(keySegment(s[2:]))
		case strings.HasPrefix(s, "k:"):
			var key map[string]any
			if err := json.Unmarshal([]byte(s[2:]), &key); err != nil {
				b.WriteString("[" + s[2:] + "]")
				continue
			}
			names := make([]string, 0, len(key))
			for n := range key {
				names = append(names, n)
			}
			slices.Sort(names)
			parts := make([]string, len(names))
			for i, n := range names {
				v, _ := json.Marshal(key[n])
				parts[i] = n + "=" + string(v)
			}
			b.WriteString("[" + strings.Join(parts, ",") + "]")
		case strings.HasPrefix(s, "v:"):
			b.WriteString("[=" + s[2:] + "]")
		case strings.HasPrefix(s, "i:"):
			b.WriteString("[" + s[2:] + "]")
		}
	}
	return b.String()
}

// valueAt follows a fieldsV1 path through obj.
func valueAt(obj any, segs []string) (any, bool) {
	cur := obj
	for _, s := range segs {
		switch {
		case strings.HasPrefix(s, "f:"):
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, false
			}
			if cur, ok = m[s[2:]]; !ok {
				return nil, false
			}
		case strings.HasPrefix(s, "k:"):
			l, ok := cur.([]any)
			if !ok {
				return nil, false
			}
			var key map[string]any
			if json.Unmarshal([]byte(s[2:]), &key) != nil {
				return nil, false
			}
			cur, ok = findItem(l, key)
			if !ok {
				return nil, false
			}
		case strings.HasPrefix(s, "v:"):
			l, ok := cur.([]any)
			if !ok {
				return nil, false
			}
			var want any
			if json.Unmarshal([]byte(s[2:]), &want) != nil {
				return nil, false
			}
			found := false
			for _, item := range l {
				if jsonEqual(item, want) {
					cur, found = item, true
					break
				}
			}
			if !found {
				return nil, false
			}
		case strings.HasPrefix(s, "i:"):
			l, ok := cur.([]any)
			i, err := strconv.Atoi(s[2:])
			if !ok || err != nil || i < 0 || i >= len(l) {
				return nil, false
			}
			cur = l[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// findItem returns the item of l whose fields match key.
func findItem(l []any, key map[string]any) (any, bool) {
	for _, item := range l {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		match := true
		for k, v := range key {
			if !jsonEqual(m[k], v) {
				match = false
				break
			}
		}
		if match {
			return item, true
		}
	}
	return nil, false
}

// jsonEqual compares two values by their JSON form, so that int64 and
// float64 numbers of the same value are equal.
func jsonEqual(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}
