package lint

import (
	"encoding/json"
	"fmt"
	"io"
	"path"
)

// WriteText writes reports as `helm lint` prints them: for each chart a
// "==> Linting <chart>" line and its findings, one per line, then a blank
// line. With quiet, charts without warnings or errors are left out, and
// so are INFO findings.
func WriteText(w io.Writer, reports []Report, quiet bool) error {
	for _, r := range reports {
		if quiet && !r.Failed(true) {
			continue
		}
		if _, err := fmt.Fprintf(w, "==> Linting %s\n", r.Chart); err != nil {
			return err
		}
		for _, f := range r.Findings {
			if quiet && f.Severity == Info {
				continue
			}
			if _, err := fmt.Fprintln(w, f); err != nil {
				return err
			}
		}
		if _, err := fmt.Fprintln(w); err != nil {
			return err
		}
	}
	return nil
}

// Summary is the outcome of linting several charts.
type Summary struct {
	// Charts is how many charts were linted.
	Charts int `json:"charts"`
	// Failed is how many failed.
	Failed int `json:"failed"`
	// Errors, Warnings and Infos count the findings by severity.
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Infos    int `json:"infos"`
}

// Summarize counts reports and their findings; strict counts warnings as
// failing.
func Summarize(reports []Report, strict bool) Summary {
	s := Summary{Charts: len(reports)}
	for _, r := range reports {
		if r.Failed(strict) {
			s.Failed++
		}
		for _, f := range r.Findings {
			switch f.Severity {
			case Error:
				s.Errors++
			case Warning:
				s.Warnings++
			case Info:
				s.Infos++
			}
		}
	}
	return s
}

// String returns Helm's closing line: "1 chart(s) linted, 0 chart(s) failed".
func (s Summary) String() string {
	return fmt.Sprintf("%d chart(s) linted, %d chart(s) failed", s.Charts, s.Failed)
}

// WriteJSON writes the reports and their summary as one JSON object:
// {"charts": [reports], "summary": {...}}.
func WriteJSON(w io.Writer, reports []Report, strict bool) error {
	if reports == nil {
		reports = []Report{}
	}
	for i := range reports {
		if reports[i].Findings == nil {
			reports[i].Findings = []Finding{}
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Charts  []Report `json:"charts"`
		Summary Summary  `json:"summary"`
	}{reports, Summarize(reports, strict)})
}

// SARIFTool names the program in a SARIF log.
type SARIFTool struct {
	// Name is the program's name, e.g. "barge".
	Name string
	// Version is its version.
	Version string
	// InformationURI is where to read about it.
	InformationURI string
}

// The SARIF 2.1.0 log, as much of it as barge writes.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool    sarifToolWrap `json:"tool"`
		Results []sarifResult `json:"results"`
	}
	sarifToolWrap struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		Version        string      `json:"version,omitempty"`
		InformationURI string      `json:"informationUri,omitempty"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID                   string       `json:"id"`
		ShortDescription     sarifMessage `json:"shortDescription"`
		DefaultConfiguration sarifConfig  `json:"defaultConfiguration"`
	}
	sarifConfig struct {
		Level string `json:"level"`
	}
	sarifMessage struct {
		Text string `json:"text"`
	}
	sarifResult struct {
		RuleID    string          `json:"ruleId"`
		RuleIndex int             `json:"ruleIndex"`
		Level     string          `json:"level"`
		Message   sarifMessage    `json:"message"`
		Locations []sarifLocation `json:"locations"`
	}
	sarifLocation struct {
		PhysicalLocation sarifPhysical `json:"physicalLocation"`
	}
	sarifPhysical struct {
		ArtifactLocation sarifArtifact `json:"artifactLocation"`
		Region           *sarifRegion  `json:"region,omitempty"`
	}
	sarifArtifact struct {
		URI string `json:"uri"`
	}
	sarifRegion struct {
		StartLine int `json:"startLine"`
	}
)

// sarifLevel is SARIF's name for a severity.
func sarifLevel(s Severity) string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "note"
}

// WriteSARIF writes the reports as a SARIF 2.1.0 log with one run, for
// code scanning in CI: every rule of the catalogue, and a result per
// finding located at the chart's path joined with the finding's file, so
// that a chart linted from its repository's checkout points at the file
// in the repository.
func WriteSARIF(w io.Writer, reports []Report, tool SARIFTool) error {
	rules := Rules()
	ruleIndex := make(map[string]int, len(rules))
	driver := sarifDriver{Name: tool.Name, Version: tool.Version, InformationURI: tool.InformationURI, Rules: make([]sarifRule, len(rules))}
	for i, r := range rules {
		ruleIndex[r.ID] = i
		driver.Rules[i] = sarifRule{ID: r.ID, ShortDescription: sarifMessage{r.Doc}, DefaultConfiguration: sarifConfig{sarifLevel(r.Severity)}}
	}
	results := []sarifResult{}
	for _, r := range reports {
		for _, f := range r.Findings {
			msg := f.Message
			if f.Object != "" {
				msg = f.Object + ": " + msg
			}
			if f.Values != "" {
				msg += " (with values " + f.Values + ")"
			}
			loc := sarifPhysical{ArtifactLocation: sarifArtifact{URI: path.Join(r.Chart, f.File)}}
			if f.Line > 0 {
				loc.Region = &sarifRegion{StartLine: f.Line}
			}
			results = append(results, sarifResult{
				RuleID:    f.Rule,
				RuleIndex: ruleIndex[f.Rule],
				Level:     sarifLevel(f.Severity),
				Message:   sarifMessage{msg},
				Locations: []sarifLocation{{PhysicalLocation: loc}},
			})
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{{Tool: sarifToolWrap{driver}, Results: results}},
	})
}
