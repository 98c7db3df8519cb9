package oci

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestVersionsOrder(t *testing.T) {
	tags := []string{"latest", "1.0.0", "1.10.0", "1.2.0", "2.0.0-rc.1", "1.2.0_build.5", "v3.0.0", "1.2", "0.9.9"}
	var got []string
	for _, v := range versions(tags) {
		got = append(got, v.Tag)
	}
	// Strict SemVer only, as Helm reads tags: "v3.0.0", "1.2" and "latest"
	// are not versions. Build metadata does not order, so 1.2.0 keeps the
	// registry's order against 1.2.0+build.5.
	want := []string{"2.0.0-rc.1", "1.10.0", "1.2.0", "1.2.0_build.5", "1.0.0", "0.9.9"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
}

func TestPickVersion(t *testing.T) {
	tags := []string{"1.0.0", "1.2.0", "1.2.0_build.5", "1.3.0-beta.1", "2.0.0-rc.1", "latest"}
	tests := []struct {
		name, constraint string
		devel            bool
		want             string // tag, or the error's text
		err              error
	}{
		{name: "newest stable", want: "1.2.0"},
		{name: "devel", devel: true, want: "2.0.0-rc.1"},
		{name: "exact", constraint: "1.0.0", want: "1.0.0"},
		{name: "exact with build metadata", constraint: "1.2.0+build.5", want: "1.2.0_build.5"},
		{name: "exact as tag", constraint: "1.2.0_build.5", want: "1.2.0_build.5"},
		{name: "range", constraint: "^1.0", want: "1.2.0"},
		{name: "range with pre-release", constraint: ">=1.3.0-0 <1.4.0", want: "1.3.0-beta.1"},
		{name: "devel ignored with a range", constraint: "~1.0", devel: true, want: "1.0.0"},
		{name: "no match", constraint: "^3", err: ErrNotFound, want: `no version matches "^3" (newest: 2.0.0-rc.1, 1.3.0-beta.1, 1.2.0, 1.2.0+build.5, 1.0.0)`},
		{name: "bad range", constraint: "not a range", want: `version "not a range" is neither a version nor a range`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := pickVersion("oci://r/web", tags, tt.constraint, tt.devel)
			if tt.err == nil && strings.Contains(tt.want, " ") {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("error = %v, want %q", err, tt.want)
				}
				return
			}
			if tt.err != nil {
				if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "oci://r/web: ") {
					t.Fatalf("error = %v, want %v saying %q", err, tt.err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if v.Tag != tt.want {
				t.Errorf("tag = %q, want %q", v.Tag, tt.want)
			}
		})
	}
	t.Run("no stable version", func(t *testing.T) {
		_, err := pickVersion("oci://r/web", []string{"1.0.0-rc.1"}, "", false)
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "no stable version (newest: 1.0.0-rc.1); pass --devel") {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("no versions", func(t *testing.T) {
		_, err := pickVersion("oci://r/web", []string{"latest"}, "", false)
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "no tag that is a SemVer version (1 tags)") {
			t.Errorf("error = %v", err)
		}
	})
}
