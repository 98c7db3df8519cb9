package dependency

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bargehq/barge/pkg/repo"
)

// TestLockMatchesHelm lets barge and helm 3.22 update the same chart
// against the same repositories: the locks name the same versions and bear
// the same digest.
func TestLockMatchesHelm(t *testing.T) {
	srv := newRepoServer(t, "sub@1.0.0", "sub@1.2.0", "sub@1.3.5", "web@2.0.0", "web@2.1.0")
	direct := newRepoServer(t, "cache@0.3.0", "cache@0.4.1")
	tests := []struct {
		name string
		deps string
	}{
		{"url of a configured repository", "- name: sub\n  version: ^1.2\n  repository: " + srv.URL + "\n"},
		{"aliases and fields", "- name: sub\n  version: ~1.2.0\n  repository: \"@myrepo\"\n  alias: foo\n  condition: foo.enabled\n  tags: [a, b]\n  import-values:\n  - child: x\n    parent: y\n  - data\n" +
			"- name: web\n  version: \">=2 <3\"\n  repository: alias:myrepo\n"},
		{"unconfigured url", "- name: cache\n  version: \"0.x\"\n  repository: " + direct.URL + "\n"},
		{"local chart", "- name: lib\n  version: ^0.1\n  repository: file://../lib\n- name: sub\n  version: 1.0.0\n  repository: " + srv.URL + "/\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.addRepo(t, &repo.Entry{Name: "myrepo", URL: srv.URL})
			dir := parentChart(t, tc.deps)
			writeChart(t, filepath.Join(filepath.Dir(dir), "lib"), map[string]string{"Chart.yaml": "apiVersion: v2\nname: lib\nversion: 0.1.7\n"})
			hroot := t.TempDir()
			copyDir(t, filepath.Dir(dir), hroot)
			hdir := filepath.Join(hroot, "parent")

			if err := Update(context.Background(), dir, e.opts(&bytes.Buffer{})); err != nil {
				t.Fatal(err)
			}
			e.mustHelm(t, helm3, "dependency", "update", hdir)
			got, want := readLock(t, dir, "Chart.lock"), readLock(t, hdir, "Chart.lock")
			if diff := cmp.Diff(want.Dependencies, got.Dependencies); diff != "" {
				t.Errorf("locked dependencies (-helm +barge):\n%s", diff)
			}
			if got.Digest != want.Digest {
				t.Errorf("digest %s, helm's %s", got.Digest, want.Digest)
			}
			if diff := cmp.Diff(chartsList(t, hdir), chartsList(t, dir)); diff != "" {
				t.Errorf("charts/ (-helm +barge):\n%s", diff)
			}
		})
	}
}

// TestBuildInterop checks that helm 3.22 builds from barge's lock and barge
// from Helm's.
func TestBuildInterop(t *testing.T) {
	srv := newRepoServer(t, "sub@1.2.0", "sub@1.3.5", "web@2.0.0")
	e := newEnv(t)
	e.addRepo(t, &repo.Entry{Name: "myrepo", URL: srv.URL})
	deps := "- name: sub\n  version: ^1\n  repository: \"@myrepo\"\n  alias: s\n- name: web\n  version: ^2\n  repository: " + srv.URL + "\n"

	t.Run("helm builds from barge's lock", func(t *testing.T) {
		dir := parentChart(t, deps)
		if err := Update(context.Background(), dir, e.opts(&bytes.Buffer{})); err != nil {
			t.Fatal(err)
		}
		os.RemoveAll(filepath.Join(dir, "charts"))
		out := e.mustHelm(t, helm3, "dependency", "build", dir)
		if diff := cmp.Diff([]string{"sub-1.3.5.tgz", "web-2.0.0.tgz"}, chartsList(t, dir)); diff != "" {
			t.Errorf("charts/ after helm build (-want +got):\n%s\n%s", diff, out)
		}
	})
	t.Run("barge builds from helm's lock", func(t *testing.T) {
		dir := parentChart(t, deps)
		e.mustHelm(t, helm3, "dependency", "update", dir)
		lock, _ := os.ReadFile(filepath.Join(dir, "Chart.lock"))
		os.RemoveAll(filepath.Join(dir, "charts"))
		srv.add(t, "sub", "1.4.0") // the lock, not the newest, decides
		var out bytes.Buffer
		if err := Build(context.Background(), dir, e.opts(&out)); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"sub-1.3.5.tgz", "web-2.0.0.tgz"}, chartsList(t, dir)); diff != "" {
			t.Errorf("charts/ (-want +got):\n%s", diff)
		}
		if after, _ := os.ReadFile(filepath.Join(dir, "Chart.lock")); !bytes.Equal(lock, after) {
			t.Errorf("build changed the lock:\n%s", after)
		}
		want := `Hang tight while we grab the latest from your chart repositories...
...Successfully got an update from the "myrepo" chart repository
Update Complete. ⎈Happy Helming!⎈
Saving 2 charts
Downloading sub from repo ` + srv.URL + `
Downloading web from repo ` + srv.URL + `
Deleting outdated charts
`
		if diff := cmp.Diff(want, out.String()); diff != "" {
			t.Errorf("output (-want +got):\n%s", diff)
		}
	})
}

