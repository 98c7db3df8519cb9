package repo

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bargehq/barge/pkg/chart/archive"
	"github.com/bargehq/barge/pkg/repo/getter"
	"github.com/bargehq/barge/pkg/repo/internal/repotest"
)

// chartDir makes a directory of chart archives: two at the top, one in a
// subdirectory, one two levels down (not indexed), a file that is not a
// chart, and other files.
func chartDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write := func(rel string, data []byte) {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("alpine-0.1.0.tgz", repotest.Archive(t, "alpine", "0.1.0", "description: Alpine\nkeywords: [linux]\n"))
	write("alpine-0.2.0.tgz", repotest.Archive(t, "alpine", "0.2.0", "description: Alpine\nappVersion: \"3.19\"\n"))
	write("sub/nginx-1.0.0.tgz", repotest.Archive(t, "nginx", "1.0.0", "description: NGINX\nmaintainers:\n- name: Ann\n  email: ann@example.com\n"))
	write("sub/deeper/redis-1.0.0.tgz", repotest.Archive(t, "redis", "1.0.0", ""))
	write("broken.tgz", []byte("not gzip"))
	write("README.md", []byte("charts"))
	return dir
}

var fixedNow = func() time.Time { return time.Date(2025, 2, 3, 4, 5, 6, 7, time.UTC) }

func entrySummary(idx *Index) []string {
	var out []string
	for name, cvs := range idx.Entries {
		for _, cv := range cvs {
			out = append(out, name+" "+cv.Version+" "+strings.Join(cv.URLs, ",")+" "+cv.Digest[:12])
		}
	}
	sort.Strings(out)
	return out
}

