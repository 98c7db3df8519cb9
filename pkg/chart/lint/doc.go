// Package lint checks a chart before anything reaches a cluster: Helm's own
// lint rules (Chart.yaml, values and their schema, templates that render
// and parse, dependencies consistent with charts/ and Chart.lock) and what
// `helm lint` lets through: every rendered object validated against the
// Kubernetes API's schema for the target version (package kubeschema,
// offline), custom resources against the CRDs the chart ships, API versions
// deprecated or removed in that version, object names and label values, and
// objects rendered twice.
//
// Rules are data: each has a stable id, a severity and a one-line doc
// (Rules), and a lint returns Findings, each naming its rule, the file of
// the chart at fault and, where there is one, the line. Lines of rendered
// objects count in the template's rendered output, which for a template
// without template actions is the template file itself.
//
// Objects is the object half on its own, for commands that render a chart
// and want the same checks before they touch a cluster (template
// --validate, install, upgrade).
//
// The package reads no files and talks to no cluster: charts come as their
// files. All functions may be called from several goroutines at once.
package lint
