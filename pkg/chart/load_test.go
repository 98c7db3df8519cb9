package chart

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		name     string
		path     string
		wantErr  error
		wantText []string
	}{
		{name: "chart directory", path: "good"},
		{name: "missing", path: "nope", wantErr: ErrNotFound, wantText: []string{"testdata/charts/nope", "no chart directory or .tgz archive"}},
		{name: "not a gzip archive", path: "corrupt.tgz", wantErr: ErrCorruptArchive, wantText: []string{"corrupt.tgz", "corrupt.tgz: the archive is not gzip-compressed"}},
		{name: "truncated archive", path: "truncated.tgz", wantErr: ErrCorruptArchive, wantText: []string{"truncated.tgz"}},
		{name: "Chart.yaml does not parse", path: "bad-chart-yaml", wantErr: ErrChartYAML, wantText: []string{"bad-chart-yaml", "Chart.yaml", "line 2"}},
		{name: "directory without Chart.yaml", path: ".", wantErr: ErrChartYAML, wantText: []string{"Chart.yaml file is missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := Load(filepath.Join("testdata", "charts", tt.path))
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if ch.Name() != tt.path || len(ch.Templates) != 1 {
					t.Errorf("Load = chart %q with %d templates, want %q with 1", ch.Name(), len(ch.Templates), tt.path)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Load error = %v, want %v", err, tt.wantErr)
			}
			for _, s := range tt.wantText {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Load error %q does not mention %q", err, s)
				}
			}
		})
	}
}

func TestCheckInstallable(t *testing.T) {
	tests := []struct {
		path string
		want string
	}{
		{"good", ""},
		{"lib", "library charts are not installable"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			ch, err := Load(filepath.Join("testdata", "charts", tt.path))
			if err != nil {
				t.Fatal(err)
			}
			err = CheckInstallable(ch)
			if tt.want == "" {
				if err != nil {
					t.Errorf("CheckInstallable = %v, want nil", err)
				}
				return
			}
			if err == nil || err.Error() != tt.want || !errors.Is(err, ErrNotInstallable) {
				t.Errorf("CheckInstallable = %v, want %q wrapping ErrNotInstallable", err, tt.want)
			}
		})
	}
}

func TestCheckDependencies(t *testing.T) {
	ch, err := Load(filepath.Join("testdata", "charts", "missing-dep"))
	if err != nil {
		t.Fatal(err)
	}
	err = CheckDependencies(ch)
	if !errors.Is(err, ErrMissingDependencies) || !strings.Contains(err.Error(), "missing in charts/ directory: redis, common") {
		t.Errorf("CheckDependencies = %v, want both missing dependencies named", err)
	}
	good, err := Load(filepath.Join("testdata", "charts", "good"))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckDependencies(good); err != nil {
		t.Errorf("CheckDependencies(good) = %v", err)
	}
}
