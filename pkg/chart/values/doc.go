// Package values implements Helm v3's values semantics for barge: parsing of
// the --set family of flags, reading values files, merging user values in
// Helm's order of precedence, coalescing them over a chart's defaults, and
// resolving a chart's dependencies (conditions, tags, aliases, import-values)
// against the final values, including validation with values.schema.json.
//
// It does not load charts (see helm.sh/helm/v3/pkg/chart/loader) and does not
// render templates.
//
// All functions are safe for concurrent use. Resolve and Coalesce never
// modify the chart or the user values they are given.
package values
