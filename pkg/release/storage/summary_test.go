package storage

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart"

	"github.com/bargehq/barge/pkg/release"
)

// timeText compares times as the list and history tables print them
// (time.Time.String, with the zone), not merely as instants.
var timeText = cmp.Transformer("String", func(t time.Time) string { return t.String() })

// TestSummaryAnnotationReadsAsTheRecord checks that the summary kept in the
// annotation is, field for field and time zone for time zone, the one
// decoding the record gives.
func TestSummaryAnnotationReadsAsTheRecord(t *testing.T) {
	cest := time.FixedZone("", 2*60*60)
	tests := []struct {
		name string
		rls  func() *release.Release
	}{
		{"deployed", func() *release.Release { return rev("apps", "web", 3, release.StatusDeployed) }},
		{"times with nanoseconds in another zone", func() *release.Release {
			r := rev("apps", "web", 2, release.StatusFailed)
			r.Info.FirstDeployed = time.Date(2025, 3, 30, 1, 59, 59, 123456789, cest)
			r.Info.LastDeployed = time.Date(2025, 3, 30, 3, 0, 0, 1, cest)
			return r
		}},
		{"uninstalled, with a deletion time", func() *release.Release {
			r := rev("apps", "web", 4, release.StatusUninstalled)
			r.Info.Deleted = testEpoch.Add(time.Hour)
			r.Info.Description = "Uninstallation complete"
			return r
		}},
		{"zero times", func() *release.Release {
			r := rev("apps", "web", 1, release.StatusPendingInstall)
			r.Info.FirstDeployed, r.Info.LastDeployed = time.Time{}, time.Time{}
			return r
		}},
		{"description with quotes, newline and non-ASCII", func() *release.Release {
			r := rev("apps", "web", 5, release.StatusFailed)
			r.Info.Description = "Upgrade \"web\" failed: <timeout>\nrollback déjà vu"
			return r
		}},
		{"no chart", func() *release.Release {
			r := rev("apps", "web", 1, release.StatusDeployed)
			r.Chart = nil
			return r
		}},
		{"chart without metadata", func() *release.Release {
			r := rev("apps", "web", 1, release.StatusDeployed)
			r.Chart = &chart.Chart{}
			return r
		}},
		{"chart without app version", func() *release.Release {
			r := rev("apps", "web", 1, release.StatusDeployed)
			r.Chart.Metadata.AppVersion = ""
			return r
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rls := tt.rls()
			rls.Labels = map[string]string{"team": "blue"}
			data, err := Encode(rls)
			if err != nil {
				t.Fatal(err)
			}
			want, err := decodeSummary(data)
			if err != nil {
				t.Fatal(err)
			}
			want.Labels = map[string]string{"team": "blue"}

			ann, ok := summaryAnnotation(rls)
			if !ok {
				t.Fatal("no summary annotation")
			}
			lbs := recordLabels(rls, labelCreatedAt, testEpoch)
			rec := recordMeta{
				namespace: "apps", name: rls.Name, objName: Key(rls.Name, rls.Version),
				revision: rls.Version, status: rls.Info.Status, labels: lbs, summary: ann,
			}
			got, ok := rec.trustedSummary()
			if !ok {
				t.Fatalf("annotation %s not trusted", ann)
			}
			if diff := cmp.Diff(want, got, timeText); diff != "" {
				t.Errorf("summary from the annotation (-decoded record +annotation):\n%s", diff)
			}
		})
	}
}

func TestSummaryAnnotationNotWritten(t *testing.T) {
	tests := []struct {
		name string
		rls  func() *release.Release
	}{
		{"no info", func() *release.Release {
			r := rev("apps", "web", 1, release.StatusDeployed)
			r.Info = nil
			return r
		}},
		{"description too long", func() *release.Release {
			r := rev("apps", "web", 1, release.StatusFailed)
			r.Info.Description = strings.Repeat("x", maxSummaryAnnotation)
			return r
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if ann, ok := summaryAnnotation(tt.rls()); ok {
				t.Errorf("summaryAnnotation = %.80s..., want none", ann)
			}
		})
	}
}

// TestSummaryAnnotationTrust checks that a summary is used only while the
// labels still describe the revision it was written for.
func TestSummaryAnnotationTrust(t *testing.T) {
	rls := rev("apps", "web", 2, release.StatusDeployed)
	ann, ok := summaryAnnotation(rls)
	if !ok {
		t.Fatal("no summary annotation")
	}
	fresh := recordMeta{
		namespace: "apps", name: "web", objName: Key("web", 2), revision: 2,
		status: release.StatusDeployed, labels: recordLabels(rls, labelCreatedAt, testEpoch), summary: ann,
	}
	tests := []struct {
		name   string
		change func(r *recordMeta)
		want   bool
	}{
		{"labels as written", func(*recordMeta) {}, true},
		{"status label changed", func(r *recordMeta) { r.status = release.StatusSuperseded }, false},
		{"revision differs", func(r *recordMeta) { r.revision = 3 }, false},
		{"release name differs", func(r *recordMeta) { r.name = "db" }, false},
		{"no annotation", func(r *recordMeta) { r.summary = "" }, false},
		{"not JSON", func(r *recordMeta) { r.summary = "deployed" }, false},
		{"no info", func(r *recordMeta) { r.summary = `{"name":"web","version":2}` }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fresh
			tt.change(&r)
			if _, got := r.trustedSummary(); got != tt.want {
				t.Errorf("trusted = %v, want %v", got, tt.want)
			}
		})
	}
}
