package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bargehq/barge/pkg/repo"
)

// TestRepoHelmInterop shares one repositories.yaml and cache between barge
// and the reference helm binaries: a repository added by barge is listed by
// helm 3.22 and 4.3, one added by helm is listed and searched by barge, and
// the two list the same table.
func TestRepoHelmInterop(t *testing.T) {
	t.Parallel()
	e := newRepoEnv(t)
	b := newRepoServer(t, e.indexedCharts(""), "", "")
	h := newRepoServer(t, e.indexedCharts("v3.22.0"), "", "")

	e.mustBarge("repo", "add", "frombarge", b.URL)
	for _, v := range []string{"v3.22.0", "v4.3.1"} {
		if out := e.mustHelm(v, "repo", "list"); !tableHasRow(out, "frombarge", b.URL) {
			t.Errorf("helm-%s repo list does not list barge's repository:\n%s", v, out)
		}
	}
	e.mustHelm("v3.22.0", "repo", "add", "fromhelm", h.URL)
	for _, args := range [][]string{{"repo", "list"}, {"repo", "list", "-o", "json"}, {"repo", "list", "-o", "yaml"}} {
		want := e.mustHelm("v3.22.0", args...)
		if got := e.mustBarge(args...); got != want {
			t.Errorf("barge %s:\n%s\nhelm-v3.22.0:\n%s", strings.Join(args, " "), got, want)
		}
	}

	// After helm rewrites the cached indexes, barge searches them (its
	// compact form is made anew).
	e.mustHelm("v3.22.0", "repo", "update")
	out := e.mustBarge("search", "repo", "fromhelm/", "--versions")
	for _, w := range [][]string{{"fromhelm/web", "1.2.0"}, {"fromhelm/web", "0.1.0"}, {"fromhelm/db", "1.0.0"}, {"fromhelm/cache", "3.0.0"}} {
		if !tableHasRow(out, w...) {
			t.Errorf("barge search repo fromhelm/ --versions lacks %q:\n%s", w, out)
		}
	}
	// And helm reads the cache barge's update wrote.
	e.mustBarge("repo", "update")
	if out := e.mustHelm("v4.3.1", "search", "repo", "frombarge/web"); !tableHasRow(out, "frombarge/web", "1.2.0") {
		t.Errorf("helm-v4.3.1 search repo after barge repo update:\n%s", out)
	}
	// A repository removed by barge is gone for helm.
	e.mustBarge("repo", "remove", "fromhelm")
	if out := e.mustHelm("v3.22.0", "repo", "list"); strings.Contains(out, "fromhelm") {
		t.Errorf("helm still lists the repository barge removed:\n%s", out)
	}
}

// TestRepoIndexMergeWithHelm merges indexes both ways: `helm repo index
// --merge` on barge's index, and `barge repo index --merge` on helm's; each
// result lists the charts of both directories, the directory's winning.
func TestRepoIndexMergeWithHelm(t *testing.T) {
	t.Parallel()
	e := newRepoEnv(t)
	old, fresh := t.TempDir(), t.TempDir()
	publishChart(t, old, "alpha", "1.0.0")
	publishChart(t, old, "shared", "1.0.0")
	publishChart(t, fresh, "beta", "2.0.0")
	publishChart(t, fresh, "shared", "1.0.0")
	// Not a chart: left out with a warning.
	if err := os.WriteFile(filepath.Join(fresh, "notes.tgz"), []byte("not gzip"), 0o644); err != nil {
		t.Fatal(err)
	}

	// barge indexes old; helm merges fresh into it.
	_, errOut, err := e.barge("repo", "index", old, "--url", "https://old.example.com/charts")
	if err != nil || errOut != "" {
		t.Fatalf("repo index: %v\n%s", err, errOut)
	}
	helmOut := t.TempDir()
	copyDir(t, fresh, helmOut)
	e.mustHelm("v3.22.0", "repo", "index", helmOut, "--url", "https://new.example.com", "--merge", filepath.Join(old, "index.yaml"))
	checkIndex(t, "helm --merge of barge's index", filepath.Join(helmOut, "index.yaml"), map[string]string{
		"alpha-1.0.0":  "https://old.example.com/charts/alpha-1.0.0.tgz",
		"beta-2.0.0":   "https://new.example.com/beta-2.0.0.tgz",
		"shared-1.0.0": "https://new.example.com/shared-1.0.0.tgz",
	})

	// helm indexes old; barge merges fresh into it.
	helmOld := t.TempDir()
	copyDir(t, old, helmOld)
	e.mustHelm("v3.22.0", "repo", "index", helmOld, "--url", "https://old.example.com/charts")
	_, errOut, err = e.barge("repo", "index", fresh, "--url", "https://new.example.com", "--merge", filepath.Join(helmOld, "index.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(errOut, "WARNING: ") || !strings.Contains(errOut, "notes.tgz") {
		t.Errorf("no warning for the file that is not a chart:\n%s", errOut)
	}
	checkIndex(t, "barge --merge of helm's index", filepath.Join(fresh, "index.yaml"), map[string]string{
		"alpha-1.0.0":  "https://old.example.com/charts/alpha-1.0.0.tgz",
		"beta-2.0.0":   "https://new.example.com/beta-2.0.0.tgz",
		"shared-1.0.0": "https://new.example.com/shared-1.0.0.tgz",
	})
	// And helm reads barge's merged index.
	e.mustHelm("v3.22.0", "repo", "index", helmOld, "--merge", filepath.Join(fresh, "index.yaml"))

	// --json writes JSON, which both read.
	e.mustBarge("repo", "index", old, "--json")
	b, err := os.ReadFile(filepath.Join(old, "index.yaml"))
	if err != nil || !strings.HasPrefix(string(b), "{") {
		t.Fatalf("repo index --json wrote:\n%.200s", b)
	}
	checkIndex(t, "--json", filepath.Join(old, "index.yaml"), map[string]string{"alpha-1.0.0": "alpha-1.0.0.tgz", "shared-1.0.0": "shared-1.0.0.tgz"})
	e.mustHelm("v3.22.0", "repo", "index", helmOld, "--merge", filepath.Join(old, "index.yaml"))
}

// checkIndex checks that the index at path lists exactly the versions of
// want ("name-version"), each at its URL, with a digest.
func checkIndex(t *testing.T, what, path string, want map[string]string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := repo.ParseIndex(b, path)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	got := map[string]string{}
	for name, cvs := range idx.Entries {
		for _, cv := range cvs {
			got[name+"-"+cv.Version] = cv.URLs[0]
			if cv.Digest == "" {
				t.Errorf("%s: %s %s has no digest", what, name, cv.Version)
			}
		}
	}
	var gotKeys, wantKeys []string
	for k, u := range got {
		gotKeys = append(gotKeys, k+" "+u)
	}
	for k, u := range want {
		wantKeys = append(wantKeys, k+" "+u)
	}
	slices.Sort(gotKeys)
	slices.Sort(wantKeys)
	if !slices.Equal(gotKeys, wantKeys) {
		t.Errorf("%s: index lists\n%s\nwant\n%s", what, strings.Join(gotKeys, "\n"), strings.Join(wantKeys, "\n"))
	}
}

// copyDir copies the files of src (not its subdirectories) into dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		if en.IsDir() || en.Name() == "index.yaml" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, en.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, en.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
