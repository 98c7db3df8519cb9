package repo

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseIndexBadEntries(t *testing.T) {
	data, err := os.ReadFile("testdata/bad-entries-index.yaml")
	if err != nil {
		t.Fatal(err)
	}
	idx, err := ParseIndex(data, `repository "test"`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range idx.Skipped {
		got = append(got, s.Error())
	}
	want := []string{
		`repository "test": chart "nginx" version "not-semver": version "not-semver" is not SemVer: invalid semantic version; entry skipped`,
		`repository "test": chart "nginx" version "1.3.0": no URLs: the archive cannot be downloaded; entry skipped`,
		`repository "test": chart "nginx" version "1.4.0": invalid URL "http://[::1/nginx.tgz": missing ']' in host; entry skipped`,
		`repository "test": chart "nginx" entry 7: empty entry; entry skipped`,
		`repository "test": chart "nginx" version "1.5.0": wrong field type: line 30: cannot unmarshal !!seq into bool; entry skipped`,
		`repository "test": chart "nginx" version "1.6.0": no name; entry skipped`,
		`repository "test": chart "nginx" version "1.7.0": type "plugin" is neither application nor library; entry skipped`,
		`repository "test": chart "redis": not a list of versions: line 38: cannot unmarshal !!map into a list; chart skipped`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("skipped (-want +got)\n%s", diff)
	}
	var versions []string
	for _, cv := range idx.Entries["nginx"] {
		versions = append(versions, cv.Version)
	}
	if diff := cmp.Diff([]string{"2.0.0-rc.1", "1.10.0", "1.2.0"}, versions); diff != "" {
		t.Errorf("nginx versions (-want +got)\n%s", diff)
	}
	cv := idx.Entries["nginx"][2]
	if cv.Description != "An [31mNGINX[0m web server" {
		t.Errorf("description not cleaned: %q", cv.Description)
	}
	if cv.Created.Nanosecond() != 123456789 || cv.AppVersion != "1.25" || cv.APIVersion != "v2" || len(cv.Keywords) != 2 {
		t.Errorf("fields: %+v", cv)
	}
	my := idx.Entries["mysql"][0]
	if len(my.Maintainers) != 1 || len(my.Dependencies) != 1 || my.APIVersion != "v1" {
		t.Errorf("mysql: %+v", my.Metadata)
	}
	if _, ok := idx.Entries["empty"]; ok {
		t.Error("empty chart listed")
	}
	if idx.ServerInfo["contextPath"] != "/charts" {
		t.Errorf("serverInfo = %v", idx.ServerInfo)
	}
	if _, err := idx.Marshal(); err != nil {
		t.Errorf("Marshal: %v", err)
	}
}

func TestParseIndexErrors(t *testing.T) {
	tests := []struct {
		name, data, want string
		is               error
	}{
		{name: "empty", data: " \n", want: `src: empty index.yaml file`, is: ErrEmptyIndex},
		{name: "no apiVersion", data: "entries: {}\n", want: `src: no API version specified; the file is not a valid index.yaml`, is: ErrNoAPIVersion},
		{name: "not yaml", data: "<html>\n  <body>: [\n", want: `src: yaml: line 2: mapping values are not allowed in this context; the file is not a valid index.yaml`},
		{name: "entries not a map", data: "apiVersion: v1\nentries: [1]\n", want: "src: line 2: cannot unmarshal !!seq into a mapping of charts; the file is not a valid index.yaml"},
		{name: "deep", data: strings.Repeat("[", 20000), want: "src: yaml: exceeded max depth of 10000; the file is not a valid index.yaml"},
		{name: "aliases", data: billionLaughs, want: "src: yaml: document contains excessive aliasing; the file is not a valid index.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseIndex([]byte(tt.data), "src")
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error = %v\nwant    %s", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error does not wrap %v", tt.is)
			}
		})
	}
	_, err := parseIndex([]byte("apiVersion: v1\n"), "src", 4)
	if !errors.Is(err, ErrIndexTooLarge) {
		t.Errorf("over the limit: %v", err)
	}
}

const billionLaughs = `apiVersion: v1
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
serverInfo: {x: *h}
`

