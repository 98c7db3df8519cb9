package oci

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseReference(t *testing.T) {
	const dgst = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		in   string
		want Reference
		name string // Name()
	}{
		{"oci://ghcr.io/org/charts/web", Reference{Registry: "ghcr.io", Repository: "org/charts/web"}, "ghcr.io/org/charts/web"},
		{"oci://127.0.0.1:5000/web:1.2.3", Reference{Registry: "127.0.0.1:5000", Repository: "web", Tag: "1.2.3"}, "127.0.0.1:5000/web:1.2.3"},
		{"oci://localhost:5000/a/web:1.2.3+build.1", Reference{Registry: "localhost:5000", Repository: "a/web", Tag: "1.2.3_build.1"}, "localhost:5000/a/web:1.2.3_build.1"},
		{"oci://r.example.com/web@" + dgst, Reference{Registry: "r.example.com", Repository: "web", Digest: dgst}, "r.example.com/web@" + dgst},
		{"oci://r.example.com/web:1.0.0@" + dgst, Reference{Registry: "r.example.com", Repository: "web", Tag: "1.0.0", Digest: dgst}, "r.example.com/web:1.0.0@" + dgst},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseReference(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseReference (-want +got):\n%s", diff)
			}
			if got.Name() != tt.name {
				t.Errorf("Name() = %q, want %q", got.Name(), tt.name)
			}
			if got.String() != "oci://"+tt.name {
				t.Errorf("String() = %q", got.String())
			}
			if got.Chart() != "web" {
				t.Errorf("Chart() = %q, want web", got.Chart())
			}
		})
	}
}

func TestParseReferenceErrors(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"ghcr.io/org/web", "it must start with oci://"},
		{"https://ghcr.io/org/web", "it must start with oci://"},
		{"oci://ghcr.io", "no repository after the registry"},
		{"oci://ghcr.io/", "no repository after the registry"},
		{"oci:///web", "no repository after the registry"},
		{"oci://ghcr.io/Org/Web", `repository "Org/Web" is not valid`},
		{"oci://ghcr.io/web:", "an empty tag"},
		{"oci://ghcr.io/web@", "an empty digest"},
		{"oci://ghcr.io/web@sha256:abc", `digest "sha256:abc" is not valid`},
		{"oci://ghcr.io/web:bad!tag", `tag "bad!tag" is not valid`},
		{"oci://bad host/web", `registry "bad host" is not a host[:port]`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseReference(tt.in)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrInvalidReference) {
				t.Errorf("error %v does not wrap ErrInvalidReference", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) || !strings.Contains(msg, `"`+tt.in+`"`) || strings.Contains(msg, "\n") {
				t.Errorf("error = %q, want one line naming %q and saying %q", msg, tt.in, tt.want)
			}
		})
	}
}

func TestTags(t *testing.T) {
	if got := TagOf("1.2.3+build.1"); got != "1.2.3_build.1" {
		t.Errorf("TagOf = %q", got)
	}
	if got := VersionOf("1.2.3_build.1"); got != "1.2.3+build.1" {
		t.Errorf("VersionOf = %q", got)
	}
}

func TestRegistryHost(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:5000":                "127.0.0.1:5000",
		"oci://127.0.0.1:5000/charts":   "127.0.0.1:5000",
		"https://registry.example.com/": "registry.example.com",
		"http://localhost:5000":         "localhost:5000",
	} {
		got, err := RegistryHost(in)
		if err != nil || got != want {
			t.Errorf("RegistryHost(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "oci://", "bad host"} {
		if _, err := RegistryHost(in); !errors.Is(err, ErrInvalidReference) {
			t.Errorf("RegistryHost(%q): %v, want ErrInvalidReference", in, err)
		}
	}
}

func TestParseReferenceHidesCredentials(t *testing.T) {
	_, err := ParseReference("oci://alice:s3cret@r.example.com/charts/web:1.0.0")
	if !errors.Is(err, ErrInvalidReference) {
		t.Fatalf("error = %v, want ErrInvalidReference", err)
	}
	if msg := err.Error(); strings.Contains(msg, "s3cret") || strings.Contains(msg, "alice") || !strings.Contains(msg, `"oci://***@r.example.com/charts/web:1.0.0"`) {
		t.Errorf("error = %q, want the reference without its credentials", msg)
	}
}
