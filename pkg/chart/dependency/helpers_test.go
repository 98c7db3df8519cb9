package dependency

import (
	"bytes"
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/chart"
	"sigs.k8s.io/yaml"

	"github.com/bargehq/barge/internal/helmbin"
	"github.com/bargehq/barge/pkg/chart/archive"
	"github.com/bargehq/barge/pkg/repo"
)

// The reference Helm binaries, as `make tools` builds them.
const (
	helm3 = "helm-v3.22.0"
	helm4 = "helm-v4.3.1"
)

// fixedNow dates the locks the tests write.
var fixedNow = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// repoServer is a chart repository on loopback: an index.yaml made by
// repo.GenerateIndex and the archives it lists, with optional basic
// authentication and files made to fail or to change.
type repoServer struct {
	*httptest.Server
	dir        string
	user, pass string

	mu       sync.Mutex
	status   map[string]int    // path -> status answered instead
	body     map[string][]byte // path -> body served instead
	requests []string
}

// newRepoServer starts a repository serving the charts given as
// "name@version" pairs, each a chart made with archive.Package.
func newRepoServer(t *testing.T, charts ...string) *repoServer {
	t.Helper()
	s := newUnstartedRepoServer(t, charts...)
	s.Start()
	return s
}

// newTLSRepoServer is newRepoServer over HTTPS; it returns the server and
// the path of its CA certificate.
func newTLSRepoServer(t *testing.T, charts ...string) (*repoServer, string) {
	t.Helper()
	s := newUnstartedRepoServer(t, charts...)
	s.StartTLS()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	writeFile(t, ca, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})))
	return s, ca
}

// newUnstartedRepoServer is the repository of newRepoServer, not started
// yet; the test's clean-up closes it.
func newUnstartedRepoServer(t *testing.T, charts ...string) *repoServer {
	t.Helper()
	s := &repoServer{dir: t.TempDir(), status: map[string]int{}, body: map[string][]byte{}}
	for _, c := range charts {
		name, version, _ := strings.Cut(c, "@")
		s.add(t, name, version)
	}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// add packages a chart name at version into the repository and indexes it
// again.
func (s *repoServer) add(t *testing.T, name, version string) {
	t.Helper()
	src := filepath.Join(t.TempDir(), name)
	writeChart(t, src, map[string]string{
		"Chart.yaml":                "apiVersion: v2\nname: " + name + "\nversion: " + version + "\n",
		"values.yaml":               "greeting: hello from " + name + " " + version + "\n",
		"templates/configmap.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-" + name + "\ndata:\n  greeting: {{ .Values.greeting | quote }}\n  version: {{ .Chart.Version | quote }}\n",
		"templates/NOTES.txt":       "notes of " + name + "\n",
		"templates/_helpers.tpl":    "{{- define \"" + name + ".name\" -}}" + name + "{{- end -}}\n",
		"templates/serviceacct.yml": "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {{ include \"" + name + ".name\" . }}\n",
	})
	if _, err := archive.Package(src, s.dir, archive.PackageOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.GenerateIndex(context.Background(), s.dir, repo.IndexOptions{Now: func() time.Time { return fixedNow }}); err != nil {
		t.Fatal(err)
	}
}

func (s *repoServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.URL.Path)
	status, body := s.status[r.URL.Path], s.body[r.URL.Path]
	s.mu.Unlock()
	if s.user != "" {
		if u, p, ok := r.BasicAuth(); !ok || u != s.user || p != s.pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="charts"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
	}
	switch {
	case status != 0:
		http.Error(w, http.StatusText(status), status)
	case body != nil:
		w.Write(body)
	default:
		http.FileServer(http.Dir(s.dir)).ServeHTTP(w, r)
	}
}

// fail makes the server answer status for path.
func (s *repoServer) fail(path string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status[path] = status
}

// replace makes the server serve body for path.
func (s *repoServer) replace(path string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body[path] = body
}

// served returns the paths requested so far and forgets them.
func (s *repoServer) served() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.requests
	s.requests = nil
	return out
}

// env is a repositories.yaml and a repository cache in a temporary
// directory, shared by barge and Helm.
type env struct {
	paths repo.Paths
	home  string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	home := t.TempDir()
	return &env{home: home, paths: repo.Paths{Config: filepath.Join(home, "repositories.yaml"), Cache: filepath.Join(home, "cache")}}
}

// addRepo configures the repository e.
func (e *env) addRepo(t *testing.T, entry *repo.Entry) {
	t.Helper()
	if err := repo.UpdateConfig(context.Background(), e.paths.Config, func(c *repo.Config) error { return c.Add(entry) }); err != nil {
		t.Fatal(err)
	}
}

// opts returns the options of a run against e, its output in out.
func (e *env) opts(out *bytes.Buffer) Options {
	return Options{Resolver: &repo.Resolver{Paths: e.paths}, Out: out, Now: func() time.Time { return fixedNow }}
}

// helm runs the reference Helm binary bin with e's repositories and cache
// and returns its combined output and error.
func (e *env) helm(t *testing.T, bin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(helmbin.Find(t, bin), args...)
	cmd.Env = append(os.Environ(),
		"HELM_REPOSITORY_CONFIG="+e.paths.Config,
		"HELM_REPOSITORY_CACHE="+e.paths.Cache,
		"HELM_CONFIG_HOME="+filepath.Join(e.home, "config"),
		"HELM_CACHE_HOME="+filepath.Join(e.home, "cachehome"),
		"HELM_DATA_HOME="+filepath.Join(e.home, "data"),
	)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// mustHelm is helm failing the test on error.
func (e *env) mustHelm(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := e.helm(t, bin, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, out)
	}
	return out
}

// writeChart writes files (path -> content) under dir.
func writeChart(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		writeFile(t, filepath.Join(dir, name), content)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// parentChart writes a chart called parent with the dependencies deps (YAML
// list items) and returns its directory.
func parentChart(t *testing.T, deps string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "parent")
	writeChart(t, dir, map[string]string{
		"Chart.yaml":               "apiVersion: v2\nname: parent\nversion: 0.1.0\ndependencies:\n" + deps,
		"values.yaml":              "sub:\n  greeting: from parent\n",
		"templates/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n",
	})
	return dir
}

// readLock reads the lock file name of the chart in dir.
func readLock(t *testing.T, dir, name string) *chart.Lock {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	var l chart.Lock
	if err := yaml.Unmarshal(data, &l); err != nil {
		t.Fatal(err)
	}
	return &l
}

// chartFiles lists the entries of dir's charts/ directory.
func chartsList(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "charts"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// copyDir copies the directory src to dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
