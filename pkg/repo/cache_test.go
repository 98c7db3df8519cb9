package repo

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bargehq/barge/internal/helmbin"
	"github.com/bargehq/barge/pkg/repo/getter"
)

// repoServer serves index (and nothing else) and counts requests.
type repoServer struct {
	*httptest.Server
	index    atomic.Value // []byte
	requests atomic.Int64
}

func newRepoServer(t *testing.T, index []byte) *repoServer {
	t.Helper()
	s := &repoServer{}
	s.index.Store(index)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		if r.URL.Path != "/index.yaml" {
			http.NotFound(w, r)
			return
		}
		w.Write(s.index.Load().([]byte))
	}))
	t.Cleanup(s.Close)
	return s
}

const smallIndex = `apiVersion: v1
entries:
  alpine:
  - name: alpine
    version: 0.1.0
    description: Deploy a basic Alpine Linux pod
    keywords: [linux, alpine, small]
    urls: [alpine-0.1.0.tgz]
    digest: 515c58e5f79d8b2913a10cb400ebb6fa9c77fe813287afbacf1a0b897cd78727
  - name: alpine
    version: 0.2.0
    description: Deploy a basic Alpine Linux pod
    keywords: [linux, alpine, small]
    urls: [alpine-0.2.0.tgz]
  - name: alpine
    version: bad
    urls: [x]
  nginx:
  - name: nginx
    version: 1.0.0
    description: NGINX web server, an alternative to alpine
    urls: [https://cdn.example.com/nginx-1.0.0.tgz]
generated: "2024-01-01T00:00:00Z"
`

func TestCacheUpdateLoad(t *testing.T) {
	srv := newRepoServer(t, []byte(smallIndex))
	dir := t.TempDir()
	c := &Cache{Paths: Paths{Cache: dir}, Client: &getter.Client{}}
	idx, err := c.Update(context.Background(), &Entry{Name: "stable", URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if len(idx.Skipped) != 1 || !strings.Contains(idx.Skipped[0].Error(), `repository "stable" (`+srv.URL+`/index.yaml): chart "alpine" version "bad"`) {
		t.Errorf("skipped: %v", idx.Skipped)
	}
	yamlData, err := os.ReadFile(filepath.Join(dir, "stable-index.yaml"))
	if err != nil || string(yamlData) != smallIndex {
		t.Fatalf("index.yaml not stored as downloaded: %v", err)
	}
	charts, _ := os.ReadFile(filepath.Join(dir, "stable-charts.txt"))
	if string(charts) != "alpine\nnginx\n" {
		t.Errorf("charts.txt = %q", charts)
	}
	if _, err := os.Stat(filepath.Join(dir, "stable-index.barge")); err != nil {
		t.Fatal(err)
	}

	loaded, err := c.Load(context.Background(), "stable")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fieldsOf(idx), fieldsOf(loaded)); diff != "" {
		t.Errorf("loaded (-want +got)\n%s", diff)
	}
	if len(loaded.Skipped) != 1 || !strings.HasPrefix(loaded.Skipped[0].Error(), `repository "stable" (`+filepath.Join(dir, "stable-index.yaml")+`): chart "alpine" version "bad"`) {
		t.Errorf("skipped after load: %v", loaded.Skipped)
	}
	cv, err := loaded.Lookup("alpine", "", false)
	if err != nil || cv.Version != "0.2.0" {
		t.Fatalf("lookup: %v %v", cv, err)
	}

	if _, err := c.Load(context.Background(), "nope"); !errors.Is(err, ErrNoCache) || !strings.Contains(err.Error(), "run 'barge repo update nope'") {
		t.Errorf("missing: %v", err)
	}
	if err := c.Remove("stable"); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left after Remove: %v", entries)
	}
}

