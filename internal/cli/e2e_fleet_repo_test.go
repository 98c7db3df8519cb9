package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
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
