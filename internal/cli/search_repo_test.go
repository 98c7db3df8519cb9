package cli

import (
	"os"
	"strings"
	"testing"
)

// TestSearchRepoMatchesHelm runs the same searches with barge and with
// helm 3.22 on the same repositories (one indexed by barge, one by helm,
// and one configured but never downloaded) and wants the same standard
// output and exit code: tables with their column widths and cut
// descriptions (wide characters included), JSON and YAML, and "No results
// found".
func TestSearchRepoMatchesHelm(t *testing.T) {
	t.Parallel()
	e := newRepoEnv(t)
	b := newRepoServer(t, e.indexedCharts(""), "", "")
	h := newRepoServer(t, e.indexedCharts("v3.22.0"), "", "")

	_, _, err := e.barge("search", "repo", "web")
	if err == nil || !strings.HasPrefix(err.Error(), "no repositories configured") {
		t.Errorf("search repo without repositories: %v", err)
	}

	e.mustBarge("repo", "add", "b", b.URL)
	e.mustBarge("repo", "add", "h", h.URL)
	// A repository whose index was never downloaded: both skip it.
	f, err := os.OpenFile(e.configFile(), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("- name: missing\n  url: http://127.0.0.1:1\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()

	queries := [][]string{
		{},
		{"web"},
		{"WEB"},
		{"b/"},
		{"web", "--versions"},
		{"-l"},
		{"--version", "^1"},
		{"--version", "^1", "--versions"},
		{"--version", "~0.9", "db"},
		{"--version", "1.0.0"},
		{"--devel"},
		{"db", "--devel", "--versions"},
		{"--devel", "--version", "<1"},
		{"--regexp", "d[b]"},
		{"-r", "^h/"},
		{"-r", "Web"},
		{"sql"},
		{"redis"},
		{"web", "cache"},
		{"-o", "json"},
		{"-o", "json", "--versions", "--devel"},
		{"-o", "yaml", "db"},
		{"--max-col-width", "20", "--versions"},
		{"--max-col-width", "0"},
		{"--max-col-width", "3", "db"},
		{"zzz"},
		{"zzz", "-o", "json"},
		{"zzz", "-o", "yaml"},
		{"--version", ">=5"},
		{"--fail-on-no-result", "zzz"},
		{"--fail-on-no-result", "zzz", "-o", "json"},
	}
	for _, q := range queries {
		args := append([]string{"search", "repo"}, q...)
		want, _, wantCode := e.helm("v3.22.0", args...)
		got, errOut, err := e.barge(args...)
		if got != want || exitCode(err) != wantCode {
			t.Errorf("search repo %s: barge (exit %d, %v):\n%s\nhelm (exit %d):\n%s", strings.Join(q, " "), exitCode(err), err, got, wantCode, want)
		}
		if !strings.Contains(errOut, `WARNING: repository "missing" is corrupt or missing, not searched`) {
			t.Errorf("search repo %s: no warning for the repository never downloaded:\n%s", strings.Join(q, " "), errOut)
		}
	}

	_, _, err = e.barge("search", "repo", "--version", "not a range")
	if err == nil || !strings.Contains(err.Error(), "an invalid version/constraint format") {
		t.Errorf("search repo --version 'not a range': %v", err)
	}
	_, _, err = e.barge("search", "repo", "-r", "a(b")
	if err == nil || !strings.Contains(err.Error(), "fix the regular expression") {
		t.Errorf("search repo -r 'a(b': %v", err)
	}
}

// TestSearchRepoTable checks the table's layout on its own: columns as
// wide as their widest cell in terminal cells, a cell over --max-col-width
// cut with "...".
func TestSearchRepoTable(t *testing.T) {
	tests := []struct {
		name string
		max  int
		rows [][]string
		want string
	}{
		{"padded", 0, [][]string{{"NAME", "X"}, {"a", "yy"}}, "NAME\tX \na   \tyy\n"},
		{"cut", 8, [][]string{{"D"}, {"abcdefghijkl"}}, "D       \nabcde...\n"},
		{"wide characters count twice", 0, [][]string{{"D", "E"}, {"データ", "x"}}, "D     \tE\nデータ\tx\n"},
		{"combining marks count none", 0, [][]string{{"D", "E"}, {"e\u0301", "x"}}, "D\tE\ne\u0301\tx\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tb := &repoTable{maxWidth: tc.max}
			for _, r := range tc.rows {
				tb.row(r...)
			}
			if got := tb.String(); got != tc.want {
				t.Errorf("got\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}