// TestCacheRebuild changes the index.yaml behind the compact form's back, as
// "helm repo update" does, and damages the compact form.
func TestCacheRebuild(t *testing.T) {
	srv := newRepoServer(t, []byte(smallIndex))
	dir := t.TempDir()
	c := &Cache{Paths: Paths{Cache: dir}}
	if _, err := c.Update(context.Background(), &Entry{Name: "stable", URL: srv.URL}); err != nil {
		t.Fatal(err)
	}
	yamlPath := filepath.Join(dir, "stable-index.yaml")
	changed := strings.Replace(smallIndex, "version: 1.0.0", "version: 1.1.0", 1)
	if err := os.WriteFile(yamlPath, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	idx, err := c.Load(context.Background(), "stable")
	if err != nil {
		t.Fatal(err)
	}
	if v := idx.Entries["nginx"][0].Version; v != "1.1.0" {
		t.Errorf("after the YAML changed: nginx %s, want 1.1.0", v)
	}
	// Rebuilt: the compact form now matches the YAML.
	b, _ := os.ReadFile(filepath.Join(dir, "stable-index.barge"))
	if _, st, err := decodeCompact(b); err != nil || st.Size != int64(len(changed)) {
		t.Errorf("compact not rebuilt: %+v %v", st, err)
	}

	// Touched but the same content: the compact form is kept (and stamped anew).
	later := time.Now().Add(time.Hour)
	os.Chtimes(yamlPath, later, later)
	if idx, err := c.Load(context.Background(), "stable"); err != nil || idx.Entries["nginx"][0].Version != "1.1.0" {
		t.Fatalf("touched: %v", err)
	}

	// Damaged: rebuilt from the YAML.
	os.WriteFile(filepath.Join(dir, "stable-index.barge"), []byte(compactMagic+"garbage"), 0o644)
	if idx, err := c.Load(context.Background(), "stable"); err != nil || idx.Entries["nginx"][0].Version != "1.1.0" {
		t.Fatalf("damaged: %v", err)
	}

	// A broken YAML is an error that says what to do.
	os.WriteFile(yamlPath, []byte("entries: {}\n"), 0o644)
	if _, err := c.Load(context.Background(), "stable"); err == nil || !strings.Contains(err.Error(), "no API version specified; the file is not a valid index.yaml; run 'barge repo update stable'") {
		t.Errorf("broken: %v", err)
	}
}

func TestCacheUpdateErrors(t *testing.T) {
	srv := newRepoServer(t, []byte("<html>not an index</html>"))
	dir := t.TempDir()
	c := &Cache{Paths: Paths{Cache: dir}}
	_, err := c.Update(context.Background(), &Entry{Name: "web", URL: srv.URL})
	if err == nil || !strings.Contains(err.Error(), "repository \"web\" ("+srv.URL+"/index.yaml): line 1: cannot unmarshal !!str `<html>n...` into a mapping; the file is not a valid index.yaml") {
		t.Errorf("not an index: %v", err)
	}
	_, err = c.Update(context.Background(), &Entry{Name: "nf", URL: srv.URL + "/sub"})
	if !errors.Is(err, getter.ErrNotFound) {
		t.Errorf("404: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files written for failed updates: %v", entries)
	}
}

// TestCacheHelmUpdate lets Helm's "repo add" and "repo update" write the
// cache and checks that barge reads what Helm wrote, and that barge's files
// do not bother Helm.
func TestCacheHelmUpdate(t *testing.T) {
	helm := helmBinary(t, "v3.22.0")
	srv := newRepoServer(t, []byte(smallIndex))
	dir := t.TempDir()
	paths := Paths{Config: filepath.Join(dir, "repositories.yaml"), Cache: filepath.Join(dir, "cache")}
	c := &Cache{Paths: paths}
	runHelm(t, helm, paths, "repo", "add", "stable", srv.URL)
	idx, err := c.Load(context.Background(), "stable")
	if err != nil {
		t.Fatal(err)
	}
	if len(idx.Entries["alpine"]) != 2 {
		t.Errorf("alpine: %v", idx.Entries["alpine"])
	}
	srv.index.Store([]byte(strings.Replace(smallIndex, "version: 1.0.0", "version: 1.2.0", 1)))
	runHelm(t, helm, paths, "repo", "update")
	idx, err = c.Load(context.Background(), "stable")
	if err != nil {
		t.Fatal(err)
	}
	if v := idx.Entries["nginx"][0].Version; v != "1.2.0" {
		t.Errorf("after helm repo update: nginx %s, want 1.2.0", v)
	}
	// barge's config changes under the lock keep Helm's entry.
	if err := UpdateConfig(context.Background(), paths.Config, func(cfg *Config) error {
		return cfg.Add(&Entry{Name: "other", URL: srv.URL})
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Update(context.Background(), &Entry{Name: "other", URL: srv.URL}); err != nil {
		t.Fatal(err)
	}
	out := runHelm(t, helm, paths, "search", "repo", "alpine")
	if !strings.Contains(out, "other/alpine") || !strings.Contains(out, "stable/alpine") {
		t.Errorf("helm search repo:\n%s", out)
	}
}

// helmBinary returns the path of the reference Helm binary of version: a
// missing one fails the test, and skips it only with -short.
func helmBinary(t testing.TB, version string) string {
	t.Helper()
	return helmbin.Find(t, "helm-"+version)
}

func runHelm(t testing.TB, helm string, paths Paths, args ...string) string {
	t.Helper()
	cmd := exec.Command(helm, args...)
	home := filepath.Dir(paths.Config)
	cmd.Env = append(os.Environ(),
		"HELM_REPOSITORY_CONFIG="+paths.Config,
		"HELM_REPOSITORY_CACHE="+paths.Cache,
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_CACHE_HOME="+filepath.Join(home, "cachehome"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
