// Package values implements Helm v3's values semantics for barge: parsing of
// the --set family of flags, reading values files, merging user values in
// Helm's order of precedence, coalescing them over a chart's defaults, and
// resolving a chart's dependencies (conditions, tags, aliases,
// import-values) against the final values, with validation against each
// chart's values.schema.json.
//
// The behaviour, quirks included, is Helm v3.22's: values files are YAML 1.1
// read into float64 numbers; --set types true/false/null and decimal
// integers (int64); a condition found in the coalesced values wins over
// tags; a null from the user deletes a chart default; globals are copied
// from each chart into its dependencies; dependencies are resolved as
// `helm install` and `helm template` do (ProcessDependenciesWithMerge, then
// CoalesceValues and schema validation).
//
// It does not load charts (see helm.sh/helm/v3/pkg/chart/loader) and does
// not render templates.
//
// All functions may be called from several goroutines at once. Resolve and
// Coalesce never modify the chart or user values they are given, and the
// values they return share no maps or lists with them. The Parse functions
// modify only dest.
package values
