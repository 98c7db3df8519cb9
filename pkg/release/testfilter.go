package release

import (
	"fmt"
	"slices"
	"strings"
)

// TestFilter selects the test hooks Test runs by name, as Helm's
// `test --filter`: with Include, only the tests named there run; tests
// named in Exclude never do.
type TestFilter struct {
	// Include names the only tests to run; empty runs all.
	Include []string
	// Exclude names tests not to run.
	Exclude []string
}

// ParseTestFilter reads Helm's --filter values: "name=NAME" includes a
// test, "!name=NAME" excludes one.
func ParseTestFilter(values []string) (TestFilter, error) {
	var f TestFilter
	for _, v := range values {
		if name, ok := strings.CutPrefix(v, "!name="); ok {
			f.Exclude = append(f.Exclude, name)
			continue
		}
		if name, ok := strings.CutPrefix(v, "name="); ok {
			f.Include = append(f.Include, name)
			continue
		}
		return TestFilter{}, fmt.Errorf("--filter %q: use name=TEST to run a test, or !name=TEST to skip one", v)
	}
	return f, nil
}

// keep returns the hooks the filter selects, in their order.
func (f TestFilter) keep(hooks []*Hook) []*Hook {
	if len(f.Include) == 0 && len(f.Exclude) == 0 {
		return hooks
	}
	var out []*Hook
	for _, h := range hooks {
		if slices.Contains(f.Exclude, h.Name) {
			continue
		}
		if len(f.Include) > 0 && !slices.Contains(f.Include, h.Name) {
			continue
		}
		out = append(out, h)
	}
	return out
}
