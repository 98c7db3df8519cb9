package lint

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Severity is how much a finding matters.
type Severity int

// The severities, from least to most severe, as Helm names them.
const (
	// Info is advice; it never fails a lint.
	Info Severity = iota + 1
	// Warning is something that works but should change; it fails a lint
	// only when warnings are errors (--strict).
	Warning
	// Error is something that will not work; it fails a lint.
	Error
)

// String returns the severity as Helm prints it: "INFO", "WARNING", "ERROR".
func (s Severity) String() string {
	switch s {
	case Info:
		return "INFO"
	case Warning:
		return "WARNING"
	case Error:
		return "ERROR"
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// MarshalJSON writes the severity as its lower-case name.
func (s Severity) MarshalJSON() ([]byte, error) {
	return json.Marshal(strings.ToLower(s.String()))
}

// UnmarshalJSON reads a severity written by MarshalJSON.
func (s *Severity) UnmarshalJSON(data []byte) error {
	var name string
	if err := json.Unmarshal(data, &name); err != nil {
		return err
	}
	for _, v := range []Severity{Info, Warning, Error} {
		if strings.EqualFold(name, v.String()) {
			*s = v
			return nil
		}
	}
	return fmt.Errorf("unknown severity %q: use info, warning or error", name)
}

// Finding is one thing a rule found.
type Finding struct {
	// Rule is the id of the rule that found it, e.g. "object-schema-type".
	Rule string `json:"rule"`
	// Severity is the rule's.
	Severity Severity `json:"severity"`
	// File is the file at fault, relative to the chart's directory, e.g.
	// "Chart.yaml" or "templates/deployment.yaml"; for a subchart's
	// template, "charts/<name>/templates/...".
	File string `json:"file"`
	// Line is the line of File at fault, from 1; 0 when there is none.
	// For a rendered object it counts in the template's rendered output.
	Line int `json:"line,omitempty"`
	// Object names the rendered object at fault, as "Kind/name", if any.
	Object string `json:"object,omitempty"`
	// Message says what is wrong and, where there is one, the fix.
	Message string `json:"message"`
	// Values is the values file the chart was rendered with when the
	// finding was made, empty for the chart's defaults.
	Values string `json:"values,omitempty"`
}

// Location returns "file:line", or the file alone when there is no line.
func (f Finding) Location() string {
	if f.Line > 0 {
		return fmt.Sprintf("%s:%d", f.File, f.Line)
	}
	return f.File
}

// String returns the finding as `barge lint` prints it:
// "[ERROR] templates/x.yaml:12: message (rule)".
func (f Finding) String() string {
	msg := f.Message
	if f.Object != "" {
		msg = f.Object + ": " + msg
	}
	if f.Values != "" {
		msg += " (with values " + f.Values + ")"
	}
	return fmt.Sprintf("[%s] %s: %s [%s]", f.Severity, f.Location(), msg, f.Rule)
}

// Report is the lint of one chart.
type Report struct {
	// Chart is the chart as it was named: a path, repo/chart, a URL, or
	// for a subchart the parent's name followed by "/charts/<name>".
	Chart string `json:"chart"`
	// Findings are what the rules found, in the order the rules ran.
	Findings []Finding `json:"findings"`
}

// Failed reports whether the chart fails the lint: it has an error, or a
// warning when strict.
func (r Report) Failed(strict bool) bool {
	for _, f := range r.Findings {
		if f.Severity == Error || (strict && f.Severity == Warning) {
			return true
		}
	}
	return false
}
