package storage

import (
	"encoding/json"

	"github.com/bargehq/barge/pkg/release"
)

// SummaryAnnotation is the annotation in which the Secrets store keeps, on
// each record it writes, the fields of the record's Summary, so that List and
// History read them from metadata without fetching and decoding the record.
//
// Its value is JSON in the record's own layout, reduced to those fields:
//
//	{"name":"web","info":{"first_deployed":"2025-06-15T15:06:40Z","last_deployed":"2025-06-15T15:06:40Z","deleted":"","description":"Install complete","status":"deployed"},"chart":{"metadata":{"name":"web","version":"0.1.0","appVersion":"1.0"}},"version":1,"namespace":"default"}
//
// Helm does not know it: Helm v3 and v4 replace the whole Secret when they
// update a record, dropping it. A summary is trusted only while its name,
// revision and status are those of the Secret's labels; otherwise the record
// is decoded.
const SummaryAnnotation = "barge.dev/summary"

// maxSummaryAnnotation is the size above which a summary is not written (a
// long description): such a record is decoded when listed.
const maxSummaryAnnotation = 16 << 10

// summaryRecord is what SummaryAnnotation holds, in the record's JSON layout
// so that leanRecord reads both.
type summaryRecord struct {
	Name      string        `json:"name"`
	Info      *release.Info `json:"info,omitempty"`
	Chart     *summaryChart `json:"chart,omitempty"`
	Version   int           `json:"version"`
	Namespace string        `json:"namespace"`
}

type summaryChart struct {
	Metadata *summaryChartMeta `json:"metadata,omitempty"`
}

type summaryChartMeta struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	AppVersion string `json:"appVersion,omitempty"`
}

// summaryAnnotation returns the value of SummaryAnnotation for rls, or false
// when there should be none. Times are written as in the record (by
// release.Info), so they read back exactly as decoding the record gives them.
func summaryAnnotation(rls *release.Release) (string, bool) {
	if rls.Info == nil {
		return "", false
	}
	rec := summaryRecord{
		Name: rls.Name, Version: rls.Version, Namespace: rls.Namespace,
		Info: &release.Info{
			FirstDeployed: rls.Info.FirstDeployed, LastDeployed: rls.Info.LastDeployed, Deleted: rls.Info.Deleted,
			Description: rls.Info.Description, Status: rls.Info.Status,
		},
	}
	if rls.Chart != nil {
		rec.Chart = &summaryChart{}
		if md := rls.Chart.Metadata; md != nil {
			rec.Chart.Metadata = &summaryChartMeta{Name: md.Name, Version: md.Version, AppVersion: md.AppVersion}
		}
	}
	b, err := json.Marshal(rec)
	if err != nil || len(b) > maxSummaryAnnotation {
		return "", false
	}
	return string(b), true
}

// trustedSummary returns the summary kept in the record's annotation, or
// false when there is none or it does not describe the record as its labels
// do now (another writer changed the record and kept the annotation).
func (r recordMeta) trustedSummary() (Summary, bool) {
	if r.summary == "" {
		return Summary{}, false
	}
	var lr leanRecord
	if err := json.Unmarshal([]byte(r.summary), &lr); err != nil {
		return Summary{}, false
	}
	if lr.Info == nil || lr.Name != r.name || lr.Version != r.revision || lr.Info.Status != r.status {
		return Summary{}, false
	}
	s := lr.summary()
	s.Labels = customLabels(r.labels)
	return s, true
}
