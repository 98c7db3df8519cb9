package cli

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bargehq/barge/pkg/chart/archive"
	"github.com/bargehq/barge/pkg/repo"
)

// TestRepoUpdate updates three repositories, one of which has gone: the
// others are updated and reported in order, the failure is reported with
// Helm's words, and the exit is non-zero (as Helm 4, and Helm 3 with
// --fail-on-repo-update-fail).
func TestRepoUpdate(t *testing.T) {
	t.Parallel()
	e := newRepoEnv(t)
	charts := e.indexedCharts("")
	a := newRepoServer(t, charts, "", "")
	gone := newRepoServer(t, charts, "", "")
	c := newRepoServer(t, charts, "", "")

	_, _, err := e.barge("repo", "update")
	if want := "no repositories found. You must add one before updating"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("repo update without repositories: %v, want %q", err, want)
	}
	e.mustBarge("repo", "add", "a", a.URL)
	e.mustBarge("repo", "add", "gone", gone.URL)
	e.mustBarge("repo", "add", "c", c.URL)
	gone.Close()

	// A chart published since the add is seen after the update.
	publishChart(t, charts, "queue", "1.0.0")
	e.mustBarge("repo", "index", charts)

	for _, flags := range [][]string{nil, {"--fail-on-repo-update-fail"}} {
		out, _, err := e.barge(append([]string{"repo", "update"}, flags...)...)
		want := "Hang tight while we grab the latest from your chart repositories...\n" +
			"...Successfully got an update from the \"a\" chart repository\n" +
			"...Unable to get an update from the \"gone\" chart repository (" + gone.URL + "):\n\trepository \"gone\": GET " + gone.URL + "/index.yaml: "
		if !strings.HasPrefix(out, want) || !strings.HasSuffix(out, "...Successfully got an update from the \"c\" chart repository\n") || strings.Count(out, "\n") != 5 {
			t.Errorf("repo update %s: stdout\n%s\nwant it to start with\n%s", flags, out, want)
		}
		if want := "failed to update the following repositories: gone; their cached indexes are unchanged"; err == nil || err.Error() != want || exitCode(err) != 1 {
			t.Errorf("repo update %s: error %v, want %q and exit 1", flags, err, want)
		}
	}
	if out := e.mustBarge("search", "repo", "queue"); !strings.Contains(out, "a/queue") || !strings.Contains(out, "c/queue") {
		t.Errorf("the updated indexes are not searched:\n%s", out)
	}

	out := e.mustBarge("repo", "up", "c", "a")
	if want := "Hang tight while we grab the latest from your chart repositories...\n" +
		"...Successfully got an update from the \"a\" chart repository\n" +
		"...Successfully got an update from the \"c\" chart repository\n" +
		"Update Complete. ⎈Happy Helming!⎈\n"; out != want {
		t.Errorf("repo update c a:\n%s\nwant\n%s", out, want)
	}
	out, _, err = e.barge("repo", "update", "a", "nope")
	if want := "no repositories found matching 'nope'. Nothing will be updated"; err == nil || !strings.HasPrefix(err.Error(), want) || out != "" {
		t.Errorf("repo update nope: %v (stdout %q), want %q", err, out, want)
	}
}

