package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bargehq/barge/pkg/chart/archive"
)

// TestPackageCmdRendersLikeDir packages a chart made by helm create, with a
// dependency fetched by -u, and checks that helm 3.22 and 4.3 render the
// archive as they render the directory.
func TestPackageCmdRendersLikeDir(t *testing.T) {
	srv := depRepoServer(t, "sub@1.2.0")
	e := newRepoEnv(t)
	e.mustBarge("repo", "add", "myrepo", srv.URL)
	dir := filepath.Join(t.TempDir(), "demo")
	e.mustHelm("v3.22.0", "create", dir)
	f, err := os.OpenFile(filepath.Join(dir, "Chart.yaml"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("dependencies:\n- name: sub\n  version: ^1\n  repository: \"@myrepo\"\n")
	f.Close()

	dest := filepath.Join(t.TempDir(), "out")
	out, errOut, err := e.barge("package", dir, "-d", dest, "-u")
	if err != nil {
		t.Fatalf("package -u: %v\n%s", err, errOut)
	}
	if want := "Successfully packaged chart and saved it to: " + filepath.Join(dest, "demo-0.1.0.tgz") + "\n"; out != want {
		t.Errorf("stdout %q, want %q", out, want)
	}
	if errOut != "" {
		t.Errorf("stderr %q", errOut)
	}
	if diff := cmp.Diff([]string{"sub-1.2.0.tgz"}, chartsDirList(t, dir)); diff != "" {
		t.Errorf("charts/ after -u (-want +got):\n%s", diff)
	}
	tgz := filepath.Join(dest, "demo-0.1.0.tgz")
	for _, v := range []string{"v3.22.0", "v4.3.1"} {
		t.Run("helm "+v, func(t *testing.T) {
			fromDir := e.mustHelm(v, "template", "x", dir)
			fromArchive := e.mustHelm(v, "template", "x", tgz)
			if diff := cmp.Diff(fromDir, fromArchive); diff != "" {
				t.Errorf("helm template (-dir +archive):\n%s", diff)
			}
			if !strings.Contains(fromArchive, "# Source: demo/charts/sub/templates/cm.yaml") {
				t.Errorf("the dependency is not rendered:\n%s", fromArchive)
			}
		})
	}
}

// TestPackageCmdDefaultDestination writes to the current directory and
// prints the archive's full path, as helm does.
func TestPackageCmdDefaultDestination(t *testing.T) {
	e := newRepoEnv(t)
	src := t.TempDir()
	one, two := filepath.Join(src, "one"), filepath.Join(src, "two")
	writeChart(t, one, "one", "1.0.0", "first", "")
	writeChart(t, two, "two", "2.0.0", "second", "type: library\n")
	wd := t.TempDir()
	// helm's path is relative to the package directory, which we leave.
	t.Setenv("BARGE_TOOLS_BIN", filepath.Dir(helmBinary(t, "v3.22.0")))
	t.Chdir(wd)
	out := e.mustBarge("package", one, two)
	want := "Successfully packaged chart and saved it to: " + filepath.Join(wd, "one-1.0.0.tgz") + "\n" +
		"Successfully packaged chart and saved it to: " + filepath.Join(wd, "two-2.0.0.tgz") + "\n"
	if out != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, want)
	}
	if hout := e.mustHelm("v3.22.0", "package", one, two); hout != out {
		t.Errorf("helm prints:\n%s\nbarge:\n%s", hout, out)
	}
}

func TestPackageCmdVersions(t *testing.T) {
	e := newRepoEnv(t)
	dir := filepath.Join(t.TempDir(), "app")
	writeChart(t, dir, "app", "0.1.0", "an app", "")
	dest := t.TempDir()
	out := e.mustBarge("package", dir, "--destination", dest, "--version", "2.3.4", "--app-version", "v9")
	p := filepath.Join(dest, "app-2.3.4.tgz")
	if out != "Successfully packaged chart and saved it to: "+p+"\n" {
		t.Errorf("stdout %q", out)
	}
	ch, err := archive.LoadFile(p, archive.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if ch.Metadata.Version != "2.3.4" || ch.Metadata.AppVersion != "v9" {
		t.Errorf("packaged version %q, appVersion %q", ch.Metadata.Version, ch.Metadata.AppVersion)
	}
	shown := e.mustHelm("v3.22.0", "show", "chart", p)
	if !strings.Contains(shown, "version: 2.3.4") || !strings.Contains(shown, "appVersion: v9") {
		t.Errorf("helm show chart:\n%s", shown)
	}
}

func TestPackageCmdErrors(t *testing.T) {
	e := newRepoEnv(t)
	src := t.TempDir()
	app := filepath.Join(src, "app")
	writeChart(t, app, "app", "0.1.0", "an app", "")
	needs := filepath.Join(src, "needs")
	writeChart(t, needs, "needs", "0.1.0", "has a dependency", "dependencies:\n- name: sub\n  version: ^1\n  repository: https://charts.example.com\n")
	file := filepath.Join(src, "file.tgz")
	os.WriteFile(file, []byte("x"), 0o644)
	dest := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no chart", []string{"package"}, "need at least one argument, the path to the chart"},
		{"no such directory", []string{"package", filepath.Join(src, "nope"), "-d", dest}, "chart " + filepath.Join(src, "nope") + ": no such directory; give the path of a chart directory"},
		{"an archive", []string{"package", file, "-d", dest}, "chart " + file + " is not a directory: package takes a chart directory"},
		{"sign without key", []string{"package", app, "-d", dest, "--sign"}, "--key is required for signing a package"},
		{"sign without keyring", []string{"package", app, "-d", dest, "--sign", "--key", "k", "--keyring", filepath.Join(src, "nope.gpg")}, filepath.Join(src, "nope.gpg")},
		{"missing dependencies", []string{"package", needs, "-d", dest}, "found in Chart.yaml, but missing in charts/ directory: sub"},
		{"bad version", []string{"package", app, "-d", dest, "--version", "one"}, `version "one"`},
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
			if out != "" {
				t.Errorf("stdout %q", out)
			}
		})
	}
	if entries, _ := os.ReadDir(dest); len(entries) != 0 {
		t.Errorf("failed packages left %v", entries)
	}
}
