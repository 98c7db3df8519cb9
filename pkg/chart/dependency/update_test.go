package dependency

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart"

	"github.com/bargehq/barge/pkg/chart/archive"
	"github.com/bargehq/barge/pkg/repo"
)

func TestUpdateVersionRanges(t *testing.T) {
	srv := newRepoServer(t, "sub@1.0.0", "sub@1.2.0", "sub@1.3.5", "sub@2.0.0", "sub@2.1.0-rc.1")
	tests := []struct {
		constraint string
		want       string
	}{
		{"^1.2", "1.3.5"},
		{"~1.2.0", "1.2.0"},
		{"~1", "1.3.5"},
		{">=1 <2", "1.3.5"},
		{"1.0.0", "1.0.0"},
		{"^2", "2.0.0"},
		{">=2.1.0-0", "2.1.0-rc.1"},
		{"*", "2.0.0"},
	}
	for _, tc := range tests {
		t.Run(tc.constraint, func(t *testing.T) {
			e := newEnv(t)
			dir := parentChart(t, "- name: sub\n  version: \""+tc.constraint+"\"\n  repository: "+srv.URL+"\n")
			var out bytes.Buffer
			if err := Update(context.Background(), dir, e.opts(&out)); err != nil {
				t.Fatal(err)
			}
			if got := readLock(t, dir, "Chart.lock").Dependencies[0].Version; got != tc.want {
				t.Errorf("locked %s, want %s", got, tc.want)
			}
			if diff := cmp.Diff([]string{"sub-" + tc.want + ".tgz"}, chartsList(t, dir)); diff != "" {
				t.Errorf("charts/ (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUpdateOutput(t *testing.T) {
	srv := newRepoServer(t, "sub@1.2.0", "other@0.1.0")
	e := newEnv(t)
	e.addRepo(t, &repo.Entry{Name: "myrepo", URL: srv.URL})
	direct := newRepoServer(t, "web@3.0.0")
	dir := parentChart(t, "- name: sub\n  version: ^1\n  repository: \"@myrepo\"\n"+
		"- name: other\n  version: 0.1.0\n  repository: "+srv.URL+"/\n"+
		"- name: web\n  version: 3.x\n  repository: "+direct.URL+"\n")
	var out bytes.Buffer
	if err := Update(context.Background(), dir, e.opts(&out)); err != nil {
		t.Fatal(err)
	}
	want := `Getting updates for unmanaged Helm repositories...
...Successfully got an update from the "` + direct.URL + `" chart repository
Hang tight while we grab the latest from your chart repositories...
...Successfully got an update from the "myrepo" chart repository
Update Complete. ⎈Happy Helming!⎈
Saving 3 charts
Downloading sub from repo ` + srv.URL + `
Downloading other from repo ` + srv.URL + `/
Downloading web from repo ` + direct.URL + `
Deleting outdated charts
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
	// The repository given by URL is cached under Helm's name for it.
	if _, err := os.Stat(e.paths.IndexFile(unmanagedName(direct.URL))); err != nil {
		t.Errorf("index of the unmanaged repository not cached: %v", err)
	}
	lock := readLock(t, dir, "Chart.lock")
	wantDeps := []*chart.Dependency{
		{Name: "sub", Repository: srv.URL, Version: "1.2.0"},
		{Name: "other", Repository: srv.URL + "/", Version: "0.1.0"},
		{Name: "web", Repository: direct.URL, Version: "3.0.0"},
	}
	if diff := cmp.Diff(wantDeps, lock.Dependencies); diff != "" {
		t.Errorf("lock (-want +got):\n%s", diff)
	}
	if !lock.Generated.Equal(fixedNow) {
		t.Errorf("lock generated %v, want %v", lock.Generated, fixedNow)
	}
}

func TestUpdateAliasesAndAuth(t *testing.T) {
	srv := newRepoServer(t, "sub@1.2.0", "sub@1.3.0")
	srv.user, srv.pass = "alice", "s3cret"
	e := newEnv(t)
	e.addRepo(t, &repo.Entry{Name: "private", URL: srv.URL, Username: "alice", Password: "s3cret"})
	for _, ref := range []string{`"@private"`, "alias:private", srv.URL} {
		t.Run(ref, func(t *testing.T) {
			dir := parentChart(t, "- name: sub\n  version: ~1.2.0\n  repository: "+ref+"\n  alias: first\n  condition: first.enabled\n")
			if err := Update(context.Background(), dir, e.opts(&bytes.Buffer{})); err != nil {
				t.Fatal(err)
			}
			lock := readLock(t, dir, "Chart.lock")
			if diff := cmp.Diff([]*chart.Dependency{{Name: "sub", Repository: srv.URL, Version: "1.2.0"}}, lock.Dependencies); diff != "" {
				t.Errorf("lock (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"sub-1.2.0.tgz"}, chartsList(t, dir)); diff != "" {
				t.Errorf("charts/ (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("no credentials for a repository given by URL only", func(t *testing.T) {
		other := newRepoServer(t, "sub@1.2.0")
		other.user, other.pass = "bob", "pw"
		dir := parentChart(t, "- name: sub\n  version: ~1.2.0\n  repository: "+other.URL+"\n")
		var out bytes.Buffer
		err := Update(context.Background(), dir, e.opts(&out))
		if err == nil {
			t.Fatal("update succeeded without credentials")
		}
		if !strings.Contains(out.String(), `...Unable to get an update from the "`+other.URL+`" chart repository:`) {
			t.Errorf("output:\n%s", out.String())
		}
		for _, w := range []string{"chart " + dir, `dependency "sub"`, "refreshing the repository's index failed", "401"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not say %q", err, w)
			}
		}
	})
}

func TestUpdateHTTPSRepo(t *testing.T) {
	srv, ca := newTLSRepoServer(t, "sub@1.2.0")
	e := newEnv(t)
	e.addRepo(t, &repo.Entry{Name: "secure", URL: srv.URL, CAFile: ca})
	if !strings.HasPrefix(srv.URL, "https://") {
		t.Fatalf("server URL %s", srv.URL)
	}
	dir := parentChart(t, "- name: sub\n  version: ^1\n  repository: "+srv.URL+"\n")
	if err := Update(context.Background(), dir, e.opts(&bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"sub-1.2.0.tgz"}, chartsList(t, dir)); diff != "" {
		t.Errorf("charts/ (-want +got):\n%s", diff)
	}
	// Helm builds from the lock, with the same repository and CA.
	os.RemoveAll(filepath.Join(dir, "charts"))
	e.mustHelm(t, helm3, "dependency", "build", dir)
	if diff := cmp.Diff([]string{"sub-1.2.0.tgz"}, chartsList(t, dir)); diff != "" {
		t.Errorf("charts/ after helm build (-want +got):\n%s", diff)
	}
}

func TestUpdateFileRef(t *testing.T) {
	root := t.TempDir()
	writeChart(t, filepath.Join(root, "libs", "common"), map[string]string{
		"Chart.yaml":            "apiVersion: v2\nname: common\nversion: 1.4.0\ntype: library\n",
		"templates/_names.tpl":  "{{- define \"common.name\" -}}common{{- end -}}\n",
		".helmignore":           "*.bak\n",
		"templates/ignored.bak": "not packaged\n",
	})
	dir := filepath.Join(root, "parent")
	writeChart(t, dir, map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: parent\nversion: 0.1.0\ndependencies:\n- name: common\n  version: ^1.2\n  repository: file://../libs/common\n",
	})
	var out bytes.Buffer
	if err := Update(context.Background(), dir, Options{Out: &out, Now: func() time.Time { return fixedNow }}); err != nil {
		t.Fatal(err)
	}
	want := "Saving 1 charts\nDeleting outdated charts\n"
	if out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
	ch, err := archive.LoadFile(filepath.Join(dir, "charts", "common-1.4.0.tgz"), archive.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if ch.Metadata.Type != "library" || slices.ContainsFunc(ch.Templates, func(f *chart.File) bool { return strings.HasSuffix(f.Name, ".bak") }) {
		t.Errorf("packaged chart: type %q, templates %v", ch.Metadata.Type, ch.Templates)
	}
	if got := readLock(t, dir, "Chart.lock").Dependencies[0]; got.Version != "1.4.0" || got.Repository != "file://../libs/common" {
		t.Errorf("locked %+v", got)
	}

	t.Run("version out of range", func(t *testing.T) {
		writeFile(t, filepath.Join(dir, "Chart.yaml"), "apiVersion: v2\nname: parent\nversion: 0.1.0\ndependencies:\n- name: common\n  version: ^2\n  repository: file://../libs/common\n")
		err := Update(context.Background(), dir, Options{})
		if !errors.Is(err, ErrVersionNotFound) || !strings.Contains(err.Error(), `"common" (repository "file://../libs/common", version "^2": the chart there is version 1.4.0)`) {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("missing directory", func(t *testing.T) {
		writeFile(t, filepath.Join(dir, "Chart.yaml"), "apiVersion: v2\nname: parent\nversion: 0.1.0\ndependencies:\n- name: common\n  version: ^1\n  repository: file://../nowhere\n")
		err := Update(context.Background(), dir, Options{})
		if err == nil || !strings.Contains(err.Error(), "directory "+filepath.Join(root, "nowhere")+" not found") {
			t.Errorf("error = %v", err)
		}
	})
}

func TestUpdateUnpackedDependency(t *testing.T) {
	dir := parentChart(t, "- name: local\n  version: ^1\n")
	writeChart(t, filepath.Join(dir, "charts", "local"), map[string]string{"Chart.yaml": "apiVersion: v2\nname: local\nversion: 1.1.0\n"})
	var out bytes.Buffer
	if err := Update(context.Background(), dir, Options{Out: &out}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Dependency local did not declare a repository. Assuming it exists in the charts directory\n") {
		t.Errorf("output:\n%s", out.String())
	}
	if got := readLock(t, dir, "Chart.lock").Dependencies[0]; got.Version != "^1" || got.Repository != "" {
		t.Errorf("locked %+v, want the constraint", got)
	}
	writeFile(t, filepath.Join(dir, "Chart.yaml"), "apiVersion: v2\nname: parent\nversion: 0.1.0\ndependencies:\n- name: local\n  version: ^2\n")
	if err := Update(context.Background(), dir, Options{}); err == nil || !strings.Contains(err.Error(), "dependency local at version 1.1.0 does not satisfy the constraint ^2") {
		t.Errorf("error = %v", err)
	}
}

func TestUpdateV1Requirements(t *testing.T) {
	srv := newRepoServer(t, "sub@1.2.0", "sub@1.3.5")
	e := newEnv(t)
	e.addRepo(t, &repo.Entry{Name: "myrepo", URL: srv.URL})
	dir := filepath.Join(t.TempDir(), "legacy")
	writeChart(t, dir, map[string]string{
		"Chart.yaml":        "apiVersion: v1\nname: legacy\nversion: 0.1.0\n",
		"requirements.yaml": "dependencies:\n- name: sub\n  version: \">=1 <2\"\n  repository: alias:myrepo\n",
	})
	if err := Update(context.Background(), dir, e.opts(&bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "Chart.lock")); err == nil {
		t.Error("Chart.lock written for an apiVersion v1 chart")
	}
	lock := readLock(t, dir, "requirements.lock")
	if got := lock.Dependencies[0]; got.Version != "1.3.5" || got.Repository != srv.URL {
		t.Errorf("locked %+v", got)
	}
	// Helm agrees with the lock.
	hdir := filepath.Join(t.TempDir(), "legacy")
	copyDir(t, dir, hdir)
	os.Remove(filepath.Join(hdir, "requirements.lock"))
	os.RemoveAll(filepath.Join(hdir, "charts"))
	e.mustHelm(t, helm3, "dependency", "update", hdir)
	if got := readLock(t, hdir, "requirements.lock").Digest; got != lock.Digest {
		t.Errorf("digest %s, Helm's %s", lock.Digest, got)
	}
}

func TestUpdateReplacesOldArchives(t *testing.T) {
	srv := newRepoServer(t, "sub@1.2.0", "sub@1.3.5")
	e := newEnv(t)
	dir := parentChart(t, "- name: sub\n  version: ^1\n  repository: "+srv.URL+"\n")
	old := repoArchive(t, srv, "sub-1.2.0.tgz")
	writeFile(t, filepath.Join(dir, "charts", "sub-1.2.0.tgz"), string(old))
	writeFile(t, filepath.Join(dir, "charts", "sub-0.9.0.tgz"), "not an archive")
	undeclared := newRepoServer(t, "extra@0.1.0")
	writeFile(t, filepath.Join(dir, "charts", "extra-0.1.0.tgz"), string(repoArchive(t, undeclared, "extra-0.1.0.tgz")))
	writeFile(t, filepath.Join(dir, "charts", "README.md"), "kept\n")
	if err := Update(context.Background(), dir, e.opts(&bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"README.md", "extra-0.1.0.tgz", "sub-1.3.5.tgz"}, chartsList(t, dir)); diff != "" {
		t.Errorf("charts/ (-want +got):\n%s", diff)
	}
}

func TestUpdateLeavesChartsOnFailure(t *testing.T) {
	tests := []struct {
		name    string
		breakIt func(srv *repoServer)
		want    []string
		is      error
	}{
		{"archive not found", func(srv *repoServer) { srv.fail("/web-2.0.0.tgz", 404) },
			[]string{"chart ", `dependency "web"`, "/web-2.0.0.tgz", "404"}, nil},
		{"digest mismatch", func(srv *repoServer) { srv.replace("/web-2.0.0.tgz", repoArchive(t, srv, "web-1.0.0.tgz")) },
			[]string{`dependency "web"`, "digest mismatch", "the index of"}, repo.ErrDigestMismatch},
		{"server error", func(srv *repoServer) { srv.fail("/web-2.0.0.tgz", 500) },
			[]string{`dependency "web"`, "500"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newRepoServer(t, "sub@1.2.0", "web@1.0.0", "web@2.0.0")
			e := newEnv(t)
			e.addRepo(t, &repo.Entry{Name: "myrepo", URL: srv.URL})
			dir := parentChart(t, "- name: sub\n  version: ^1\n  repository: \"@myrepo\"\n- name: web\n  version: ^1\n  repository: \"@myrepo\"\n")
			if err := Update(context.Background(), dir, e.opts(&bytes.Buffer{})); err != nil {
				t.Fatal(err)
			}
			lockBefore, _ := os.ReadFile(filepath.Join(dir, "Chart.lock"))
			before := chartsList(t, dir)

			writeFile(t, filepath.Join(dir, "Chart.yaml"), "apiVersion: v2\nname: parent\nversion: 0.1.0\ndependencies:\n- name: sub\n  version: ^1\n  repository: \"@myrepo\"\n- name: web\n  version: ^2\n  repository: \"@myrepo\"\n")
			tc.breakIt(srv)
			err := Update(context.Background(), dir, e.opts(&bytes.Buffer{}))
			if err == nil {
				t.Fatal("update succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
			if diff := cmp.Diff(before, chartsList(t, dir)); diff != "" {
				t.Errorf("charts/ changed (-before +after):\n%s", diff)
			}
			if after, _ := os.ReadFile(filepath.Join(dir, "Chart.lock")); !bytes.Equal(lockBefore, after) {
				t.Errorf("Chart.lock changed:\n%s", after)
			}
		})
	}
}

func TestUpdateErrors(t *testing.T) {
	srv := newRepoServer(t, "sub@1.2.0", "sub@1.3.0")
	e := newEnv(t)
	e.addRepo(t, &repo.Entry{Name: "myrepo", URL: srv.URL})
	tests := []struct {
		name string
		deps string
		want []string
		is   error
	}{
		{"unknown alias", "- name: sub\n  version: ^1\n  repository: \"@nope\"\n",
			[]string{"no repository definition for @nope. Please add them via 'barge repo add'"}, ErrNoRepository},
		{"bare name", "- name: sub\n  version: ^1\n  repository: stable\n",
			[]string{"no repository definition for stable", `use "https://charts.example.com/" or "@example" instead of`}, ErrNoRepository},
		{"missing version", "- name: sub\n  version: ^3\n  repository: \"@myrepo\"\n",
			[]string{`can't get a valid version for 1 subchart(s): "sub" (repository "` + srv.URL + `", version "^3": the newest versions there are 1.3.0, 1.2.0)`, "change the version constraint in Chart.yaml"}, ErrVersionNotFound},
		{"missing chart", "- name: subb\n  version: ^1\n  repository: \"@myrepo\"\n",
			[]string{`"subb" (repository "` + srv.URL + `", version "^1": no chart "subb" there (similar: sub))`}, ErrVersionNotFound},
		{"repository not found", "- name: sub\n  version: ^1\n  repository: " + srv.URL + "/nothing-here\n",
			[]string{`...Unable to get an update from the "` + srv.URL + `/nothing-here" chart repository`, "refreshing the repository's index failed", "404"}, nil},
		{"bad constraint", "- name: sub\n  version: not-a-version\n  repository: \"@myrepo\"\n",
			[]string{`dependency "sub" has an invalid version/constraint format`}, nil},
		{"no version", "- name: sub\n  repository: \"@myrepo\"\n",
			[]string{`dependency "sub" has an invalid version/constraint format`}, nil},
		{"unreachable registry", "- name: sub\n  version: ^1\n  repository: oci://127.0.0.1:1/charts\n",
			[]string{`dependency "sub": oci://127.0.0.1:1/charts/sub: cannot reach the registry`}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := parentChart(t, tc.deps)
			var out bytes.Buffer
			err := Update(context.Background(), dir, e.opts(&out))
			if err == nil {
				t.Fatal("update succeeded")
			}
			msg := out.String() + err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("output and error do not say %q:\n%s", w, msg)
				}
			}
			if !strings.Contains(err.Error(), "chart "+dir) {
				t.Errorf("error does not name the chart: %v", err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
			if _, err := os.Stat(filepath.Join(dir, "Chart.lock")); err == nil {
				t.Error("a lock was written")
			}
		})
	}
}

func TestUpdateSkipRefresh(t *testing.T) {
	srv := newRepoServer(t, "sub@1.2.0")
	e := newEnv(t)
	e.addRepo(t, &repo.Entry{Name: "myrepo", URL: srv.URL})
	dir := parentChart(t, "- name: sub\n  version: ^1\n  repository: \"@myrepo\"\n")

	opts := e.opts(&bytes.Buffer{})
	opts.SkipRefresh = true
	err := Update(context.Background(), dir, opts)
	if !errors.Is(err, repo.ErrNoCache) {
		t.Fatalf("update with no cached index: %v", err)
	}
	if err := Update(context.Background(), dir, e.opts(&bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	srv.add(t, "sub", "1.9.0") // not seen without a refresh
	srv.served()
	os.RemoveAll(filepath.Join(dir, "charts"))
	var out bytes.Buffer
	opts = e.opts(&out)
	opts.SkipRefresh = true
	if err := Update(context.Background(), dir, opts); err != nil {
		t.Fatal(err)
	}
	if got := srv.served(); len(got) != 0 {
		t.Errorf("requests with --skip-refresh and the archive cached: %v", got)
	}
	if strings.Contains(out.String(), "Hang tight") {
		t.Errorf("refresh announced:\n%s", out.String())
	}
	if diff := cmp.Diff([]string{"sub-1.2.0.tgz"}, chartsList(t, dir)); diff != "" {
		t.Errorf("charts/ (-want +got):\n%s", diff)
	}

	t.Run("repository given by URL", func(t *testing.T) {
		other := newRepoServer(t, "sub@1.2.0")
		dir := parentChart(t, "- name: sub\n  version: ^1\n  repository: "+other.URL+"\n")
		err := Update(context.Background(), dir, opts)
		if !errors.Is(err, repo.ErrNoCache) || !strings.Contains(err.Error(), "without --skip-refresh") {
			t.Errorf("error = %v", err)
		}
	})
}

func TestUpdateIfMissing(t *testing.T) {
	srv := newRepoServer(t, "sub@1.2.0")
	e := newEnv(t)
	dir := parentChart(t, "- name: sub\n  version: ^1\n  repository: "+srv.URL+"\n")
	if missing, err := Missing(dir); err != nil || !slices.Equal(missing, []string{"sub"}) {
		t.Fatalf("Missing = %v, %v", missing, err)
	}
	updated, err := UpdateIfMissing(context.Background(), dir, e.opts(&bytes.Buffer{}))
	if err != nil || !updated {
		t.Fatalf("UpdateIfMissing = %v, %v", updated, err)
	}
	srv.served()
	updated, err = UpdateIfMissing(context.Background(), dir, e.opts(&bytes.Buffer{}))
	if err != nil || updated {
		t.Fatalf("second UpdateIfMissing = %v, %v", updated, err)
	}
	if got := srv.served(); len(got) != 0 {
		t.Errorf("requests with nothing missing: %v", got)
	}
}

// repoArchive returns the archive file of the repository srv.
func repoArchive(t *testing.T, srv *repoServer, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(srv.dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestUpdateKeepsUnchangedLockAndCleansStaging(t *testing.T) {
	srv := newRepoServer(t, "sub@1.2.0")
	e := newEnv(t)
	e.addRepo(t, &repo.Entry{Name: "myrepo", URL: srv.URL})
	dir := parentChart(t, "- name: sub\n  version: ^1\n  repository: \"@myrepo\"\n  alias: one\n- name: sub\n  version: 1.2.0\n  repository: \"@myrepo\"\n  alias: two\n")
	var out bytes.Buffer
	if err := Update(context.Background(), dir, e.opts(&out)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Downloading sub from repo "+srv.URL+"\nAlready downloaded sub from repo "+srv.URL+"\n") {
		t.Errorf("output:\n%s", out.String())
	}
	lock := mustRead(t, filepath.Join(dir, "Chart.lock"))

	// A staging directory left by a killed update, an hour old, and one
	// that may be another update's, just made.
	stale := filepath.Join(dir, "charts", stagingPrefix+"killed")
	fresh := filepath.Join(dir, "charts", stagingPrefix+"running")
	writeFile(t, filepath.Join(stale, "sub-1.2.0.tgz"), "partial")
	writeFile(t, filepath.Join(fresh, "sub-1.2.0.tgz"), "partial")
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	opts := e.opts(&bytes.Buffer{})
	opts.Now = func() time.Time { return fixedNow.Add(time.Hour) }
	if err := Update(context.Background(), dir, opts); err != nil {
		t.Fatal(err)
	}
	if after := mustRead(t, filepath.Join(dir, "Chart.lock")); !bytes.Equal(lock, after) {
		t.Errorf("an unchanged lock was written again:\n%s", after)
	}
	if diff := cmp.Diff([]string{stagingPrefix + "running", "sub-1.2.0.tgz"}, chartsList(t, dir)); diff != "" {
		t.Errorf("charts/ (-want +got):\n%s", diff)
	}
}

// TestUpdateWritesOnlyInsideTheChart refuses a charts/ or a lock file that
// is a symbolic link, which would lead writes out of the chart.
func TestUpdateWritesOnlyInsideTheChart(t *testing.T) {
	root := t.TempDir()
	writeChart(t, filepath.Join(root, "lib"), map[string]string{"Chart.yaml": "apiVersion: v2\nname: lib\nversion: 0.1.0\n"})
	deps := "- name: lib\n  version: 0.1.0\n  repository: file://" + filepath.Join(root, "lib") + "\n"
	outside := t.TempDir()

	t.Run("charts is a link", func(t *testing.T) {
		dir := parentChart(t, deps)
		if err := os.Symlink(outside, filepath.Join(dir, "charts")); err != nil {
			t.Fatal(err)
		}
		err := Update(context.Background(), dir, Options{})
		if err == nil || !strings.Contains(err.Error(), "is a symbolic link") {
			t.Errorf("error = %v", err)
		}
		if entries, _ := os.ReadDir(outside); len(entries) != 0 {
			t.Errorf("written outside the chart: %v", entries)
		}
	})
	t.Run("lock is a link", func(t *testing.T) {
		dir := parentChart(t, deps)
		target := filepath.Join(outside, "elsewhere.lock")
		if err := os.Symlink(target, filepath.Join(dir, "Chart.lock")); err != nil {
			t.Fatal(err)
		}
		err := Update(context.Background(), dir, Options{})
		if err == nil || !strings.Contains(err.Error(), "the Chart.lock file is a symlink to") {
			t.Errorf("error = %v", err)
		}
		if _, err := os.Stat(target); err == nil {
			t.Error("the lock was written through the link")
		}
		if _, err := os.Stat(filepath.Join(dir, "charts")); err == nil {
			t.Error("charts/ made before the lock was refused")
		}
	})
}
