package values

import (
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/chart"
)

// Resolve returns the chart as it renders with these user values, and the
// final values of the top chart.
//
// In the returned chart, dependencies disabled by their `condition` or
// `tags` are removed, aliased dependencies are copies of their chart under
// the alias (metadata name = alias), and import-values (both forms) have
// been applied to the values of each parent. The values are the chart's
// defaults coalesced with user (see Coalesce), checked against
// values.schema.json of the chart and every enabled dependency.
//
// The input chart and user values are never modified; the returned chart's
// nodes are copies sharing templates and files with ch, so one loaded chart
// may be resolved concurrently for many releases. Resolve compiles each
// schema afresh; a Resolver caches them.
func Resolve(ch *chart.Chart, user map[string]any) (*chart.Chart, map[string]any, error) {
	var r Resolver
	return r.Resolve(ch, user)
}

// Resolver resolves charts against values like Resolve, caching compiled
// schemas across calls and reporting Helm's warnings. The zero Resolver is
// ready to use. A Resolver may be used by several goroutines at once.
type Resolver struct {
	// Warn, if set, receives the warnings Helm logs while resolving
	// (a condition that is not a boolean, an import-values path that is not
	// a table, a value that cannot be merged over a table...), one line each.
	// It may be called from several goroutines at once.
	Warn func(msg string)
	// Schemas, if set, is where compiled schemas are kept, so that
	// Resolvers made for each call can share them; otherwise the Resolver
	// keeps its own.
	Schemas *SchemaCache
	// SkipSchema leaves the values unchecked against the charts'
	// values.schema.json (Helm's --skip-schema-validation).
	SkipSchema bool

	schemas SchemaCache
}

func (r *Resolver) schemaCache() *SchemaCache {
	if r.Schemas != nil {
		return r.Schemas
	}
	return &r.schemas
}

func (r *Resolver) warnf() warnf {
	if r.Warn == nil {
		return nil
	}
	return func(format string, args ...any) { r.Warn(fmt.Sprintf(format, args...)) }
}

// Resolve is the package-level Resolve using r's schema cache and warnings.
func (r *Resolver) Resolve(ch *chart.Chart, user map[string]any) (*chart.Chart, map[string]any, error) {
	if ch == nil || ch.Metadata == nil {
		return nil, nil, fmt.Errorf("resolve values: chart has no metadata (Chart.yaml)")
	}
	w := r.warnf()
	work := cloneTree(ch)
	if err := processEnabled(w, work, user, ""); err != nil {
		return nil, nil, err
	}
	if err := processImports(w, work); err != nil {
		return nil, nil, err
	}
	vals, err := coalesceValues(w, work, user)
	if err != nil {
		return nil, nil, err
	}
	if r.SkipSchema {
		return work, vals, nil
	}
	if err := r.validate(work, vals); err != nil {
		return nil, nil, err
	}
	return work, vals, nil
}

// cloneTree copies the chart nodes of the tree (the chart, its metadata and
// its dependency entries) so they can be changed; everything else is shared.
func cloneTree(ch *chart.Chart) *chart.Chart {
	out := *ch
	if ch.Metadata != nil {
		md := *ch.Metadata
		if ch.Metadata.Dependencies != nil {
			md.Dependencies = make([]*chart.Dependency, len(ch.Metadata.Dependencies))
			for i, d := range ch.Metadata.Dependencies {
				if d != nil {
					dc := *d
					md.Dependencies[i] = &dc
				}
			}
		}
		out.Metadata = &md
	}
	subs := ch.Dependencies()
	copies := make([]*chart.Chart, 0, len(subs))
	for _, sub := range subs {
		if sub != nil {
			copies = append(copies, cloneTree(sub))
		}
	}
	out.SetDependencies(copies...)
	return &out
}

// compatible reports whether version ver satisfies the constraint.
func compatible(constraint, ver string) bool {
	v, err := semver.NewVersion(ver)
	if err != nil {
		return false
	}
	c, err := semver.NewConstraint(constraint)
	if err != nil {
		return false
	}
	return c.Check(v)
}

func chartVersion(c *chart.Chart) string {
	if c.Metadata == nil {
		return ""
	}
	return c.Metadata.Version
}

// aliasCopy finds the chart a dependency entry names and returns a copy of
// it carrying the entry's alias as its name.
func aliasCopy(charts []*chart.Chart, dep *chart.Dependency) *chart.Chart {
	for _, c := range charts {
		if c == nil || c.Metadata == nil || c.Name() != dep.Name || !compatible(dep.Version, c.Metadata.Version) {
			continue
		}
		out := *c
		md := *c.Metadata
		out.Metadata = &md
		if dep.Alias != "" {
			md.Name = dep.Alias
		}
		return &out
	}
	return nil
}

