package values

import (
	"fmt"

	"helm.sh/helm/v3/pkg/chart"
)

// globalKey is the values key shared by a chart and all its subcharts.
const globalKey = "global"

// warnf receives the warnings Helm logs while coalescing; it may be nil.
type warnf func(format string, args ...any)

func (w warnf) printf(format string, args ...any) {
	if w != nil {
		w(format, args...)
	}
}

// Coalesce merges user values over a chart's defaults the way Helm's
// CoalesceValues does: user values win, maps are merged and everything else
// replaced, a null from the user deletes the chart's default, each
// dependency's defaults appear under its name and `global` is copied down
// into every dependency. The result shares nothing with ch or user.
func Coalesce(ch *chart.Chart, user map[string]any) (map[string]any, error) {
	return coalesceValues(nil, ch, user)
}

func coalesceValues(w warnf, ch *chart.Chart, user map[string]any) (map[string]any, error) {
	dest := copyMap(user)
	if dest == nil {
		dest = map[string]any{}
	}
	return coalesceChart(w, ch, dest, "", false)
}

// mergeValues is coalesceValues keeping nulls (Helm's MergeValues).
func mergeValues(w warnf, ch *chart.Chart, user map[string]any) (map[string]any, error) {
	dest := copyMap(user)
	if dest == nil {
		dest = map[string]any{}
	}
	return coalesceChart(w, ch, dest, "", true)
}

// MergeTables overlays src under dst: dst's values win, maps are merged
// recursively, and nulls in dst are kept (Helm's MergeTables). It modifies
// and returns dst (or returns src if dst is nil), and may take parts of src
// into dst.
func MergeTables(dst, src map[string]any) map[string]any {
	return coalesceTables(nil, dst, src, "", true)
}

// CoalesceTables is MergeTables except that a null in dst deletes src's
// value for that key (Helm's CoalesceTables, which helm upgrade uses to lay
// the new --set values over the previous release's config for
// --reuse-values and --reset-then-reuse-values).
func CoalesceTables(dst, src map[string]any) map[string]any {
	return coalesceTables(nil, dst, src, "", false)
}

func joinPrefix(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

func coalesceChart(w warnf, ch *chart.Chart, dest map[string]any, prefix string, merge bool) (map[string]any, error) {
	coalesceDefaults(w, ch, dest, prefix, merge)
	return coalesceDeps(w, ch, dest, prefix, merge)
}

func coalesceDeps(w warnf, ch *chart.Chart, dest map[string]any, prefix string, merge bool) (map[string]any, error) {
	for _, sub := range ch.Dependencies() {
		name := sub.Name()
		v, ok := dest[name]
		if !ok {
			v = map[string]any{}
			dest[name] = v
		}
		sv, ok := v.(map[string]any)
		if !ok {
			return dest, fmt.Errorf("type mismatch on %s: the values of a subchart must be a map, got %T %v", name, v, v)
		}
		subPrefix := joinPrefix(prefix, ch.Name())
		coalesceGlobals(w, sv, dest, subPrefix)
		var err error
		dest[name], err = coalesceChart(w, sub, sv, subPrefix, merge)
		if err != nil {
			return dest, err
		}
	}
	return dest, nil
}

// coalesceGlobals copies src's globals into dest's, src winning.
func coalesceGlobals(w warnf, dest, src map[string]any, prefix string) {
	var dg, sg map[string]any
	if v, ok := dest[globalKey]; !ok {
		dg = map[string]any{}
	} else if dg, ok = v.(map[string]any); !ok {
		w.printf("warning: skipping globals because destination %s is not a table.", globalKey)
		return
	}
	if v, ok := src[globalKey]; !ok {
		sg = map[string]any{}
	} else if sg, ok = v.(map[string]any); !ok {
		w.printf("warning: skipping globals because source %s is not a table.", globalKey)
		return
	}
	for key, val := range sg {
		if m, ok := val.(map[string]any); ok {
			vv := make(map[string]any, len(m))
			for k, x := range m {
				vv[k] = x
			}
			dv, ok := dg[key]
			if !ok {
				dg[key] = vv
				continue
			}
			dm, ok := dv.(map[string]any)
			if !ok {
				w.printf("Conflict: cannot merge map onto non-map for %q. Skipping.", key)
				continue
			}
			coalesceTables(w, vv, dm, joinPrefix(prefix, key), true)
			dg[key] = vv
		} else if dv, ok := dg[key]; ok && isTable(dv) {
			w.printf("key %s is table. Skipping", key)
		} else {
			dg[key] = val
		}
	}
	dest[globalKey] = dg
}

// coalesceDefaults lays a copy of ch's own values under v.
func coalesceDefaults(w warnf, ch *chart.Chart, v map[string]any, prefix string, merge bool) {
	subPrefix := joinPrefix(prefix, ch.Name())
	for key, val := range ch.Values {
		uv, ok := v[key]
		if !ok {
			v[key] = copyValue(val)
			continue
		}
		if uv == nil && !merge {
			delete(v, key)
			continue
		}
		dst, ok := uv.(map[string]any)
		if !ok {
			continue
		}
		src, ok := val.(map[string]any)
		if !ok {
			if val != nil {
				w.printf("warning: skipped value for %s.%s: Not a table.", subPrefix, key)
			}
			continue
		}
		m := merge
		if isDependency(ch, key) {
			m = true
		}
		coalesceTables(w, dst, copyMap(src), joinPrefix(subPrefix, key), m)
	}
}

func isDependency(ch *chart.Chart, name string) bool {
	for _, sub := range ch.Dependencies() {
		if sub.Name() == name {
			return true
		}
	}
	return false
}

func isTable(v any) bool {
	_, ok := v.(map[string]any)
	return ok
}

// coalesceTables merges src under dst (dst wins), modifying both as Helm
// does: src takes dst's nulls, and parts of src are moved into dst.
func coalesceTables(w warnf, dst, src map[string]any, prefix string, merge bool) map[string]any {
	if src == nil {
		return dst
	}
	if dst == nil {
		return src
	}
	var srcNonNil map[string]bool
	if !merge {
		srcNonNil = make(map[string]bool, len(src))
		for k, v := range src {
			if v != nil {
				srcNonNil[k] = true
			}
		}
	}
	for k, v := range dst {
		if v == nil {
			src[k] = nil
		}
	}
	for key, val := range src {
		dv, ok := dst[key]
		switch {
		case ok && !merge && dv == nil && srcNonNil[key]:
			delete(dst, key)
		case !ok:
			dst[key] = val
		case isTable(val):
			if dm, ok := dv.(map[string]any); ok {
				coalesceTables(w, dm, val.(map[string]any), joinPrefix(prefix, key), merge)
			} else {
				w.printf("warning: cannot overwrite table with non table for %s (%v)", joinPrefix(prefix, key), val)
			}
		case isTable(dv) && val != nil:
			w.printf("warning: destination for %s is a table. Ignoring non-table value (%v)", joinPrefix(prefix, key), val)
		}
	}
	return dst
}

// Copy returns a deep copy of the maps and lists of a values tree (scalars
// are shared), and an empty map for nil, so that the copy can be modified
// without touching m.
func Copy(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return copyMap(m)
}

// copyMap deep-copies the maps and lists of a values tree; scalars are shared.
func copyMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = copyValue(v)
	}
	return out
}

func copyValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return copyMap(t)
	case []any:
		if t == nil {
			return t
		}
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = copyValue(x)
		}
		return out
	default:
		return v
	}
}
