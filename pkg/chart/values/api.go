package values

import (
	"errors"
	"io"

	"helm.sh/helm/v3/pkg/chart"
)

// Options are the values flags of template, install and upgrade.
type Options struct {
	ValueFiles    []string // -f/--values; "-" reads stdin
	Values        []string // --set
	StringValues  []string // --set-string
	FileValues    []string // --set-file
	JSONValues    []string // --set-json
	LiteralValues []string // --set-literal
}

var errTODO = errors.New("values: not implemented")

// Merge reads and merges the values flags in Helm's order and precedence,
// returning the user-supplied values ("config").
func (o Options) Merge(stdin io.Reader) (map[string]any, error) { return nil, errTODO }

// ParseSet parses one --set argument into dest.
func ParseSet(s string, dest map[string]any) error { return errTODO }

// ParseSetString parses one --set-string argument into dest.
func ParseSetString(s string, dest map[string]any) error { return errTODO }

// ParseSetJSON parses one --set-json argument into dest.
func ParseSetJSON(s string, dest map[string]any) error { return errTODO }

// ParseSetLiteral parses one --set-literal argument into dest.
func ParseSetLiteral(s string, dest map[string]any) error { return errTODO }

// ParseSetFile parses one --set-file argument into dest.
func ParseSetFile(s string, dest map[string]any, readFile func(path string) ([]byte, error)) error {
	return errTODO
}

// Resolve returns the chart as it renders with these user values.
func Resolve(ch *chart.Chart, user map[string]any) (*chart.Chart, map[string]any, error) {
	return nil, nil, errTODO
}

// Coalesce merges user values over a chart's defaults.
func Coalesce(ch *chart.Chart, user map[string]any) (map[string]any, error) { return nil, errTODO }

// MergeTables overlays src onto dst.
func MergeTables(dst, src map[string]any) map[string]any { return dst }

// ReadFile parses one values file.
func ReadFile(path string) (map[string]any, error) { return nil, errTODO }