// publishChart packages a small chart into a repository's directory.
func publishChart(t *testing.T, dir, name, version string) {
	t.Helper()
	src := filepath.Join(t.TempDir(), name)
	writeChart(t, src, name, version, "A "+name, "")
	if _, err := archive.Package(src, dir, archive.PackageOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestRepoRemove removes repositories and their cached files; a name that
// is not configured removes nothing.
func TestRepoRemove(t *testing.T) {
	t.Parallel()
	e := newRepoEnv(t)
	charts := e.indexedCharts("")
	srv := newRepoServer(t, charts, "", "")
	e.mustBarge("repo", "add", "a", srv.URL)
	e.mustBarge("repo", "add", "b", srv.URL)
	e.mustBarge("search", "repo", "web") // writes the compact indexes
	paths := repo.Paths{Cache: e.cacheDir()}
	cached := func(name string) []string {
		var files []string
		for _, f := range []string{paths.IndexFile(name), paths.ChartsFile(name), paths.CompactFile(name)} {
			if _, err := os.Stat(f); err == nil {
				files = append(files, filepath.Base(f))
			}
		}
		return files
	}
	if got := cached("a"); len(got) != 3 {
		t.Fatalf("cache of a before remove: %v", got)
	}

	before := e.config()
	out, _, err := e.barge("repo", "remove", "a", "nope")
	if want := `no repo named "nope" found; nothing removed`; err == nil || !strings.HasPrefix(err.Error(), want) || out != "" {
		t.Errorf("repo remove a nope: %v (stdout %q), want %q", err, out, want)
	}
	if e.config() != before || len(cached("a")) != 3 {
		t.Error("a refused remove changed the repositories or the cache")
	}

	if out := e.mustBarge("repo", "rm", "a"); out != "\"a\" has been removed from your repositories\n" {
		t.Errorf("repo remove a: %q", out)
	}
	if got := cached("a"); len(got) != 0 {
		t.Errorf("cache files of a left after remove: %v", got)
	}
	if got := cached("b"); len(got) != 3 {
		t.Errorf("cache of b touched by the remove of a: %v", got)
	}
	if c := e.config(); strings.Contains(c, "name: a\n") || !strings.Contains(c, "name: b\n") {
		t.Errorf("repositories.yaml after remove a:\n%s", c)
	}
	e.mustBarge("repo", "remove", "b")
	_, _, err = e.barge("repo", "remove", "b")
	if err == nil || err.Error() != "no repositories configured" {
		t.Errorf("repo remove with none configured: %v", err)
	}
}

// TestRepoList lists repositories as Helm does, with credentials and tokens
// in URLs masked, and refuses an empty table as Helm 3 does.
func TestRepoList(t *testing.T) {
	t.Parallel()
	e := newRepoEnv(t)
	_, _, err := e.barge("repo", "list")
	if err == nil || err.Error() != "no repositories to show" || exitCode(err) != 1 {
		t.Errorf("repo list without repositories: %v", err)
	}
	for _, f := range []string{"json", "yaml"} {
		if out := e.mustBarge("repo", "list", "-o", f); out != "[]\n" {
			t.Errorf("repo list -o %s without repositories: %q", f, out)
		}
	}

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("apiVersion: v1\nentries: {}\n"))
	}))
	t.Cleanup(srv.Close)
	secret := strings.Replace(srv.URL, "http://", "http://bob:pw-in-url@", 1)
	e.mustBarge("repo", "add", "plain", srv.URL)
	e.mustBarge("repo", "add", "secret", secret)
	e.mustBarge("repo", "add", "signed", srv.URL+"/charts?token=tok-in-query")
	masked := strings.Replace(srv.URL, "http://", "http://bob:xxxxx@", 1)

	tests := []struct{ format, want string }{
		{"table", padTable([][]string{{"NAME", "URL"}, {"plain", srv.URL}, {"secret", masked}, {"signed", srv.URL + "/charts?token=xxxxx"}})},
		{"json", `[{"name":"plain","url":"` + srv.URL + `"},{"name":"secret","url":"` + masked + `"},{"name":"signed","url":"` + srv.URL + `/charts?token=xxxxx"}]` + "\n"},
		{"yaml", "- name: plain\n  url: " + srv.URL + "\n- name: secret\n  url: " + masked + "\n- name: signed\n  url: " + srv.URL + "/charts?token=xxxxx\n"},
	}
	for _, tc := range tests {
		out := e.mustBarge("repo", "ls", "-o", tc.format)
		if out != tc.want {
			t.Errorf("repo list -o %s:\n%q\nwant\n%q", tc.format, out, tc.want)
		}
		if strings.Contains(out, "pw-in-url") || strings.Contains(out, "tok-in-query") {
			t.Errorf("repo list -o %s shows a credential:\n%s", tc.format, out)
		}
	}
}

// padTable lays rows out as Helm's tables: cells padded to their column's
// width and separated by a tab (ASCII only).
func padTable(rows [][]string) string {
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len(c))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		for i, c := range r {
			if i > 0 {
				b.WriteByte('\t')
			}
			b.WriteString(c + strings.Repeat(" ", widths[i]-len(c)))
		}
		b.WriteByte('\n')
	}
	return b.String()
}
