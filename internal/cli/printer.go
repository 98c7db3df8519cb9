package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"sigs.k8s.io/yaml"
)

// outputFormat is the value of -o/--output: table, json or yaml.
type outputFormat string

// The output formats, spelled as Helm spells them.
const (
	outputTable outputFormat = "table"
	outputJSON  outputFormat = "json"
	outputYAML  outputFormat = "yaml"
)

// String implements pflag.Value.
func (f *outputFormat) String() string { return string(*f) }

// Set implements pflag.Value, refusing unknown formats.
func (f *outputFormat) Set(s string) error {
	switch outputFormat(s) {
	case outputTable, outputJSON, outputYAML:
		*f = outputFormat(s)
		return nil
	}
	return fmt.Errorf("invalid format type %q: use table, json or yaml", s)
}

// Type implements pflag.Value.
func (f *outputFormat) Type() string { return "format" }

// printable is something a command prints in each of the three formats.
type printable interface {
	WriteTable(w io.Writer) error
	WriteJSON(w io.Writer) error
	WriteYAML(w io.Writer) error
}

// write prints p in format f.
func (f outputFormat) write(w io.Writer, p printable) error {
	switch f {
	case outputJSON:
		return p.WriteJSON(w)
	case outputYAML:
		return p.WriteYAML(w)
	default:
		return p.WriteTable(w)
	}
}

// encodeJSON writes v as one line of JSON, as Helm's -o json does.
func encodeJSON(w io.Writer, v any) error {
	if err := json.NewEncoder(w).Encode(v); err != nil {
		return fmt.Errorf("json output: %w", err)
	}
	return nil
}

// encodeYAML writes v as YAML, going through its JSON form, as Helm's -o yaml does.
func encodeYAML(w io.Writer, v any) error {
	b, err := yaml.Marshal(v)
	if err != nil {
		return fmt.Errorf("yaml output: %w", err)
	}
	_, err = w.Write(b)
	return err
}

// table lays out rows as Helm's tables do: every cell padded with spaces to
// the width of its column (the last one included), cells separated by a
// tab, and a newline after every row.
type table struct {
	rows [][]string
	// sep separates cells; empty means a tab, as in Helm.
	sep string
}

// row appends a row of cells, formatted with %v, each on one line (see
// oneLine).
func (t *table) row(cells ...any) {
	r := make([]string, len(cells))
	for i, c := range cells {
		r[i] = oneLine(fmt.Sprint(c))
	}
	t.rows = append(t.rows, r)
}

// oneLine returns a cell's text with its line breaks, tabs and other
// control characters escaped as in a Go string ("a\nb" shows as a\nb),
// so that a multi-line value (a --description, a failure message) keeps its
// row on one line and the columns aligned, and reads back unambiguously.
// Helm prints such a value as it is, breaking its table; -o json and -o yaml
// keep the text as it is.
func oneLine(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case unicode.IsControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// String returns the laid-out table.
func (t *table) String() string {
	var widths []int
	for _, r := range t.rows {
		for i, c := range r {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, r := range t.rows {
		for i, c := range r {
			if i > 0 {
				if t.sep == "" {
					b.WriteByte('\t')
				} else {
					b.WriteString(t.sep)
				}
			}
			b.WriteString(c)
			b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)))
		}
		if t.sep != "" {
			// Only Helm's tab-separated tables keep the padding of the last cell.
			trimmed := strings.TrimRight(b.String(), " ")
			b.Reset()
			b.WriteString(trimmed)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// write prints the table; an empty table is an empty line, as in Helm.
func (t *table) write(w io.Writer) error {
	s := t.String()
	if s == "" {
		s = "\n"
	}
	_, err := io.WriteString(w, s)
	return err
}