// processEnabled aliases c's dependencies and removes those disabled by tags
// or conditions, then does the same in the remaining ones. v are the values
// the conditions are read from; path is c's place in them.
func processEnabled(w warnf, c *chart.Chart, v map[string]any, path string) error {
	if c.Metadata == nil || c.Metadata.Dependencies == nil {
		return nil
	}
	reqs := c.Metadata.Dependencies

	// Charts under charts/ not named in Chart.yaml are kept as they are.
	var deps []*chart.Chart
outer:
	for _, existing := range c.Dependencies() {
		for _, req := range reqs {
			if req != nil && existing.Name() == req.Name && compatible(req.Version, chartVersion(existing)) {
				continue outer
			}
		}
		deps = append(deps, existing)
	}
	for _, req := range reqs {
		if req == nil {
			continue
		}
		if dep := aliasCopy(c.Dependencies(), req); dep != nil {
			deps = append(deps, dep)
		}
		if req.Alias != "" {
			req.Name = req.Alias
		}
	}
	c.SetDependencies(deps...)

	for _, req := range reqs {
		if req != nil {
			req.Enabled = true
		}
	}
	cvals, err := coalesceValues(w, c, v)
	if err != nil {
		return err
	}
	applyTags(w, reqs, cvals)
	applyConditions(w, reqs, cvals, path)

	disabled := map[string]bool{}
	for _, req := range reqs {
		if req != nil && !req.Enabled {
			disabled[req.Name] = true
		}
	}
	kept := []*chart.Chart{}
	for _, d := range c.Dependencies() {
		if !disabled[d.Name()] {
			kept = append(kept, d)
		}
	}
	keptReqs := []*chart.Dependency{}
	for _, req := range reqs {
		if req != nil && !disabled[req.Name] {
			keptReqs = append(keptReqs, req)
		}
	}
	for _, d := range kept {
		if err := processEnabled(w, d, cvals, path+d.Name()+"."); err != nil {
			return err
		}
	}
	c.Metadata.Dependencies = keptReqs
	c.SetDependencies(kept...)
	return nil
}

// applyTags enables or disables dependencies by the booleans under `tags`:
// a dependency is disabled if one of its tags is false and none is true.
func applyTags(w warnf, reqs []*chart.Dependency, vals map[string]any) {
	tags, err := table(vals, "tags")
	if err != nil {
		return
	}
	for _, r := range reqs {
		if r == nil {
			continue
		}
		var hasTrue, hasFalse bool
		for _, k := range r.Tags {
			v, ok := tags[k]
			if !ok {
				continue
			}
			b, ok := v.(bool)
			if !ok {
				w.printf("Warning: Tag '%s' for chart %s returned non-bool value", k, r.Name)
				continue
			}
			if b {
				hasTrue = true
			} else {
				hasFalse = true
			}
		}
		r.Enabled = hasTrue || !hasFalse
	}
}

// applyConditions enables or disables dependencies by the first of their
// comma-separated condition paths that holds a boolean.
func applyConditions(w warnf, reqs []*chart.Dependency, vals map[string]any, path string) {
	for _, r := range reqs {
		if r == nil {
			continue
		}
		for _, cond := range strings.Split(strings.TrimSpace(r.Condition), ",") {
			if cond == "" {
				continue
			}
			v, ok := pathValue(vals, path+cond)
			if !ok {
				continue
			}
			if b, ok := v.(bool); ok {
				r.Enabled = b
				break
			}
			w.printf("Warning: Condition path '%s' for chart %s returned non-bool value", cond, r.Name)
		}
	}
}

// table returns the map at a dotted path of maps.
func table(v map[string]any, path string) (map[string]any, error) {
	for _, k := range strings.Split(path, ".") {
		next, ok := v[k].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%q is not a table", k)
		}
		v = next
	}
	return v, nil
}

// pathValue returns the value, not a table, at a dotted path.
func pathValue(v map[string]any, path string) (any, bool) {
	keys := strings.Split(path, ".")
	last := keys[len(keys)-1]
	if len(keys) > 1 {
		t, err := table(v, strings.Join(keys[:len(keys)-1], "."))
		if err != nil {
			return nil, false
		}
		v = t
	}
	x, ok := v[last]
	if !ok || isTable(x) {
		return nil, false
	}
	return x, true
}

// processImports applies import-values in every chart of the tree, the
// deepest first.
func processImports(w warnf, c *chart.Chart) error {
	for _, d := range c.Dependencies() {
		if err := processImports(w, d); err != nil {
			return err
		}
	}
	return importValues(w, c)
}

// importValues sets c's values to its defaults merged with its
// dependencies' and with the values they export to it, which rank below c's.
func importValues(w warnf, c *chart.Chart) error {
	if c.Metadata == nil || c.Metadata.Dependencies == nil {
		return nil
	}
	cvals, err := mergeValues(w, c, nil)
	if err != nil {
		return err
	}
	b := map[string]any{}
	for _, r := range c.Metadata.Dependencies {
		if r == nil {
			continue
		}
		var out []any
		for _, riv := range r.ImportValues {
			switch iv := riv.(type) {
			case map[string]any:
				child := fmt.Sprintf("%v", iv["child"])
				parent := fmt.Sprintf("%v", iv["parent"])
				out = append(out, map[string]string{"child": child, "parent": parent})
				vv, err := table(cvals, r.Name+"."+child)
				if err != nil {
					w.printf("Warning: ImportValues missing table from chart %s: %v", r.Name, err)
					continue
				}
				b = coalesceTables(w, b, underPath(parent, nonEmpty(vv)), "", true)
			case string:
				child := "exports." + iv
				out = append(out, map[string]string{"child": child, "parent": "."})
				vm, err := table(cvals, r.Name+"."+child)
				if err != nil {
					w.printf("Warning: ImportValues missing table: %v", err)
					continue
				}
				b = coalesceTables(w, b, nonEmpty(vm), "", true)
			}
		}
		r.ImportValues = out
	}
	c.Values = coalesceTables(w, copyMap(cvals), b, "", true)
	return nil
}

// underPath nests data under a dotted path ("." is data itself).
func underPath(path string, data map[string]any) map[string]any {
	if path == "." {
		return data
	}
	keys := strings.Split(path, ".")
	cur := data
	for i := len(keys) - 1; i >= 0; i-- {
		cur = map[string]any{keys[i]: cur}
	}
	return cur
}

// nonEmpty returns m, or a new map if m is empty (so that an empty table is
// never shared between two places).
func nonEmpty(m map[string]any) map[string]any {
	if len(m) == 0 {
		return map[string]any{}
	}
	return m
}
