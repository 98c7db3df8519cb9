// Package render is barge's template engine: it renders a Helm chart's
// templates exactly as Helm v3 does, and splits the output into the pieces a
// release is made of.
//
// A Renderer is made once per chart with New, which parses the chart's
// templates (and its subcharts') once. Render then renders the chart for one
// release: it resolves the values with package values (user values coalesced
// over the chart's defaults, disabled subcharts removed, aliases applied,
// values.schema.json checked), executes every template with Go's
// text/template, the sprig functions and Helm's own functions (include, tpl,
// required, fail, toYaml, fromYaml, toJson, fromJson, toToml, fromToml,
// lookup, ...), and sorts the documents into Helm's install order.
// mustToYaml and mustToJson, which Helm 4 added, are available as well; a
// chart that uses them does not render with Helm v3.
//
// The templates see the objects Helm gives them: .Values (scoped to each
// subchart), .Release, .Chart, .Capabilities, .Template, .Files and
// .Subcharts. Missing map keys render as nothing, as with Helm's
// "missingkey=zero" and its removal of "<no value>". Errors name the template
// file, line and column, with Helm's wording.
//
// The Result of a render holds the manifests (one per YAML document, with
// their source template, kind, name and namespace), the hooks with their
// events, weight and policies, the notes, the CRDs of the crds/ folders, and
// Helm's release manifest string. Result.TemplateOutput returns what
// `helm template` prints for it.
//
// The package talks to no cluster: the lookup template function goes through
// the Lookuper interface given in Options, and returns empty results without
// one. Capabilities default to Helm's defaults for `helm template`
// (Kubernetes v1.37.0 and the API versions client-go knows).
//
// A Renderer may be used by several goroutines at once: each call to Render
// works on its own copy of the template set and its own values.
package render
