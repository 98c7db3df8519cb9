package oci

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bargehq/barge/internal/localregistry"
)

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// TestPushPull pushes several versions of a chart to a plain HTTP registry
// and pulls them back by tag, version, range and digest.
func TestPushPull(t *testing.T) {
	reg := startRegistry(t, localregistry.Options{})
	ctx := ctxFor(t)
	c := newClient(t, Options{PlainHTTP: true})
	repo := "oci://" + reg.Host + "/charts"
	archives := map[string]string{}
	pushed := map[string]*Pushed{}
	for _, v := range []string{"1.0.0", "1.2.3", "1.2.3+build.7", "2.0.0-rc.1"} {
		archives[v] = packageChart(t, v)
		p, err := c.Push(ctx, archives[v], repo, PushOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pushed[v] = p
		if want := reg.Host + "/charts/web:" + TagOf(v); p.Ref.Name() != want {
			t.Errorf("pushed %s as %s, want %s", v, p.Ref.Name(), want)
		}
		if p.ChartDigest != fileSHA256(t, archives[v]) {
			t.Errorf("chart digest %s is not the archive's", p.ChartDigest)
		}
	}

	// The same Client lists the versions it pushed: a push forgets the
	// tag list it remembered.
	if _, err := c.Versions(ctx, repo+"/web"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Push(ctx, packageChart(t, "0.1.0"), repo, PushOptions{}); err != nil {
		t.Fatal(err)
	}
	vs, err := c.Versions(ctx, repo+"/web")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vs {
		got = append(got, v.String())
	}
	if diff := cmp.Diff([]string{"2.0.0-rc.1", "1.2.3", "1.2.3+build.7", "1.0.0", "0.1.0"}, got); diff != "" {
		t.Errorf("Versions (-want +got):\n%s", diff)
	}

	tests := []struct {
		name, ref string
		opts      PullOptions
		want      string // version
	}{
		{"tag", repo + "/web:1.0.0", PullOptions{}, "1.0.0"},
		{"tag with build metadata", repo + "/web:1.2.3+build.7", PullOptions{}, "1.2.3+build.7"},
		{"version", repo + "/web", PullOptions{Version: "1.2.3"}, "1.2.3"},
		{"range", repo + "/web", PullOptions{Version: "~1.0"}, "1.0.0"},
		{"newest stable", repo + "/web", PullOptions{}, "1.2.3"},
		{"devel", repo + "/web", PullOptions{Devel: true}, "2.0.0-rc.1"},
		{"digest", repo + "/web@" + pushed["1.0.0"].ManifestDigest, PullOptions{}, "1.0.0"},
		{"tag and digest", repo + "/web:1.0.0@" + pushed["1.0.0"].ManifestDigest, PullOptions{}, "1.0.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := newClient(t, Options{PlainHTTP: true}).Pull(ctx, tt.ref, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if p.Version != tt.want || p.Name != "web" {
				t.Errorf("pulled %s %s, want web %s", p.Name, p.Version, tt.want)
			}
			wantName := reg.Host + "/charts/web:" + TagOf(tt.want)
			if strings.Contains(tt.ref, "@") {
				wantName = strings.TrimPrefix(tt.ref, "oci://")
			}
			if p.Ref.Name() != wantName {
				t.Errorf("Ref.Name() = %q, want %q (Helm's Pulled: line)", p.Ref.Name(), wantName)
			}
			if p.ManifestDigest != pushed[tt.want].ManifestDigest {
				t.Errorf("manifest digest %s (ref %s), want %s", p.ManifestDigest, p.Ref, pushed[tt.want].ManifestDigest)
			}
			a, err := os.ReadFile(archives[tt.want])
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(p.Path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a, b) {
				t.Errorf("the pulled archive %s differs from the pushed %s", p.Path, archives[tt.want])
			}
			if p.ChartDigest != fileSHA256(t, p.Path) {
				t.Errorf("chart digest %s is not the file's", p.ChartDigest)
			}
		})
	}
}

// TestPullOnce checks that a chart is downloaded once: by one client for
// concurrent and repeated pulls, and by a second client sharing the cache.
func TestPullOnce(t *testing.T) {
	reg := startRegistry(t, localregistry.Options{})
	ctx := ctxFor(t)
	c := newClient(t, Options{PlainHTTP: true})
	if _, err := c.Push(ctx, packageChart(t, "1.0.0"), "oci://"+reg.Host+"/charts", PushOptions{}); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	puller := newClient(t, Options{PlainHTTP: true, CacheDir: cache})
	var wg sync.WaitGroup
	paths := make([]string, 50)
	errs := make([]error, 50)
	for i := range paths {
		wg.Go(func() {
			p, err := puller.Pull(ctx, "oci://"+reg.Host+"/charts/web", PullOptions{Version: "^1"})
			errs[i] = err
			if err == nil {
				paths[i] = p.Path
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("pull %d: %v", i, err)
		}
		if paths[i] != paths[0] {
			t.Errorf("pull %d: path %s, want %s", i, paths[i], paths[0])
		}
	}
	if n := puller.downloads(); n != 1 {
		t.Errorf("50 concurrent pulls downloaded %d times, want 1", n)
	}
	again := newClient(t, Options{PlainHTTP: true, CacheDir: cache})
	if _, err := again.Pull(ctx, "oci://"+reg.Host+"/charts/web:1.0.0", PullOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := again.downloads(); n != 0 {
		t.Errorf("a pull of a cached chart downloaded %d times, want 0", n)
	}
}
