package cli

import (
	"archive/tar"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestPull pulls charts from a repository on loopback: the newest stable
// version, a version range, --devel, --untar into --untardir under -d, a
// chart URL, and --repo URL without configuring the repository; it checks
// the archive saved is the one served, named as Helm names it.
func TestPull(t *testing.T) {
	t.Parallel()
	e := newRepoEnv(t)
	charts := e.indexedCharts("")
	srv := newRepoServer(t, charts, "", "")
	e.mustBarge("repo", "add", "b", srv.URL)

	tests := []struct {
		name string
		args []string
		want []string // files written under the destination
	}{
		{"newest stable", []string{"b/web"}, []string{"web-1.2.0.tgz"}},
		{"version range", []string{"b/web", "--version", "<1.2"}, []string{"web-1.0.0.tgz"}},
		{"exact version packaged by helm", []string{"b/web", "--version", "0.1.0"}, []string{"web-0.1.0.tgz"}},
		{"devel", []string{"b/db", "--devel"}, []string{"db-1.1.0-beta.1.tgz"}},
		{"several charts", []string{"b/web", "b/cache"}, []string{"cache-3.0.0.tgz", "web-1.2.0.tgz"}},
		{"chart URL", []string{srv.URL + "/db-0.9.0.tgz"}, []string{"db-0.9.0.tgz"}},
		{"fetch alias", nil, []string{"web-1.2.0.tgz"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dest := filepath.Join(t.TempDir(), "not", "yet")
			args := append([]string{"pull", "-d", dest}, tc.args...)
			if tc.args == nil {
				args = []string{"fetch", "b/web", "--destination", dest}
			}
			out, errOut, err := e.barge(args...)
			if err != nil || out != "" || errOut != "" {
				t.Fatalf("barge %s: %v\nstdout %q\nstderr %q", strings.Join(args, " "), err, out, errOut)
			}
			if got := listFiles(t, dest); !slices.Equal(got, tc.want) {
				t.Fatalf("pulled %v, want %v", got, tc.want)
			}
			for _, f := range tc.want {
				got, _ := os.ReadFile(filepath.Join(dest, f))
				served, _ := os.ReadFile(filepath.Join(charts, f))
				if !bytes.Equal(got, served) {
					t.Errorf("%s differs from the archive served", f)
				}
			}
		})
	}

	// Helm names the file alike.
	helmDest := t.TempDir()
	e.mustHelm("v3.22.0", "pull", "b/web", "--version", "^1", "-d", helmDest)
	bargeDest := t.TempDir()
	e.mustBarge("pull", "b/web", "--version", "^1", "-d", bargeDest)
	if h, b := listFiles(t, helmDest), listFiles(t, bargeDest); !slices.Equal(h, b) {
		t.Errorf("helm pulled %v, barge %v", h, b)
	}

	// --untar --untardir: under -d, as Helm does; no archive left.
	dest := t.TempDir()
	e.mustBarge("pull", "b/db", "--untar", "--untardir", "vendor", "-d", dest)
	files := listFiles(t, dest)
	if !slices.Contains(files, "vendor/db/Chart.yaml") || !slices.Contains(files, "vendor/db/templates/cm.yaml") || slices.ContainsFunc(files, func(f string) bool { return strings.HasSuffix(f, ".tgz") }) {
		t.Errorf("untarred: %v", files)
	}
	b, _ := os.ReadFile(filepath.Join(dest, "vendor", "db", "Chart.yaml"))
	if !strings.Contains(string(b), "version: \"1.0.0\"") {
		t.Errorf("untarred Chart.yaml:\n%s", b)
	}
	_, _, err := e.barge("pull", "b/db", "--untar", "--untardir", "vendor", "-d", dest)
	if err == nil || !strings.Contains(err.Error(), "failed to untar: a file or directory with the name") || exitCode(err) != 1 {
		t.Errorf("untar over an existing directory: %v", err)
	}
	// An absolute --untardir ignores -d.
	abs := t.TempDir()
	e.mustBarge("pull", "b/web", "--untar", "--untardir", abs, "-d", filepath.Join(dest, "ignored"))
	if _, err := os.Stat(filepath.Join(abs, "web", "Chart.yaml")); err != nil {
		t.Errorf("absolute --untardir: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dest, "ignored")); err == nil {
		t.Error("-d created although --untardir is absolute")
	}

	// --repo URL, nothing configured: the repository is not added.
	other := newRepoEnv(t)
	dest = t.TempDir()
	other.mustBarge("pull", "db", "--repo", srv.URL, "--version", "0.9.0", "-d", dest)
	if _, err := os.Stat(filepath.Join(dest, "db-0.9.0.tgz")); err != nil {
		t.Errorf("pull --repo: %v", err)
	}
	if c := other.config(); c != "" {
		t.Errorf("pull --repo wrote repositories.yaml:\n%s", c)
	}

	errs := []struct {
		args []string
		want string
	}{
		{[]string{"b/nope"}, `chart "nope" not found in b index`},
		{[]string{"b/web", "--version", "9"}, `chart "web" version "9" not found in b index (newest: 2.0.0-rc.1, 1.2.0, 1.0.0, 0.1.0)`},
		{[]string{"nope/web"}, "repo nope not found"},
		{[]string{"./db"}, "pull downloads charts from repositories, not local paths"},
		{[]string{"b/web", "--verify"}, "/web-1.2.0.tgz.prov: 404 Not Found; the chart is not signed"},
		{[]string{"b/web", "--prov"}, "/web-1.2.0.tgz.prov: 404 Not Found; the chart is not signed"},
	}
	for _, tc := range errs {
		_, _, err := e.barge(append([]string{"pull", "-d", t.TempDir()}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) || exitCode(err) != 1 {
			t.Errorf("pull %s: %v, want an error with %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
}

// TestPullRefusesBadArchives serves archives a hostile or broken
// repository could: one whose digest is not the index's, and ones with an
// entry leaving the chart's directory, a symbolic link, and a gzip bomb.
// pull refuses each, saved or untarred, naming the archive and the entry,
// and writes nothing, in the destination or outside it.
func TestPullRefusesBadArchives(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	chart := func(name string) tgzEntry {
		return tgzEntry{name: name + "/Chart.yaml", body: "apiVersion: v2\nname: " + name + "\nversion: 1.0.0\n"}
	}
	writeTgz(t, filepath.Join(dir, "escape-1.0.0.tgz"), []tgzEntry{chart("escape"), {name: "escape/../../escaped.txt", body: "pwned\n"}})
	writeTgz(t, filepath.Join(dir, "link-1.0.0.tgz"), []tgzEntry{chart("link"), {name: "link/templates/passwd.yaml", typ: tar.TypeSymlink, linkname: "/etc/passwd"}})
	writeTgz(t, filepath.Join(dir, "bomb-1.0.0.tgz"), []tgzEntry{chart("bomb"), {name: "bomb/templates/big.yaml", size: 64 << 20}})
	if fi, _ := os.Stat(filepath.Join(dir, "bomb-1.0.0.tgz")); fi.Size() > 1<<20 {
		t.Fatalf("the bomb is %d bytes compressed: not a bomb", fi.Size())
	}
	writeEvilIndex(t, dir)
	e := newRepoEnv(t)
	srv := newRepoServer(t, dir, "", "")
	e.mustBarge("repo", "add", "evil", srv.URL)

	tests := []struct {
		chart string
		want  []string
	}{
		{"escape", []string{"chart archive " + srv.URL + "/escape-1.0.0.tgz: entry \"escape/../../escaped.txt\": "}},
		{"link", []string{"chart archive " + srv.URL + "/link-1.0.0.tgz: entry \"link/templates/passwd.yaml\": ", "link"}},
		{"bomb", []string{"chart archive " + srv.URL + "/bomb-1.0.0.tgz: entry \"bomb/templates/big.yaml\": "}},
		{"liar", []string{"chart archive " + srv.URL + "/liar-1.0.0.tgz: chart archive digest mismatch: the index of evil says sha256:" + strings.Repeat("0", 64)}},
	}
	for _, tc := range tests {
		for _, untar := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s untar=%v", tc.chart, untar), func(t *testing.T) {
				outer := t.TempDir()
				dest := filepath.Join(outer, "dest")
				if err := os.Mkdir(dest, 0o755); err != nil {
					t.Fatal(err)
				}
				args := []string{"pull", "evil/" + tc.chart, "-d", dest}
				if untar {
					args = append(args, "--untar", "--untardir", "sub")
				}
				out, _, err := e.barge(args...)
				if err == nil {
					t.Fatalf("pull succeeded: %s", out)
				}
				t.Log(err)
				msg := err.Error()
				for _, w := range tc.want {
					if !strings.Contains(msg, w) {
						t.Errorf("error %q\nlacks %q", msg, w)
					}
				}
				if exitCode(err) != 1 || strings.Contains(msg, "\n") {
					t.Errorf("exit %d, or not one line: %q", exitCode(err), msg)
				}
				files := listFiles(t, outer)
				want := []string{"dest"}
				if untar && tc.chart != "liar" {
					want = append(want, "dest/sub") // made before the archive is read, as Helm does
				}
				if !slices.Equal(files, want) {
					t.Errorf("files written: %v, want %v", files, want)
				}
			})
		}
	}
	if _, err := os.Stat(filepath.Join(e.dir, "escaped.txt")); err == nil {
		t.Error("escaped.txt written outside the destination")
	}
}

// TestPullCredentials checks that a repository's credentials go to its own
// host only, redirects included, unless --pass-credentials, and are never
// printed nor logged with --debug.
func TestPullCredentials(t *testing.T) {
	t.Parallel()
	e := newRepoEnv(t)
	charts := e.indexedCharts("")
	const pw = "s3cret-pw"
	origin := newRepoServer(t, charts, "alice", pw)
	cdn := newRepoServer(t, charts, "", "")
	origin.setRedirect("/web-1.2.0.tgz", cdn.URL+"/web-1.2.0.tgz")

	pull := func(args ...string) string {
		t.Helper()
		// Each pull downloads: the archive cache is emptied.
		if err := os.RemoveAll(filepath.Join(e.cacheDir(), "barge")); err != nil {
			t.Fatal(err)
		}
		args = append([]string{"pull", "-d", t.TempDir(), "--debug"}, args...)
		out, errOut, err := e.barge(args...)
		if err != nil {
			t.Fatalf("barge %s: %v\n%s", strings.Join(args, " "), err, errOut)
		}
		if strings.Contains(out+errOut, pw) {
			t.Errorf("barge %s prints the password:\n%s%s", strings.Join(args, " "), out, errOut)
		}
		return errOut
	}
	check := func(what string, wantSent bool) {
		t.Helper()
		sent, requested := cdn.sawAuth("/web-1.2.0.tgz")
		if !requested || sent != wantSent {
			t.Errorf("%s: the redirect's host got the credentials: %v (requested: %v), want %v", what, sent, requested, wantSent)
		}
		if auth, _ := origin.sawAuth("/web-1.2.0.tgz"); !auth {
			t.Errorf("%s: the repository's host did not get the credentials", what)
		}
	}

	e.mustBarge("repo", "add", "private", origin.URL, "--username", "alice", "--password", pw)
	log := pull("private/web")
	check("configured repository", false)
	if !strings.Contains(log, "withheld=true") {
		t.Errorf("--debug does not say the credentials were withheld:\n%s", log)
	}
	e.mustBarge("repo", "add", "passing", origin.URL, "--username", "alice", "--password", pw, "--pass-credentials")
	pull("passing/web")
	check("configured repository with --pass-credentials", true)

	pull("web", "--repo", origin.URL, "--username", "alice", "--password", pw)
	check("--repo", false)
	pull("web", "--repo", origin.URL, "--username", "alice", "--password", pw, "--pass-credentials")
	check("--repo --pass-credentials", true)

	// Wrong credentials: one line, the fix, no password.
	_, _, err := e.barge("pull", "web", "--repo", origin.URL, "--username", "alice", "--password", "wrong-pw", "-d", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "401 Unauthorized; check --username/--password") || strings.Contains(err.Error(), "wrong-pw") {
		t.Errorf("pull with a wrong password: %v", err)
	}
}
