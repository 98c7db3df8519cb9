package archive

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart"
	"sigs.k8s.io/yaml"
)

// TestHelmArchives reads, loads and unpacks archives that the reference Helm
// binaries made: Read gives back the files Helm's directory loader finds in
// the chart directory, and Untar writes them.
func TestHelmArchives(t *testing.T) {
	for _, bin := range []string{helm3, helm4} {
		t.Run(bin, func(t *testing.T) {
			t.Parallel()
			dir := helmCreate(t, bin, "demo")
			tgzPath := helmPackage(t, bin, dir)
			// Helm writes Chart.yaml anew from the metadata it parsed, and
			// every other file as it is.
			want := rawFiles(t, dir)
			wantMeta := parseMetadata(t, want["Chart.yaml"])
			delete(want, "Chart.yaml")
			compare := func(what string, got map[string]string) {
				t.Helper()
				if diff := cmp.Diff(wantMeta, parseMetadata(t, got["Chart.yaml"])); diff != "" {
					t.Errorf("%s: Chart.yaml (-want +got):\n%s", what, diff)
				}
				delete(got, "Chart.yaml")
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s (-want +got):\n%s", what, diff)
				}
			}
			data, err := os.ReadFile(tgzPath)
			if err != nil {
				t.Fatal(err)
			}

			files, err := Read(bytes.NewReader(data), tgzPath, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			compare("Read", bufferedMap(files))

			ch, err := LoadFile(tgzPath, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if ch.Name() != "demo" || ch.Metadata.Version != "0.1.0" || len(ch.Templates) == 0 {
				t.Errorf("LoadFile: chart %s %s with %d templates", ch.Name(), ch.Metadata.Version, len(ch.Templates))
			}

			dest := t.TempDir()
			got, err := Untar(bytes.NewReader(data), tgzPath, dest, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if got != filepath.Join(dest, "demo") {
				t.Errorf("Untar made %s, want %s", got, filepath.Join(dest, "demo"))
			}
			compare("Untar", readDirFiles(t, got))
			if diff := cmp.Diff([]string{"demo/"}, topLevel(t, dest)); diff != "" {
				t.Errorf("Untar left more in dest (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHelmArchiveWithSubcharts loads a Helm-made archive of the umbrella
// chart, whose subcharts Helm writes as directories.
func TestHelmArchiveWithSubcharts(t *testing.T) {
	for _, bin := range []string{helm3, helm4} {
		t.Run(bin, func(t *testing.T) {
			t.Parallel()
			tgzPath := helmPackage(t, bin, umbrella(t))
			ch, err := LoadFile(tgzPath, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			var deps []string
			for _, d := range ch.Dependencies() {
				deps = append(deps, d.Name())
			}
			if diff := cmp.Diff([]string{"packed", "sub"}, sortedStrings(deps)); diff != "" {
				t.Errorf("dependencies (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPackageMatchesHelm packages charts with Package and checks that both
// reference Helm binaries render the archive exactly as they render the
// chart's directory, and render an archive packaged with --version and
// --app-version exactly as the one `helm package` makes with the same flags.
func TestPackageMatchesHelm(t *testing.T) {
	charts := map[string]func(t *testing.T) string{
		"helm create": func(t *testing.T) string { return helmCreate(t, helm3, "demo") },
		"umbrella":    func(t *testing.T) string { return umbrella(t) },
	}
	opts := PackageOptions{Version: "1.2.3-rc.1+build.5", AppVersion: "9.9"}
	for name, mk := range charts {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := mk(t)
			plain, err := Package(dir, t.TempDir(), PackageOptions{})
			if err != nil {
				t.Fatal(err)
			}
			overridden, err := Package(dir, t.TempDir(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := filepath.Base(overridden); got != filepath.Base(dir)+"-1.2.3-rc.1+build.5.tgz" {
				t.Errorf("archive named %s", got)
			}
			for _, bin := range []string{helm3, helm4} {
				if diff := cmp.Diff(runHelm(t, bin, "template", "x", dir), runHelm(t, bin, "template", "x", plain)); diff != "" {
					t.Errorf("%s template: directory (-) and Package's archive (+) differ:\n%s", bin, diff)
				}
				helmTgz := helmPackage(t, bin, dir, "--version", opts.Version, "--app-version", opts.AppVersion)
				want := runHelm(t, bin, "template", "x", helmTgz)
				if diff := cmp.Diff(want, runHelm(t, bin, "template", "x", overridden)); diff != "" {
					t.Errorf("%s template: helm package's archive (-) and Package's (+) differ with --version and --app-version:\n%s", bin, diff)
				}
				if filepath.Base(helmTgz) != filepath.Base(overridden) {
					t.Errorf("helm package made %s, Package %s", filepath.Base(helmTgz), filepath.Base(overridden))
				}
			}
		})
	}
}

// TestPackageVersionLikeHelm checks that Package accepts and refuses the
// versions `helm package --version` does.
func TestPackageVersionLikeHelm(t *testing.T) {
	dir := writeChart(t, "v", map[string]string{"Chart.yaml": "apiVersion: v2\nname: v\nversion: 0.1.0\n"})
	for _, v := range []string{"v1.2", "1.2", "1.2.3-alpha"} {
		helmTgz := helmPackage(t, helm3, dir, "--version", v)
		got, err := Package(dir, t.TempDir(), PackageOptions{Version: v})
		if err != nil {
			t.Errorf("version %q: helm package accepts it, Package: %v", v, err)
			continue
		}
		if filepath.Base(got) != filepath.Base(helmTgz) {
			t.Errorf("version %q: helm package made %s, Package %s", v, filepath.Base(helmTgz), filepath.Base(got))
		}
	}
}

// topLevel returns the names directly in dir, with "/" after directories.
func topLevel(t testing.TB, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, de := range des {
		n := de.Name()
		if de.IsDir() {
			n += "/"
		}
		got = append(got, n)
	}
	return got
}

// umbrella returns the absolute path of the umbrella chart.
func umbrella(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("testdata", "charts", "umbrella"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// parseMetadata parses a Chart.yaml.
func parseMetadata(t testing.TB, data string) *chart.Metadata {
	t.Helper()
	var md chart.Metadata
	if err := yaml.Unmarshal([]byte(data), &md); err != nil {
		t.Fatal(err)
	}
	return &md
}
