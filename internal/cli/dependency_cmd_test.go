package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bargehq/barge/pkg/chart/archive"
	"github.com/bargehq/barge/pkg/repo"
)

// depRepoServer serves a repository holding the charts given as
// "name@version", each made by archive.Package, indexed by repo.GenerateIndex.
func depRepoServer(t *testing.T, charts ...string) *repoServer {
	t.Helper()
	dir := t.TempDir()
	src := t.TempDir()
	for _, c := range charts {
		name, version, _ := strings.Cut(c, "@")
		chartDir := filepath.Join(src, name+"-"+version)
		writeChart(t, chartDir, name, version, "the "+name+" chart", "")
		if _, err := archive.Package(chartDir, dir, archive.PackageOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := repo.GenerateIndex(context.Background(), dir, repo.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	return newRepoServer(t, dir, "", "")
}

// depParent writes a chart called parent with the dependencies deps (YAML
// list items) under a new directory and returns the chart's directory.
func depParent(t *testing.T, deps string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "parent")
	writeChart(t, dir, "parent", "0.1.0", "an umbrella chart", "dependencies:\n"+deps)
	return dir
}

// chartsDirList lists what the charts/ directory of the chart dir holds.
func chartsDirList(t *testing.T, dir string) []string {
	t.Helper()
	return listFiles(t, filepath.Join(dir, "charts"))
}

// lockWithoutDate is the chart's Chart.lock without its generated line.
func lockWithoutDate(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "Chart.lock"))
	if err != nil {
		t.Fatal(err)
	}
	var keep []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, "generated:") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// TestDependencyUpdateAndBuildLikeHelm runs barge's and helm's dependency