func TestBuildErrors(t *testing.T) {
	srv := newRepoServer(t, "sub@1.2.0", "sub@1.3.5")
	t.Run("out of sync", func(t *testing.T) {
		e := newEnv(t)
		dir := parentChart(t, "- name: sub\n  version: ~1.2.0\n  repository: "+srv.URL+"\n")
		if err := Update(context.Background(), dir, e.opts(&bytes.Buffer{})); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "Chart.yaml"), "apiVersion: v2\nname: parent\nversion: 0.1.0\ndependencies:\n- name: sub\n  version: ~1.3.0\n  repository: "+srv.URL+"\n")
		err := Build(context.Background(), dir, e.opts(&bytes.Buffer{}))
		want := "chart " + dir + ": the lock file (Chart.lock) is out of sync with the dependencies file (Chart.yaml). Please update the dependencies: run 'barge dependency update " + dir + "'"
		if !errors.Is(err, ErrLockOutOfSync) || err.Error() != want {
			t.Errorf("error = %v\nwant %s", err, want)
		}
		// Helm says the same of the same files.
		out, herr := e.helm(t, helm3, "dependency", "build", dir)
		if herr == nil || !strings.Contains(out, "the lock file (Chart.lock) is out of sync with the dependencies file (Chart.yaml)") {
			t.Errorf("helm: %v\n%s", herr, out)
		}
	})
	t.Run("repository not configured", func(t *testing.T) {
		e := newEnv(t)
		dir := parentChart(t, "- name: sub\n  version: ~1.2.0\n  repository: "+srv.URL+"\n")
		if err := Update(context.Background(), dir, e.opts(&bytes.Buffer{})); err != nil {
			t.Fatal(err)
		}
		os.RemoveAll(filepath.Join(dir, "charts"))
		err := Build(context.Background(), dir, e.opts(&bytes.Buffer{}))
		if !errors.Is(err, ErrNoRepository) || !strings.Contains(err.Error(), "no repository definition for "+srv.URL+". Please add the missing repos via 'barge repo add NAME URL'") {
			t.Errorf("error = %v", err)
		}
		out, herr := e.helm(t, helm3, "dependency", "build", dir)
		if herr == nil || !strings.Contains(out, "no repository definition for "+srv.URL) {
			t.Errorf("helm: %v\n%s", herr, out)
		}
		// Once added, both build.
		e.addRepo(t, &repo.Entry{Name: "added", URL: srv.URL + "/"})
		if err := Build(context.Background(), dir, e.opts(&bytes.Buffer{})); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"sub-1.2.0.tgz"}, chartsList(t, dir)); diff != "" {
			t.Errorf("charts/ (-want +got):\n%s", diff)
		}
	})
	t.Run("locked version gone", func(t *testing.T) {
		e := newEnv(t)
		e.addRepo(t, &repo.Entry{Name: "myrepo", URL: srv.URL})
		dir := parentChart(t, "- name: sub\n  version: ^1\n  repository: "+srv.URL+"\n")
		if err := Update(context.Background(), dir, e.opts(&bytes.Buffer{})); err != nil {
			t.Fatal(err)
		}
		lock := strings.Replace(string(mustRead(t, filepath.Join(dir, "Chart.lock"))), "version: 1.3.5", "version: 1.3.6", 1)
		writeFile(t, filepath.Join(dir, "Chart.lock"), lock)
		// The digest covers the versions: fix it as a hand edit would not.
		l := readLock(t, dir, "Chart.lock")
		cf, err := readChart(dir)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := LockDigest(cf.meta.Dependencies, l.Dependencies)
		writeFile(t, filepath.Join(dir, "Chart.lock"), strings.Replace(lock, l.Digest, d, 1))
		err = Build(context.Background(), dir, e.opts(&bytes.Buffer{}))
		if !errors.Is(err, ErrVersionNotFound) || !strings.Contains(err.Error(), `dependency "sub" version "1.3.6", locked in Chart.lock, is not in repository "myrepo"`) {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("no lock is an update", func(t *testing.T) {
		e := newEnv(t)
		dir := parentChart(t, "- name: sub\n  version: ^1\n  repository: "+srv.URL+"\n")
		if err := Build(context.Background(), dir, e.opts(&bytes.Buffer{})); err != nil {
			t.Fatal(err)
		}
		if got := readLock(t, dir, "Chart.lock").Dependencies[0].Version; got != "1.3.5" {
			t.Errorf("locked %s", got)
		}
	})
	t.Run("not a chart directory", func(t *testing.T) {
		for _, p := range []string{filepath.Join(t.TempDir(), "nothing"), t.TempDir()} {
			if err := Build(context.Background(), p, Options{}); err == nil || !strings.Contains(err.Error(), "chart "+p) {
				t.Errorf("error = %v", err)
			}
		}
	})
}

// TestBuildHelm2Lock accepts a requirements.lock whose digest is Helm 2's.
func TestBuildHelm2Lock(t *testing.T) {
	srv := newRepoServer(t, "sub@1.2.0")
	e := newEnv(t)
	e.addRepo(t, &repo.Entry{Name: "myrepo", URL: srv.URL})
	dir := filepath.Join(t.TempDir(), "legacy")
	writeChart(t, dir, map[string]string{
		"Chart.yaml":        "apiVersion: v1\nname: legacy\nversion: 0.1.0\n",
		"requirements.yaml": "dependencies:\n- name: sub\n  version: ^1\n  repository: \"@myrepo\"\n",
	})
	cf, err := readChart(dir)
	if err != nil {
		t.Fatal(err)
	}
	v2, _ := helm2Digest(cf.meta.Dependencies)
	writeFile(t, filepath.Join(dir, "requirements.lock"), "dependencies:\n- name: sub\n  repository: "+srv.URL+"\n  version: 1.2.0\ndigest: "+v2+"\ngenerated: \"2019-01-01T00:00:00Z\"\n")
	if err := Build(context.Background(), dir, e.opts(&bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"sub-1.2.0.tgz"}, chartsList(t, dir)); diff != "" {
		t.Errorf("charts/ (-want +got):\n%s", diff)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
