package lint

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/bargehq/barge/pkg/chart"
	"github.com/bargehq/barge/pkg/kubeschema"
)

// readFixture reads a fixture chart of testdata/charts, without its
// expect file, which lists the findings the chart must produce as
// "rule file[:line]" lines.
func readFixture(t *testing.T, dir string) (files []*loader.BufferedFile, want []string) {
	t.Helper()
	all, err := chart.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range all {
		if f.Name == "expect" {
			for _, l := range strings.Split(strings.TrimSpace(string(f.Data)), "\n") {
				want = append(want, strings.TrimSpace(l))
			}
			continue
		}
		files = append(files, f)
	}
	if want == nil {
		t.Fatalf("%s has no expect file", dir)
	}
	return files, want
}

// TestFixtures lints each fixture chart, one per rule, and checks it
// produces exactly the findings its expect file lists.
func TestFixtures(t *testing.T) {
	s, err := kubeschema.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := filepath.Glob("testdata/charts/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	covered := map[string]bool{}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			files, want := readFixture(t, dir)
			reports := Chart(context.Background(), dir, files, Options{Schema: s})
			var got []string
			for _, f := range reports[0].Findings {
				got = append(got, f.Rule+" "+f.Location())
				covered[f.Rule] = true
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s\nall findings:\n%s", diff, findingLines(reports[0].Findings))
			}
		})
	}
	for _, r := range Rules() {
		if !covered[r.ID] {
			t.Errorf("rule %s has no fixture under testdata/charts that finds it", r.ID)
		}
	}
}

func findingLines(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintln(&b, f)
	}
	return b.String()
}

// TestRulesDocumented checks every rule has a unique id, a severity and
// a doc line.
func TestRulesDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range ruleList {
		if seen[r.ID] {
			t.Errorf("rule %s is defined twice", r.ID)
		}
		seen[r.ID] = true
		if r.Doc == "" || strings.Contains(r.Doc, "\n") || !slices.Contains([]Severity{Info, Warning, Error}, r.Severity) {
			t.Errorf("rule %s: a one-line doc and a severity are required: %+v", r.ID, r)
		}
	}
}

var _ = os.ReadFile