// update and build on copies of one chart, with one added repository:
// barge prints what helm prints, and writes the same lock and charts/.
func TestDependencyUpdateAndBuildLikeHelm(t *testing.T) {
	srv := depRepoServer(t, "sub@1.0.0", "sub@1.2.0", "web@2.0.0", "web@2.1.0")
	e := newRepoEnv(t)
	e.mustBarge("repo", "add", "myrepo", srv.URL)
	deps := "- name: sub\n  version: ~1.2.0\n  repository: \"@myrepo\"\n- name: web\n  version: ^2\n  repository: " + srv.URL + "\n  alias: frontend\n"
	bdir, hdir := depParent(t, deps), depParent(t, deps)

	for _, args := range [][]string{{"dependency", "update"}, {"dep", "up", "--skip-refresh"}, {"dependency", "build"}, {"dependency", "build", "--skip-refresh"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			if args[1] == "build" {
				for _, d := range []string{bdir, hdir} {
					os.RemoveAll(filepath.Join(d, "charts"))
				}
			}
			out, errOut, err := e.barge(append(args, bdir)...)
			if err != nil {
				t.Fatalf("barge: %v\n%s", err, errOut)
			}
			hout := e.mustHelm("v3.22.0", append(args, hdir)...)
			if diff := cmp.Diff(hout, out); diff != "" {
				t.Errorf("stdout (-helm +barge):\n%s", diff)
			}
			if errOut != "" {
				t.Errorf("stderr: %s", errOut)
			}
			if diff := cmp.Diff(lockWithoutDate(t, hdir), lockWithoutDate(t, bdir)); diff != "" {
				t.Errorf("Chart.lock (-helm +barge):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"sub-1.2.0.tgz", "web-2.1.0.tgz"}, chartsDirList(t, bdir)); diff != "" {
				t.Errorf("charts/ (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDependencyCmdRepositoryFlags(t *testing.T) {
	srv := depRepoServer(t, "sub@1.2.0")
	home := t.TempDir()
	config, cache := filepath.Join(home, "repos.yaml"), filepath.Join(home, "repo-cache")
	// Helm's files are elsewhere: only the flags lead to the repository.
	env := []string{"HOME=" + t.TempDir(), "HELM_REPOSITORY_CONFIG=" + filepath.Join(home, "nothing.yaml"), "HELM_REPOSITORY_CACHE=" + filepath.Join(home, "nothing")}
	flags := []string{"--repository-config", config, "--repository-cache", cache}
	if _, errOut, err := execBargeEnv(env, append(flags, "repo", "add", "flagged", srv.URL)...); err != nil {
		t.Fatalf("repo add: %v\n%s", err, errOut)
	}
	dir := depParent(t, "- name: sub\n  version: ^1\n  repository: \"@flagged\"\n")
	out, errOut, err := execBargeEnv(env, append(flags, "dependency", "update", dir)...)
	if err != nil {
		t.Fatalf("dependency update: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, `...Successfully got an update from the "flagged" chart repository`) {
		t.Errorf("stdout:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(cache, "flagged-index.yaml")); err != nil {
		t.Errorf("index not cached under --repository-cache: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(cache, "barge", "charts")); len(entries) != 1 {
		t.Errorf("archive cache under --repository-cache: %v", entries)
	}
	_, _, err = execBargeEnv(env, "dependency", "update", dir)
	if err == nil || !strings.Contains(err.Error(), "no repository definition for @flagged") {
		t.Errorf("without the flags: %v", err)
	}
}

func TestDependencyCmdErrors(t *testing.T) {
	srv := depRepoServer(t, "sub@1.2.0", "sub@1.3.0")
	e := newRepoEnv(t)
	e.mustBarge("repo", "add", "myrepo", srv.URL)
	synced := depParent(t, "- name: sub\n  version: ~1.2.0\n  repository: \"@myrepo\"\n")
	e.mustBarge("dependency", "update", synced)
	if err := os.WriteFile(filepath.Join(synced, "Chart.yaml"), []byte("apiVersion: v2\nname: parent\nversion: 0.1.0\ndependencies:\n- name: sub\n  version: ~1.3.0\n  repository: \"@myrepo\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		want    string
		wantOut string
	}{
		{"lock out of sync", []string{"dependency", "build", synced},
			"chart " + synced + ": the lock file (Chart.lock) is out of sync with the dependencies file (Chart.yaml). Please update the dependencies: run 'barge dependency update " + synced + "'", ""},
		{"verify on update, unsigned", []string{"dependency", "update", "--verify", synced},
			"/sub-1.3.0.tgz.prov: 404 Not Found; the chart is not signed", "Hang tight while we grab the latest from your chart repositories...\n...Successfully got an update from the \"myrepo\" chart repository\nUpdate Complete. ⎈Happy Helming!⎈\nSaving 1 charts\nDownloading sub from repo " + srv.URL + "\n"},
		{"no chart", []string{"dependency", "update", filepath.Join(synced, "nope")},
			"chart " + filepath.Join(synced, "nope") + ": no such directory; give the path of a chart directory", ""},
		{"unknown repository", []string{"dependency", "update", depParent(t, "- name: sub\n  version: ^1\n  repository: \"@nope\"\n")},
			"no repository definition for @nope. Please add them via 'barge repo add'", ""},
		{"no such version", []string{"dependency", "update", depParent(t, "- name: sub\n  version: ^9\n  repository: \"@myrepo\"\n")},
			`can't get a valid version for 1 subchart(s): "sub" (repository "` + srv.URL + `", version "^9": the newest versions there are 1.3.0, 1.2.0)`,
			"Hang tight while we grab the latest from your chart repositories...\n...Successfully got an update from the \"myrepo\" chart repository\nUpdate Complete. ⎈Happy Helming!⎈\n"},
		{"too many arguments", []string{"dependency", "build", synced, synced}, "accepts at most 1 arg(s), received 2", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := e.barge(tc.args...)
			if code := exitCode(err); code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error:\n%v\nwant it to contain:\n%s", err, tc.want)
			}
			if out != tc.wantOut {
				t.Errorf("stdout %q, want %q", out, tc.wantOut)
			}
		})
	}
	// Helm's registry flags are for OCI registries: a chart repository's
	// credentials come from repo add, and the flags change nothing here.
	dir := depParent(t, "- name: sub\n  version: ^1\n  repository: \"@myrepo\"\n")
	_, errOut, err := e.barge("dependency", "update", dir, "--username", "u", "--password", "p", "--plain-http", "--keyring", "/dev/null")
	if err != nil || errOut != "" {
		t.Errorf("dependency update with registry flags: %v, stderr %q", err, errOut)
	}
}

// TestDependencyCmdHelp keeps Helm's command names and flags.
func TestDependencyCmdHelp(t *testing.T) {
	for _, args := range [][]string{{"dependency", "update"}, {"dep", "up"}, {"dependency", "build"}} {
		out, _, err := execBargeEnv(nil, append(args, "--help")...)
		if err != nil {
			t.Fatal(err)
		}
		for _, flag := range []string{"--skip-refresh", "--keyring", "--verify", "--username", "--ca-file", "--plain-http"} {
			if !strings.Contains(out, flag) {
				t.Errorf("%s --help lacks %s", strings.Join(args, " "), flag)
			}
		}
	}
}
