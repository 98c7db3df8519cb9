// Package chartutil holds the one type whose name templates can see: the
// type of .Values. Helm's is chartutil.Values, and charts that print
// `typeOf .Values` or compare it print and compare that name, so barge's
// type has the same package and type names. It is internal to the renderer
// and has no behaviour.
package chartutil

// Values is the type of .Values (and of .Template) in templates: a map of
// values under Helm's name for it.
type Values map[string]any