func TestIndexDirectory(t *testing.T) {
	dir := chartDir(t)
	for _, base := range []string{"", "https://charts.example.com/stable/"} {
		t.Run(base, func(t *testing.T) {
			idx, err := IndexDirectory(context.Background(), dir, base, fixedNow)
			if err != nil {
				t.Fatal(err)
			}
			prefix := ""
			if base != "" {
				prefix = "https://charts.example.com/stable/"
			}
			var got []string
			for name, cvs := range idx.Entries {
				for _, cv := range cvs {
					got = append(got, name+" "+cv.Version+" "+cv.URLs[0])
					if len(cv.Digest) != 64 || !cv.Created.Equal(fixedNow()) {
						t.Errorf("%s %s: digest %q created %v", name, cv.Version, cv.Digest, cv.Created)
					}
				}
			}
			sort.Strings(got)
			want := []string{"alpine 0.1.0 " + prefix + "alpine-0.1.0.tgz", "alpine 0.2.0 " + prefix + "alpine-0.2.0.tgz", "nginx 1.0.0 " + prefix + "sub/nginx-1.0.0.tgz"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
			if len(idx.Skipped) != 1 || !strings.Contains(idx.Skipped[0].Error(), `chart "broken.tgz": not a chart archive`) {
				t.Errorf("skipped: %v", idx.Skipped)
			}
		})
	}
}

// TestGenerateIndexLikeHelm indexes the same directory with barge and with
// "helm repo index" and compares the entries; then each reads the other's
// index.
func TestGenerateIndexLikeHelm(t *testing.T) {
	helm := helmBinary(t, "v3.22.0")
	dir := chartDir(t)
	helmDir := t.TempDir()
	paths := Paths{Config: filepath.Join(helmDir, "repositories.yaml"), Cache: filepath.Join(helmDir, "cache")}

	// A chart as "helm create" and "helm package" make it, too.
	work := t.TempDir()
	runHelm(t, helm, paths, "create", filepath.Join(work, "made"))
	runHelm(t, helm, paths, "package", filepath.Join(work, "made"), "--destination", filepath.Join(dir, "packaged"))

	runHelm(t, helm, paths, "repo", "index", dir, "--url", "https://charts.example.com")
	helmData, err := os.ReadFile(filepath.Join(dir, "index.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	helmIdx, err := ParseIndex(helmData, "helm's index")
	if err != nil {
		t.Fatal(err)
	}
	if len(helmIdx.Skipped) != 0 {
		t.Errorf("helm's index: %v", helmIdx.Skipped)
	}
	os.Remove(filepath.Join(dir, "index.yaml"))

	idx, err := GenerateIndex(context.Background(), dir, IndexOptions{URL: "https://charts.example.com", Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(entrySummary(helmIdx), entrySummary(idx)); diff != "" {
		t.Errorf("helm (-) vs barge (+)\n%s", diff)
	}
	for name, cvs := range helmIdx.Entries {
		for i, cv := range cvs {
			mine := idx.Entries[name][i]
			if diff := cmp.Diff(cv.Metadata, mine.Metadata); diff != "" {
				t.Errorf("%s %s metadata: helm (-) vs barge (+)\n%s", name, cv.Version, diff)
			}
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "index.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Same layout as Helm's file, but for the timestamps.
	stamp := func(b []byte) string {
		var lines []string
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, "created:") || strings.HasPrefix(l, "generated:") {
				l = l[:strings.Index(l, ":")]
			}
			lines = append(lines, l)
		}
		return strings.Join(lines, "\n")
	}
	if diff := cmp.Diff(stamp(helmData), stamp(data)); diff != "" {
		t.Errorf("index.yaml: helm (-) vs barge (+)\n%s", diff)
	}

	// Helm merges into barge's index, and searches it.
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "extra-1.0.0.tgz"), repotest.Archive(t, "extra", "1.0.0", ""), 0o644)
	runHelm(t, helm, paths, "repo", "index", other, "--merge", filepath.Join(dir, "index.yaml"))
	merged, err := os.ReadFile(filepath.Join(other, "index.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if mi, err := ParseIndex(merged, "merged"); err != nil || len(mi.Entries) != 4 {
		t.Fatalf("helm's merge of barge's index: %v %v", err, mi)
	}
	for _, h := range []string{helm, helmBinary(t, "v4.3.1")} {
		srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
		hp := Paths{Config: filepath.Join(t.TempDir(), "repositories.yaml"), Cache: filepath.Join(t.TempDir(), "cache")}
		runHelm(t, h, hp, "repo", "add", "barge", srv.URL)
		out := runHelm(t, h, hp, "search", "repo", "barge/", "--versions")
		for _, want := range []string{"barge/alpine\t0.2.0", "barge/alpine\t0.1.0", "barge/nginx \t1.0.0"} {
			if !strings.Contains(strings.ReplaceAll(out, " ", ""), strings.ReplaceAll(want, " ", "")) {
				t.Errorf("%s search repo: no %q in\n%s", filepath.Base(h), want, out)
			}
		}
		srv.Close()
	}
}

func TestGenerateIndexMerge(t *testing.T) {
	dir := chartDir(t)
	mergeFile := filepath.Join(t.TempDir(), "old.yaml")
	old := `apiVersion: v1
entries:
  alpine:
  - name: alpine
    version: 0.1.0
    urls: [https://old.example.com/alpine-0.1.0.tgz]
    digest: 0000
    created: "2020-01-01T00:00:00Z"
  - name: alpine
    version: 0.0.1
    urls: [https://old.example.com/alpine-0.0.1.tgz]
    created: "2020-01-01T00:00:00Z"
generated: "2020-01-01T00:00:00Z"
`
	os.WriteFile(mergeFile, []byte(old), 0o644)
	idx, err := GenerateIndex(context.Background(), dir, IndexOptions{Merge: mergeFile, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, cv := range idx.Entries["alpine"] {
		got = append(got, cv.Version+" "+cv.URLs[0])
	}
	want := []string{"0.2.0 alpine-0.2.0.tgz", "0.1.0 alpine-0.1.0.tgz", "0.0.1 https://old.example.com/alpine-0.0.1.tgz"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if !idx.Entries["alpine"][1].Created.Equal(fixedNow()) {
		t.Errorf("a changed archive keeps the old created time")
	}

	// Indexing again with the result as the merge file changes nothing.
	first, _ := os.ReadFile(filepath.Join(dir, "index.yaml"))
	keep := filepath.Join(t.TempDir(), "index.yaml")
	os.WriteFile(keep, first, 0o644)
	later := func() time.Time { return fixedNow().Add(time.Hour) }
	if _, err := GenerateIndex(context.Background(), dir, IndexOptions{Merge: keep, Now: later}); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(filepath.Join(dir, "index.yaml"))
	strip := func(b []byte) string { return strings.SplitN(string(b), "generated:", 2)[0] }
	if diff := cmp.Diff(strip(first), strip(second)); diff != "" {
		t.Errorf("re-index (-first +second)\n%s", diff)
	}

	// A missing merge file is an empty index; a broken one an error.
	if _, err := GenerateIndex(context.Background(), dir, IndexOptions{Merge: filepath.Join(t.TempDir(), "none.yaml")}); err != nil {
		t.Errorf("missing merge file: %v", err)
	}
	os.WriteFile(mergeFile, []byte("entries: {}"), 0o644)
	if _, err := GenerateIndex(context.Background(), dir, IndexOptions{Merge: mergeFile}); err == nil || !strings.HasPrefix(err.Error(), "merge failed: "+mergeFile+": no API version specified") {
		t.Errorf("broken merge file: %v", err)
	}

	// JSON, as --json.
	if _, err := GenerateIndex(context.Background(), dir, IndexOptions{JSON: true}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "index.yaml"))
	if !strings.HasPrefix(string(data), "{\n  \"apiVersion\": \"v1\",") {
		t.Errorf("JSON index starts %q", data[:40])
	}
	if _, err := ParseIndex(data, "json"); err != nil {
		t.Error(err)
	}
}

func TestArchiveLimitAgrees(t *testing.T) {
	if got, want := getter.DefaultMaxArchiveSize, archive.DefaultLimits().MaxArchive; got != want {
		t.Errorf("getter.DefaultMaxArchiveSize = %d, archive's default limit %d: a download the loader refuses", got, want)
	}
}
