package cli

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// badArchives writes into dir one chart archive of each kind barge refuses
// (each chart named as its file), and returns, by name, the entry its error
// must name and a word of the reason.
func badArchives(t *testing.T, dir string) map[string][2]string {
	t.Helper()
	chart := func(name string) tgzEntry {
		return tgzEntry{name: name + "/Chart.yaml", body: "apiVersion: v2\nname: " + name + "\nversion: 1.0.0\n"}
	}
	many := []tgzEntry{chart("many")}
	for i := range 10_001 {
		many = append(many, tgzEntry{name: fmt.Sprintf("many/files/%d.txt", i), body: "x"})
	}
	archives := map[string]struct {
		entries []tgzEntry
		entry   string
		reason  string
	}{
		"escape":   {[]tgzEntry{{name: "escape/../../escaped.txt", body: "pwned\n"}}, "escape/../../escaped.txt", ".."},
		"absolute": {[]tgzEntry{{name: "/tmp/absolute.txt", body: "pwned\n"}}, "/tmp/absolute.txt", "absolute"},
		"symlink":  {[]tgzEntry{{name: "symlink/templates/passwd.yaml", typ: tar.TypeSymlink, linkname: "/etc/passwd"}}, "symlink/templates/passwd.yaml", "symbolic link"},
		"hardlink": {[]tgzEntry{{name: "hardlink/values.yaml", typ: tar.TypeLink, linkname: "hardlink/Chart.yaml"}}, "hardlink/values.yaml", "hard link"},
		"device":   {[]tgzEntry{{name: "device/tty", typ: tar.TypeChar}}, "device/tty", "character device"},
		"fifo":     {[]tgzEntry{{name: "fifo/pipe", typ: tar.TypeFifo}}, "fifo/pipe", "FIFO"},
		"bigfile":  {[]tgzEntry{{name: "bigfile/templates/big.yaml", size: 6 << 20}}, "bigfile/templates/big.yaml", "5 MiB"},
		"bomb":     {[]tgzEntry{{name: "bomb/templates/big.yaml", size: 200 << 20}}, "bomb/templates/big.yaml", "MiB"},
		"many":     {many[1:], "many/files/9999.txt", "10000"},
	}
	want := map[string][2]string{}
	for name, a := range archives {
		writeTgz(t, filepath.Join(dir, name+"-1.0.0.tgz"), append([]tgzEntry{chart(name)}, a.entries...))
		want[name] = [2]string{a.entry, a.reason}
	}
	if fi, err := os.Stat(filepath.Join(dir, "bomb-1.0.0.tgz")); err != nil || fi.Size() > 1<<20 {
		t.Fatalf("the bomb is not a small archive: %v", err)
	}
	return want
}

// writeEvilIndex adds to dir, which holds NAME-1.0.0.tgz archives of charts
// called NAME, liar-1.0.0.tgz, and writes index.yaml listing them all with
// their digests, but for liar, whose digest the index gets wrong. It
// returns the names, sorted.
func writeEvilIndex(t *testing.T, dir string) []string {
	t.Helper()
	writeTgz(t, filepath.Join(dir, "liar-1.0.0.tgz"), []tgzEntry{{name: "liar/Chart.yaml", body: "apiVersion: v2\nname: liar\nversion: 1.0.0\n"}})
	files, err := filepath.Glob(filepath.Join(dir, "*-1.0.0.tgz"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var index strings.Builder
	index.WriteString("apiVersion: v1\nentries:\n")
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), "-1.0.0.tgz")
		names = append(names, name)
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		digest := hex.EncodeToString(sum[:])
		if name == "liar" {
			digest = strings.Repeat("0", 64)
		}
		fmt.Fprintf(&index, "  %s:\n  - name: %s\n    version: 1.0.0\n    apiVersion: v2\n    urls: [%s-1.0.0.tgz]\n    digest: %s\n", name, name, name, digest)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.yaml"), []byte(index.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return names
}

// TestBadArchivesGivenAsFiles gives each bad archive to template, install
// and show: one line naming the archive and the entry, exit 1, nothing
// written beside the archive.
func TestBadArchivesGivenAsFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	archives := badArchives(t, dir)
	before := listFiles(t, dir)
	e := newRepoEnv(t)
	for name, w := range archives {
		path := filepath.Join(dir, name+"-1.0.0.tgz")
		for _, args := range [][]string{
			{"template", "x", path},
			{"install", "x", path, "--dry-run"},
			{"show", "chart", path},
		} {
			t.Run(name+" "+args[0], func(t *testing.T) {
				out, _, err := e.barge(args...)
				if err == nil {
					t.Fatalf("%v succeeded:\n%s", args, out)
				}
				msg := err.Error()
				prefix := fmt.Sprintf("chart archive %s: entry %q: ", path, w[0])
				if !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, w[1]) || strings.Contains(msg, "\n") {
					t.Errorf("error %q\nwant one line starting %q and saying %q", msg, prefix, w[1])
				}
				if code := exitCode(err); code != 1 {
					t.Errorf("exit %d, want 1", code)
				}
				if out != "" {
					t.Errorf("stdout %q", out)
				}
			})
		}
	}
	if after := listFiles(t, dir); !slices.Equal(before, after) {
		t.Errorf("files beside the archives changed: %v, then %v", before, after)
	}
	if _, err := os.Stat("/tmp/absolute.txt"); err == nil {
		t.Error("/tmp/absolute.txt exists")
	}
}

// TestBadArchivesAsDependencies has dependency update fetch each bad
// archive, and one whose digest is not the index's, from a repository:
// each is refused naming its URL and entry, and neither charts/ nor
// Chart.lock is written. template of repo/chart refuses them the same way.
func TestBadArchivesAsDependencies(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	archives := badArchives(t, dir)
	names := writeEvilIndex(t, dir)
	srv := newRepoServer(t, dir, "", "")
	e := newRepoEnv(t)
	e.mustBarge("repo", "add", "evil", srv.URL)
	archives["liar"] = [2]string{"", "digest mismatch"}

	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			parent := depParent(t, "- name: "+name+"\n  version: 1.0.0\n  repository: \"@evil\"\n")
			before := listFiles(t, filepath.Dir(parent))
			_, _, err := e.barge("dependency", "update", parent)
			if err == nil {
				t.Fatal("dependency update succeeded")
			}
			msg := err.Error()
			w := archives[name]
			prefix := "chart archive " + srv.URL + "/" + name + "-1.0.0.tgz: "
			if w[0] != "" {
				prefix += fmt.Sprintf("entry %q: ", w[0])
			}
			if !strings.Contains(msg, prefix) || !strings.Contains(msg, w[1]) || strings.Contains(msg, "\n") {
				t.Errorf("error %q\nwant one line with %q and %q", msg, prefix, w[1])
			}
			if code := exitCode(err); code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if after := listFiles(t, filepath.Dir(parent)); !slices.Equal(before, after) {
				t.Errorf("files written by a refused update: %v, then %v", before, after)
			}
			out, _, err := e.barge("template", "x", "evil/"+name)
			if err == nil || !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), w[1]) || exitCode(err) != 1 || out != "" {
				t.Errorf("template x evil/%s: %v (exit %d, stdout %q), want one line starting %q", name, err, exitCode(err), out, prefix)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(e.dir, "escaped.txt")); err == nil {
		t.Error("escaped.txt written outside the destination")
	}
}