func TestParseIndexJSON(t *testing.T) {
	data := `{"apiVersion":"v1","entries":{"a":[{"name":"a","version":"1.0.0","urls":["a-1.0.0.tgz"]},null,{"name":"a","version":"2.0.0","urls":"x"}]}}`
	idx, err := ParseIndex([]byte(data), "src")
	if err != nil {
		t.Fatal(err)
	}
	if len(idx.Entries["a"]) != 1 || len(idx.Skipped) != 2 {
		t.Fatalf("entries %v, skipped %v", idx.Entries, idx.Skipped)
	}
}

func lookupIndex(t *testing.T) *Index {
	t.Helper()
	idx, err := ParseIndex([]byte(`apiVersion: v1
entries:
  app:
  - {name: app, version: 1.0.0, urls: [a]}
  - {name: app, version: 1.1.0, urls: [a]}
  - {name: app, version: 2.0.0-beta.1, urls: [a]}
  - {name: app, version: v1.2.0, urls: [a]}
  - {name: app, version: 1.1.0+build.2, urls: [a]}
  pre:
  - {name: pre, version: 0.1.0-alpha, urls: [a]}
  application:
  - {name: application, version: 1.0.0, urls: [a]}
`), "src")
	if err != nil {
		t.Fatal(err)
	}
	idx.Repo = "stable"
	return idx
}

func TestLookup(t *testing.T) {
	idx := lookupIndex(t)
	tests := []struct {
		name, chart, constraint string
		devel                   bool
		want, wantErr           string
		is                      error
	}{
		{name: "latest stable", chart: "app", want: "v1.2.0"},
		{name: "devel", chart: "app", devel: true, want: "2.0.0-beta.1"},
		{name: "exact", chart: "app", constraint: "1.0.0", want: "1.0.0"},
		{name: "exact string wins", chart: "app", constraint: "1.1.0+build.2", want: "1.1.0+build.2"},
		{name: "range", chart: "app", constraint: "~1.1", want: "1.1.0"},
		{name: "devel ignored with a constraint", chart: "app", constraint: "^1.0", devel: true, want: "v1.2.0"},
		{name: "prerelease constraint", chart: "app", constraint: ">=2.0.0-0", want: "2.0.0-beta.1"},
		{name: "only prereleases", chart: "pre", wantErr: `chart "pre" has no stable version in stable index (newest: 0.1.0-alpha); pass --devel or --version to take a pre-release`, is: ErrVersionNotFound},
		{name: "only prereleases, devel", chart: "pre", devel: true, want: "0.1.0-alpha"},
		{name: "version not found", chart: "app", constraint: "3.0.0", wantErr: `chart "app" version "3.0.0" not found in stable index (newest: 2.0.0-beta.1, v1.2.0, 1.1.0, 1.1.0+build.2, 1.0.0); run 'barge repo update stable' if it was published since`, is: ErrVersionNotFound},
		{name: "chart not found", chart: "nope", wantErr: `chart "nope" not found in stable index; check the name, or run 'barge repo update stable' if it was published since`, is: ErrChartNotFound},
		{name: "similar", chart: "App", wantErr: `chart "App" not found in stable index (similar: app, application); check the name, or run 'barge repo update stable' if it was published since`, is: ErrChartNotFound},
		{name: "bad constraint", chart: "app", constraint: "one", wantErr: `chart "app": version "one" is neither a version nor a range: improper constraint: "one"; give a version such as 1.2.3 or a range such as ^1.2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cv, err := idx.Lookup(tt.chart, tt.constraint, tt.devel)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v\nwant    %s", err, tt.wantErr)
				}
				if tt.is != nil && !errors.Is(err, tt.is) {
					t.Errorf("error does not wrap %v", tt.is)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cv.Version != tt.want {
				t.Errorf("version = %s, want %s", cv.Version, tt.want)
			}
		})
	}
	idx.Repo = "https://charts.example.com"
	_, err := idx.Lookup("app", "9.9.9", false)
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Fatal(err)
	}
	nf.URLRepo = true
	if want := `chart "app" version "9.9.9" not found in https://charts.example.com repository (newest: 2.0.0-beta.1, v1.2.0, 1.1.0, 1.1.0+build.2, 1.0.0)`; nf.Error() != want {
		t.Errorf("URL repository: %s", nf.Error())
	}
}
