package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"sigs.k8s.io/yaml"
)

// tarHeaders returns the headers of the gzipped tar data.
func tarHeaders(t testing.TB, data []byte) []*tar.Header {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var hds []*tar.Header
	for {
		hd, err := tr.Next()
		if err == io.EOF {
			return hds
		}
		if err != nil {
			t.Fatal(err)
		}
		hds = append(hds, hd)
	}
}

// TestPackageArchive checks what Package writes for the umbrella chart: the
// files Helm's directory loader finds, .helmignore honoured and subcharts
// included as they are, as regular files under umbrella/ with mode 0644 and
// a fixed time, Chart.yaml first and the rest sorted; and the same bytes
// every time.
func TestPackageArchive(t *testing.T) {
	dir := filepath.Join("testdata", "charts", "umbrella")
	first, err := Package(dir, t.TempDir(), PackageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(first) != "umbrella-0.3.0.tgz" {
		t.Errorf("archive named %s, want umbrella-0.3.0.tgz", filepath.Base(first))
	}
	fi, err := os.Stat(first)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("archive mode %v, want 0644", fi.Mode().Perm())
	}
	data, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}

	var names []string
	for _, hd := range tarHeaders(t, data) {
		names = append(names, hd.Name)
		if hd.Typeflag != tar.TypeReg || hd.Mode != 0o644 || !hd.ModTime.Equal(time.Unix(0, 0)) || hd.Uid != 0 || hd.Gid != 0 || hd.Uname != "" {
			t.Errorf("%s: type %q mode %o time %v owner %d/%d %q", hd.Name, hd.Typeflag, hd.Mode, hd.ModTime, hd.Uid, hd.Gid, hd.Uname)
		}
	}
	want := []string{
		"umbrella/Chart.yaml",
		"umbrella/.helmignore",
		"umbrella/charts/packed-0.2.0.tgz",
		"umbrella/charts/sub/Chart.yaml",
		"umbrella/charts/sub/templates/configmap.yaml",
		"umbrella/charts/sub/values.yaml",
		"umbrella/files/config.txt",
		"umbrella/templates/configmap.yaml",
		"umbrella/values.yaml",
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}

	files, err := Read(bytes.NewReader(data), first, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rawFiles(t, dir), bufferedMap(files)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}

	second, err := Package(dir, t.TempDir(), PackageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := os.ReadFile(second)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, again) {
		t.Error("two Packages of the same chart differ")
	}
}

