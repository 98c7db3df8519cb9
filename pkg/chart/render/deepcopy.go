package render

import (
	"github.com/mitchellh/copystructure"

	"github.com/bargehq/barge/pkg/chart/render/internal/chartutil"
)

// deepCopy is sprig's deepCopy: a deep copy of v, panicking (which the
// template reports as an error) when v cannot be copied.
func deepCopy(v any) any {
	c, err := mustDeepCopy(v)
	if err != nil {
		panic("deepCopy error: " + err.Error())
	}
	return c
}

// mustDeepCopy is sprig's mustDeepCopy, which copies with
// mitchellh/copystructure. The maps, lists and scalars that values files
// and templates make are copied directly, giving the same copy many times
// faster (some charts deep-copy their whole context for every object);
// anything else within them (the context's structs) goes to copystructure,
// as in sprig.
func mustDeepCopy(v any) (any, error) {
	if v == nil {
		// copystructure fails on nil; so must this.
		return copystructure.Copy(v)
	}
	return copyValue(v)
}

// copyValue deep-copies v as copystructure does.
func copyValue(v any) (any, error) {
	switch t := v.(type) {
	case nil, string, bool, int, int64, float64, uint64:
		return t, nil
	case map[string]any:
		return copyMap(t)
	case chartutil.Values:
		m, err := copyMap(t)
		return chartutil.Values(m), err
	case Files:
		// The chart's files: copystructure copies them byte by byte.
		if t == nil {
			return t, nil
		}
		out := make(Files, len(t))
		for k, b := range t {
			if b != nil {
				c := make([]byte, len(b), cap(b))
				copy(c, b)
				b = c
			}
			out[k] = b
		}
		return out, nil
	case []any:
		if t == nil {
			return t, nil
		}
		s := make([]any, len(t), cap(t))
		for i, e := range t {
			c, err := copyValue(e)
			if err != nil {
				return nil, err
			}
			s[i] = c
		}
		return s, nil
	}
	return copystructure.Copy(v)
}

func copyMap(m map[string]any) (map[string]any, error) {
	if m == nil {
		return m, nil
	}
	out := make(map[string]any, len(m))
	for k, e := range m {
		c, err := copyValue(e)
		if err != nil {
			return nil, err
		}
		out[k] = c
	}
	return out, nil
}
