package archive

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestUntar checks that Untar writes the chart under the name its
// Chart.yaml gives, with Helm's modes, and nothing else.
func TestUntar(t *testing.T) {
	ents := append(chartEnts("some-dir-1.0"), dirEnt("some-dir-1.0/empty/"), file("some-dir-1.0/files/deep/x.txt", "x"))
	dest := t.TempDir()
	dir, err := Untar(bytes.NewReader(tgz(t, ents...)), "x.tgz", dest, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if dir != filepath.Join(dest, "demo") {
		t.Errorf("Untar made %s, want %s", dir, filepath.Join(dest, "demo"))
	}
	want := []string{"demo/", "demo/Chart.yaml", "demo/files/", "demo/files/deep/", "demo/files/deep/x.txt", "demo/templates/", "demo/templates/cm.yaml", "demo/values.yaml"}
	if diff := cmp.Diff(want, listTree(t, dest)); diff != "" {
		t.Errorf("dest (-want +got):\n%s", diff)
	}
	fi, err := os.Stat(filepath.Join(dir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&^0o644 != 0 {
		t.Errorf("file mode %v, want at most 0644", fi.Mode().Perm())
	}
	fi, err = os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&^0o755 != 0 || fi.Mode().Perm()&0o700 != 0o700 {
		t.Errorf("directory mode %v, want 0755 less the umask", fi.Mode().Perm())
	}
}

// TestUntarExists checks that Untar refuses to replace what is at
// dest/NAME, in Helm's words, and changes nothing.
func TestUntarExists(t *testing.T) {
	for _, what := range []string{"directory", "file", "symlink"} {
		t.Run(what, func(t *testing.T) {
			dest := t.TempDir()
			p := filepath.Join(dest, "demo")
			var err error
			switch what {
			case "directory":
				err = os.Mkdir(p, 0o755)
			case "file":
				err = os.WriteFile(p, []byte("mine"), 0o644)
			case "symlink":
				err = os.Symlink(t.TempDir(), p)
			}
			if err != nil {
				t.Fatal(err)
			}
			before := listTree(t, dest)
			_, err = Untar(bytes.NewReader(okTgz(t)), "x.tgz", dest, Limits{})
			var ee *ExistsError
			if !errors.As(err, &ee) || ee.Path != p || !errors.Is(err, fs.ErrExist) {
				t.Fatalf("got %v, want an *ExistsError for %s", err, p)
			}
			if want := "failed to untar: a file or directory with the name " + p + " already exists"; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q, want it to start with %q", err, want)
			}
			if diff := cmp.Diff(before, listTree(t, dest)); diff != "" {
				t.Errorf("dest changed (-before +after):\n%s", diff)
			}
		})
	}
}

// TestUntarDestination checks that Untar wants an existing directory.
func TestUntarDestination(t *testing.T) {
	parent := t.TempDir()
	missing := filepath.Join(parent, "missing")
	if _, err := Untar(bytes.NewReader(okTgz(t)), "x.tgz", missing, Limits{}); err == nil || !strings.Contains(err.Error(), "does not exist; create it first") {
		t.Errorf("missing destination: got %v", err)
	}
	notDir := filepath.Join(parent, "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Untar(bytes.NewReader(okTgz(t)), "x.tgz", notDir, Limits{}); err == nil || !strings.Contains(err.Error(), "is not a directory") {
		t.Errorf("file as destination: got %v", err)
	}
	if diff := cmp.Diff([]string{"file"}, listTree(t, parent)); diff != "" {
		t.Errorf("parent (-want +got):\n%s", diff)
	}
}

// TestUntarChartName checks that Untar refuses a chart whose Chart.yaml
// gives no name it can use as a directory, naming Chart.yaml.
func TestUntarChartName(t *testing.T) {
	tests := []struct {
		name   string
		chart  string
		reason string
	}{
		{name: "parent", chart: "name: ..\nversion: 0.1.0\n", reason: `".."`},
		{name: "dot", chart: "name: .\nversion: 0.1.0\n", reason: `"."`},
		{name: "path", chart: "name: a/b\nversion: 0.1.0\n", reason: `"/"`},
		{name: "absolute", chart: "name: /tmp/x\nversion: 0.1.0\n", reason: "absolute"},
		{name: "backslash", chart: "name: a\\\\b\nversion: 0.1.0\n", reason: "backslash"},
		{name: "drive", chart: "name: \"C:\"\nversion: 0.1.0\n", reason: "drive letter"},
		{name: "no name", chart: "version: 0.1.0\n", reason: "no name"},
		{name: "does not parse", chart: "name: [\n", reason: "does not parse"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dest := t.TempDir()
			data := tgz(t, file("demo/Chart.yaml", tc.chart), file("demo/values.yaml", ""))
			_, err := Untar(bytes.NewReader(data), "x.tgz", dest, Limits{})
			var e *Error
			if !errors.As(err, &e) || e.Entry != "demo/Chart.yaml" || !strings.Contains(e.Reason, tc.reason) {
				t.Errorf("got %v, want an *Error for demo/Chart.yaml holding %q", err, tc.reason)
			}
			if got := listTree(t, dest); len(got) != 0 {
				t.Errorf("Untar left %v", got)
			}
		})
	}
	t.Run("no Chart.yaml", func(t *testing.T) {
		_, err := Untar(bytes.NewReader(tgz(t, file("demo/values.yaml", ""))), "x.tgz", t.TempDir(), Limits{})
		var e *Error
		if !errors.As(err, &e) || e.Entry != "demo/Chart.yaml" || !strings.Contains(e.Reason, "no Chart.yaml") {
			t.Errorf("got %v", err)
		}
	})
}

// TestUntarWriteFails checks that a failure while writing, here a file name
// too long for the file system, leaves nothing behind.
func TestUntarWriteFails(t *testing.T) {
	dest := t.TempDir()
	data := tgz(t, append(chartEnts("demo"), file("demo/"+strings.Repeat("n", 300), "x"))...)
	_, err := Untar(bytes.NewReader(data), "x.tgz", dest, Limits{})
	if err == nil || !strings.HasPrefix(err.Error(), "untar x.tgz into "+dest+": ") {
		t.Fatalf("got %v, want a write error", err)
	}
	if got := listTree(t, dest); len(got) != 0 {
		t.Errorf("Untar left %v", got)
	}
}