// TestPackageReplacesArchive checks that Package replaces an archive of the
// same name and leaves no temporary file.
func TestPackageReplacesArchive(t *testing.T) {
	dir := writeChart(t, "r", map[string]string{"Chart.yaml": "apiVersion: v2\nname: r\nversion: 1.0.0\n"})
	dest := t.TempDir()
	if err := os.WriteFile(filepath.Join(dest, "r-1.0.0.tgz"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Package(dir, dest, PackageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(p, Limits{}); err != nil {
		t.Error(err)
	}
	if diff := cmp.Diff([]string{"r-1.0.0.tgz"}, topLevel(t, dest)); diff != "" {
		t.Errorf("dest (-want +got):\n%s", diff)
	}
}

// TestPackageOverride checks how --version and --app-version change
// Chart.yaml: one line each, comments kept, or Helm's rewrite from the
// metadata when the file is laid out so that a line cannot be changed.
func TestPackageOverride(t *testing.T) {
	opts := PackageOptions{Version: "2.0.0", AppVersion: "v9 \"quoted\""}
	tests := []struct {
		name  string
		chart string
		want  string // "" for Helm's rewrite
	}{
		{
			name:  "both lines",
			chart: "# comment\napiVersion: v2\nname: o\n# the version\nversion: 0.1.0 # old\nappVersion: \"1.0\"\ndescription: d\n",
			want:  "# comment\napiVersion: v2\nname: o\n# the version\nversion: \"2.0.0\"\nappVersion: \"v9 \\\"quoted\\\"\"\ndescription: d\n",
		},
		{
			name:  "appVersion added",
			chart: "apiVersion: v2\nname: o\nversion: 0.1.0\n",
			want:  "apiVersion: v2\nname: o\nversion: \"2.0.0\"\nappVersion: \"v9 \\\"quoted\\\"\"\n",
		},
		{
			name:  "no final newline",
			chart: "apiVersion: v2\nname: o\nversion: 0.1.0",
			want:  "apiVersion: v2\nname: o\nversion: \"2.0.0\"\nappVersion: \"v9 \\\"quoted\\\"\"\n",
		},
		{
			name:  "CRLF",
			chart: "apiVersion: v2\r\nname: o\r\nversion: 0.1.0\r\n",
			want:  "apiVersion: v2\r\nname: o\r\nversion: \"2.0.0\"\r\nappVersion: \"v9 \\\"quoted\\\"\"\r\n",
		},
		{name: "flow style", chart: "{apiVersion: v2, name: o, version: 0.1.0}\n"},
		{name: "value on the next line", chart: "apiVersion: v2\nname: o\nversion:\n  0.1.0\n"},
		{name: "document end", chart: "apiVersion: v2\nname: o\nversion: 0.1.0\n...\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeChart(t, "o", map[string]string{"Chart.yaml": tc.chart})
			p, err := Package(dir, t.TempDir(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if filepath.Base(p) != "o-2.0.0.tgz" {
				t.Errorf("archive named %s", filepath.Base(p))
			}
			ch, err := LoadFile(p, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if ch.Metadata.Version != opts.Version || ch.Metadata.AppVersion != opts.AppVersion || ch.Name() != "o" {
				t.Errorf("loaded %s %q %q", ch.Name(), ch.Metadata.Version, ch.Metadata.AppVersion)
			}
			got := string(rawFile(t, ch, "Chart.yaml"))
			want := tc.want
			if want == "" {
				md := *ch.Metadata
				b, err := yaml.Marshal(&md)
				if err != nil {
					t.Fatal(err)
				}
				want = string(b)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Chart.yaml (-want +got):\n%s", diff)
			}
		})
	}
}

// rawFile returns the raw file name of ch.
func rawFile(t testing.TB, ch *chart.Chart, name string) []byte {
	t.Helper()
	for _, f := range ch.Raw {
		if f.Name == name {
			return f.Data
		}
	}
	t.Fatalf("chart %s has no %s", ch.Name(), name)
	return nil
}

// TestPackageErrors checks what Package refuses, with `helm package`'s
// words, and that it then leaves nothing in the destination.
func TestPackageErrors(t *testing.T) {
	const ok = "apiVersion: v2\nname: e\nversion: 0.1.0\n"
	tests := []struct {
		name  string
		files map[string]string
		opts  PackageOptions
		want  string
	}{
		{name: "bad --version", files: map[string]string{"Chart.yaml": ok}, opts: PackageOptions{Version: "1.x"}, want: `version "1.x": invalid semantic version`},
		{name: "bad version", files: map[string]string{"Chart.yaml": "apiVersion: v2\nname: e\nversion: one\n"}, want: `validation: chart.metadata.version "one" is invalid`},
		{name: "no name", files: map[string]string{"Chart.yaml": "apiVersion: v2\nversion: 0.1.0\n"}, want: "validation: chart.metadata.name is required"},
		{name: "no Chart.yaml", files: map[string]string{"values.yaml": "a: 1\n"}, want: "Chart.yaml file is missing"},
		{name: "Chart.yaml does not parse", files: map[string]string{"Chart.yaml": "name: [\n"}, want: "cannot load Chart.yaml"},
		{name: "missing dependency", files: map[string]string{"Chart.yaml": ok + "dependencies:\n  - name: nothere\n    version: 1.0.0\n"}, want: "found in Chart.yaml, but missing in charts/ directory: nothere"},
		{name: "bad schema", files: map[string]string{"Chart.yaml": ok, "values.schema.json": "{"}, want: "invalid JSON in values.schema.json"},
		{name: "bad subchart schema", files: map[string]string{"Chart.yaml": ok, "charts/s/Chart.yaml": "apiVersion: v2\nname: s\nversion: 0.1.0\n", "charts/s/values.schema.json": "{"}, want: "chart e/charts/s: invalid JSON in values.schema.json"},
		{name: "backslash in a file name", files: map[string]string{"Chart.yaml": ok, `files/a\b`: "x"}, want: "backslash"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeChart(t, "e", tc.files)
			dest := t.TempDir()
			_, err := Package(dir, dest, tc.opts)
			if err == nil {
				t.Fatal("Package succeeded")
			}
			if !strings.HasPrefix(err.Error(), "package "+dir+": ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to start with %q and hold %q", err, "package "+dir+": ", tc.want)
			}
			if got := topLevel(t, dest); len(got) != 0 {
				t.Errorf("Package left %v", got)
			}
		})
	}
}

// TestPackageLibraryChart checks that library charts are packaged, as Helm
// packages them.
func TestPackageLibraryChart(t *testing.T) {
	dir := writeChart(t, "lib", map[string]string{
		"Chart.yaml":             "apiVersion: v2\nname: lib\nversion: 0.1.0\ntype: library\n",
		"templates/_helpers.tpl": "{{- define \"lib.name\" -}}lib{{- end -}}\n",
	})
	p, err := Package(dir, t.TempDir(), PackageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := LoadFile(p, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if ch.Metadata.Type != "library" {
		t.Errorf("type %q", ch.Metadata.Type)
	}
}

// TestPackageDestination checks that Package makes a missing destination and
// refuses one that is a file.
func TestPackageDestination(t *testing.T) {
	dir := writeChart(t, "d", map[string]string{"Chart.yaml": "apiVersion: v2\nname: d\nversion: 0.1.0\n"})
	dest := filepath.Join(t.TempDir(), "a", "b")
	if _, err := Package(dir, dest, PackageOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dest, "d-0.1.0.tgz")); err != nil {
		t.Error(err)
	}
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Package(dir, notDir, PackageOptions{}); err == nil {
		t.Error("Package wrote into a file")
	}
}

// TestWrite checks Write's own checks and that Read gives back what it
// writes.
func TestWrite(t *testing.T) {
	load := func(t *testing.T, files map[string]string) *chart.Chart {
		var bf []*loader.BufferedFile
		for n, d := range files {
			bf = append(bf, &loader.BufferedFile{Name: n, Data: []byte(d)})
		}
		ch, err := loader.LoadFiles(bf)
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	files := map[string]string{
		"Chart.yaml":                        "apiVersion: v2\nname: w\nversion: 0.1.0\n",
		"values.yaml":                       "a: 1\n",
		"templates/a.yaml":                  "kind: A\n",
		"charts/s/Chart.yaml":               "apiVersion: v2\nname: s\nversion: 0.1.0\n",
		"files/" + strings.Repeat("n", 200): "long name",
	}

	t.Run("round trip", func(t *testing.T) {
		var buf bytes.Buffer
		if err := Write(&buf, load(t, files)); err != nil {
			t.Fatal(err)
		}
		got, err := Read(&buf, "w.tgz", Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(files, bufferedMap(got)); diff != "" {
			t.Errorf("files (-want +got):\n%s", diff)
		}
	})
	t.Run("no metadata", func(t *testing.T) {
		if err := Write(io.Discard, &chart.Chart{}); err == nil {
			t.Error("Write accepted a chart without metadata")
		}
		if err := Write(io.Discard, nil); err == nil {
			t.Error("Write accepted nil")
		}
	})
	t.Run("no Chart.yaml in Raw", func(t *testing.T) {
		ch := load(t, files)
		ch.Raw = ch.Raw[:0]
		if err := Write(io.Discard, ch); err == nil || !strings.Contains(err.Error(), "no Chart.yaml") {
			t.Errorf("got %v", err)
		}
	})
	for _, bad := range []string{"../x", "/x", "a//b", "Chart.yaml"} {
		t.Run("raw name "+bad, func(t *testing.T) {
			ch := load(t, files)
			ch.Raw = append(ch.Raw, &chart.File{Name: bad, Data: []byte("x")})
			err := Write(io.Discard, ch)
			if err == nil || !strings.Contains(err.Error(), "write chart archive w: file ") {
				t.Errorf("got %v", err)
			}
		})
	}
	t.Run("writer fails", func(t *testing.T) {
		boom := errors.New("disk full")
		if err := Write(failWriter{boom}, load(t, files)); !errors.Is(err, boom) {
			t.Errorf("got %v, want %v", err, boom)
		}
	})
}

// failWriter fails every write with its error.
type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }
