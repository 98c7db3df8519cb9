package cli

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// TestE2EFleetFromRepository applies a fleet whose chart is named
// repo/chart, from a repository served on loopback: every tenant is
// installed from one download of the archive, and a second apply, with the
// archive cached by digest, downloads none.
func TestE2EFleetFromRepository(t *testing.T) {
	e := newE2E(t)
	dir := t.TempDir()
	repoDir := filepath.Join(dir, "repo")
	if err := os.Mkdir(repoDir, 0o755); err != nil {
		t.Fatal(err)
	}
	chartDir, err := filepath.Abs(repoPath("pkg/fleet/testdata/charts/tenant"))
	if err != nil {
		t.Fatal(err)
	}
	e.mustBarge("package", chartDir, "-d", repoDir)
	e.mustBarge("repo", "index", repoDir)
	var archives atomic.Int32
	files := http.FileServer(http.Dir(repoDir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".tgz") {
			archives.Add(1)
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	repos := []string{"--repository-config", filepath.Join(dir, "repositories.yaml"), "--repository-cache", filepath.Join(dir, "cache")}
	e.mustBarge(append([]string{"repo", "add", "stable", srv.URL}, repos...)...)

	const n = 12
	var tenants []string
	for i := range n {
		tenants = append(tenants, fmt.Sprintf("    - {name: t%d}", i))
	}
	file := e.fleetFile("repo", strings.Join(tenants, "\n"))
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	src = []byte(strings.Replace(string(src), "chart: "+chartDir, "chart: stable/tenant\n    version: 0.1.0", 1))
	if err := os.WriteFile(file, src, 0o644); err != nil {
		t.Fatal(err)
	}

	r := e.mustBarge(append([]string{"apply", "-f", file}, repos...)...)
	if want := fmt.Sprintf("%d ok, 0 unchanged, 0 failed, 0 skipped", n); !strings.Contains(r.stdout, want) {
		t.Errorf("first apply: summary lacks %q\n%s", want, r)
	}
	if got := archives.Load(); got != 1 {
		t.Errorf("first apply of %d tenants downloaded the archive %d times, want once", n, got)
	}
	hist := e.mustBarge("history", "app-t3", "-n", e.ns+"-t3", "-o", "json").stdout
	if !strings.Contains(hist, `"chart":"tenant-0.1.0"`) {
		t.Errorf("tenant t3's history does not name tenant-0.1.0:\n%s", hist)
	}

	r = e.mustBarge(append([]string{"apply", "-f", file}, repos...)...)
	if want := fmt.Sprintf("0 ok, %d unchanged, 0 failed, 0 skipped", n); !strings.Contains(r.stdout, want) {
		t.Errorf("second apply: summary lacks %q\n%s", want, r)
	}
	if got := archives.Load(); got != 1 {
		t.Errorf("second apply downloaded the archive again (%d downloads in all); the cache by digest should serve it", got)
	}
}

// TestE2EFleetFromRegistry applies a fleet whose chart is an oci://
// reference, through a proxy that counts the registry's requests: the
// chart layer is downloaded once for all the tenants, and not at all by a
// second apply (the archive is cached by digest).
func TestE2EFleetFromRegistry(t *testing.T) {
	e := newE2E(t)
	reg := startRegistry(t, nil)
	target, err := url.Parse(reg.URL)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	gets := map[string]int{}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			mu.Lock()
			gets[r.URL.Path]++
			mu.Unlock()
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")

	chartDir, err := filepath.Abs(repoPath("pkg/fleet/testdata/charts/tenant"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	e.mustBarge("package", chartDir, "-d", dir)
	tgz := filepath.Join(dir, "tenant-0.1.0.tgz")
	e.mustBarge("push", tgz, "oci://"+host+"/charts", "--plain-http")
	b, err := os.ReadFile(tgz)
	if err != nil {
		t.Fatal(err)
	}
	layer := fmt.Sprintf("/v2/charts/tenant/blobs/sha256:%x", sha256.Sum256(b))
	downloads := func() int {
		mu.Lock()
		defer mu.Unlock()
		return gets[layer]
	}
	if n := downloads(); n != 0 {
		t.Fatalf("push downloaded the layer %d times", n)
	}

	const n = 12
	var tenants []string
	for i := range n {
		tenants = append(tenants, fmt.Sprintf("    - {name: o%d}", i))
	}
	file := e.fleetFile("oci", strings.Join(tenants, "\n"))
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	src = []byte(strings.Replace(string(src), "chart: "+chartDir, "chart: oci://"+host+"/charts/tenant\n    version: 0.1.0", 1))
	if err := os.WriteFile(file, src, 0o644); err != nil {
		t.Fatal(err)
	}
	cache := []string{"--repository-cache", filepath.Join(dir, "cache"), "--plain-http"}
	r := e.mustBarge(append([]string{"apply", "-f", file}, cache...)...)
	if want := fmt.Sprintf("%d ok, 0 unchanged, 0 failed, 0 skipped", n); !strings.Contains(r.stdout, want) {
		t.Errorf("first apply: summary lacks %q\n%s", want, r)
	}
	if got := downloads(); got != 1 {
		t.Errorf("first apply of %d tenants downloaded the chart layer %d times, want once", n, got)
	}
	r = e.mustBarge(append([]string{"apply", "-f", file}, cache...)...)
	if want := fmt.Sprintf("0 ok, %d unchanged, 0 failed, 0 skipped", n); !strings.Contains(r.stdout, want) {
		t.Errorf("second apply: summary lacks %q\n%s", want, r)
	}
	if got := downloads(); got != 1 {
		t.Errorf("second apply downloaded the chart layer again (%d downloads in all)", got)
	}
}
