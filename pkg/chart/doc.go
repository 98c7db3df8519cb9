// Package chart loads Helm charts from a directory or a packaged archive
// (.tgz) and checks that a loaded chart can be installed.
//
// It is a thin layer over helm.sh/helm/v3/pkg/chart/loader: the chart type is
// Helm's own (*chart.Chart from helm.sh/helm/v3/pkg/chart), so charts load
// exactly as Helm loads them. What this package adds is errors a user can act
// on: a missing chart, a corrupt archive and a Chart.yaml that does not parse
// each have a sentinel error (ErrNotFound, ErrCorruptArchive, ErrChartYAML)
// and a message naming the path at fault.
//
// It does not compute values (see package values) nor render templates (see
// package render), and it does not fetch charts from repositories.
//
// All functions are safe for concurrent use; they do not modify the charts
// they are given.
package chart
