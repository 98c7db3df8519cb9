package repo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPathsFromEnv(t *testing.T) {
	tests := []struct {
		name string
		goos string
		env  map[string]string
		want Paths
	}{
		{name: "linux default", goos: "linux", env: map[string]string{"HOME": "/home/u"},
			want: Paths{"/home/u/.config/helm/repositories.yaml", "/home/u/.cache/helm/repository"}},
		{name: "xdg", goos: "linux", env: map[string]string{"HOME": "/home/u", "XDG_CONFIG_HOME": "/xc", "XDG_CACHE_HOME": "/xk"},
			want: Paths{"/xc/helm/repositories.yaml", "/xk/helm/repository"}},
		{name: "helm homes win over xdg", goos: "linux", env: map[string]string{"XDG_CONFIG_HOME": "/xc", "HELM_CONFIG_HOME": "/hc", "HELM_CACHE_HOME": "/hk"},
			want: Paths{"/hc/repositories.yaml", "/hk/repository"}},
		{name: "barge homes win over helm's", goos: "linux", env: map[string]string{"HELM_CONFIG_HOME": "/hc", "BARGE_CONFIG_HOME": "/bc", "HELM_CACHE_HOME": "/hk", "BARGE_CACHE_HOME": "/bk"},
			want: Paths{"/bc/repositories.yaml", "/bk/repository"}},
		{name: "helm files win over homes", goos: "linux", env: map[string]string{"BARGE_CONFIG_HOME": "/bc", "HELM_REPOSITORY_CONFIG": "/r.yaml", "HELM_REPOSITORY_CACHE": "/rc"},
			want: Paths{"/r.yaml", "/rc"}},
		{name: "barge files win over helm's", goos: "linux", env: map[string]string{"HELM_REPOSITORY_CONFIG": "/r.yaml", "BARGE_REPOSITORY_CONFIG": "/b.yaml", "HELM_REPOSITORY_CACHE": "/rc", "BARGE_REPOSITORY_CACHE": "/bc"},
			want: Paths{"/b.yaml", "/bc"}},
		{name: "empty counts as unset", goos: "linux", env: map[string]string{"HOME": "/h", "BARGE_REPOSITORY_CONFIG": "", "HELM_REPOSITORY_CONFIG": ""},
			want: Paths{"/h/.config/helm/repositories.yaml", "/h/.cache/helm/repository"}},
		{name: "macOS", goos: "darwin", env: map[string]string{"HOME": "/Users/u"},
			want: Paths{"/Users/u/Library/Preferences/helm/repositories.yaml", "/Users/u/Library/Caches/helm/repository"}},
		{name: "macOS xdg", goos: "darwin", env: map[string]string{"HOME": "/Users/u", "XDG_CACHE_HOME": "/xk"},
			want: Paths{"/Users/u/Library/Preferences/helm/repositories.yaml", "/xk/helm/repository"}},
		{name: "windows", goos: "windows", env: map[string]string{"APPDATA": "/appdata", "TEMP": "/temp"},
			want: Paths{"/appdata/helm/repositories.yaml", "/temp/helm/repository"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pathsFromEnv(tt.goos, func(k string) string { return tt.env[k] })
			want := Paths{filepath.FromSlash(tt.want.Config), filepath.FromSlash(tt.want.Cache)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
	p := Paths{Cache: "/c"}
	if got := p.IndexFile("stable"); got != filepath.FromSlash("/c/stable-index.yaml") {
		t.Errorf("IndexFile = %s", got)
	}
	if got := p.ChartsFile("stable"); got != filepath.FromSlash("/c/stable-charts.txt") {
		t.Errorf("ChartsFile = %s", got)
	}
}

func TestConfigRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "repositories.yaml")
	c, err := LoadConfig(path)
	if err != nil || len(c.Repositories) != 0 {
		t.Fatalf("missing file: %+v, %v", c, err)
	}
	e := &Entry{Name: "stable", URL: "https://charts.example.com", Username: "u", Password: "p", CAFile: "/ca.pem", InsecureSkipTLSVerify: true, PassCredentialsAll: true}
	if err := c.Add(e); err != nil {
		t.Fatal(err)
	}
	if err := c.Add(&Entry{Name: "other", URL: "http://o"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", fi.Mode(), err)
	}
	b, _ := os.ReadFile(path)
	want := `apiVersion: v1
generated: "0001-01-01T00:00:00Z"
repositories:
- caFile: /ca.pem
  certFile: ""
  insecure_skip_tls_verify: true
  keyFile: ""
  name: stable
  pass_credentials_all: true
  password: p
  url: https://charts.example.com
  username: u
- caFile: ""
  certFile: ""
  insecure_skip_tls_verify: false
  keyFile: ""
  name: other
  pass_credentials_all: false
  password: ""
  url: http://o
  username: ""
`
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("file (-want +got)\n%s", diff)
	}
	c2, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c, c2); diff != "" {
		t.Errorf("reloaded (-want +got)\n%s", diff)
	}
	if !c2.Has("stable") || c2.Get("nope") != nil {
		t.Error("Has/Get")
	}
	if !c2.Remove("stable") || c2.Remove("stable") || len(c2.Repositories) != 1 {
		t.Error("Remove")
	}
}

func TestConfigAdd(t *testing.T) {
	c := &Config{}
	if err := c.Add(&Entry{Name: "a", URL: "http://a"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Add(&Entry{Name: "a", URL: "http://a"}); err != nil {
		t.Errorf("identical add: %v", err)
	}
	err := c.Add(&Entry{Name: "a", URL: "http://b"})
	if !errors.Is(err, ErrRepoExists) || err.Error() != "repository name (a) already exists with other settings: repository already exists; choose a different name, or replace it (--force-update)" {
		t.Errorf("different add: %v", err)
	}
	if err := c.Set(&Entry{Name: "a", URL: "http://b"}); err != nil || c.Get("a").URL != "http://b" || len(c.Repositories) != 1 {
		t.Errorf("Set: %v %+v", err, c.Repositories)
	}
	for _, e := range []*Entry{{Name: "a/b", URL: "http://x"}, {Name: "", URL: "http://x"}, {Name: "x"}, {Name: "x", URL: "http://[::1"}} {
		if err := c.Add(e); err == nil {
			t.Errorf("Add(%+v) succeeded", e)
		}
	}
}

// TestConfigHelmFile reads a file as Helm writes it after "helm repo add" on
// a fresh machine (apiVersion empty, generated zero).
func TestConfigHelmFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "repositories.yaml")
	os.WriteFile(path, []byte(`apiVersion: ""
generated: "0001-01-01T00:00:00Z"
repositories:
- caFile: ""
  certFile: ""
  insecure_skip_tls_verify: false
  keyFile: ""
  name: bitnami
  pass_credentials_all: false
  password: ""
  url: https://charts.bitnami.com/bitnami
  username: ""
-
`), 0o644)
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Repositories) != 1 || c.Get("bitnami").URL != "https://charts.bitnami.com/bitnami" {
		t.Errorf("got %+v", c.Repositories)
	}
	os.WriteFile(path, []byte("repositories: {"), 0o644)
	if _, err := LoadConfig(path); err == nil || !strings.Contains(err.Error(), "repositories file "+path) {
		t.Errorf("bad file: %v", err)
	}
}

func TestConfigLockPath(t *testing.T) {
	for in, want := range map[string]string{
		"/h/repositories.yaml": "/h/repositories.lock",
		"/h/repos":             "/h/repos.lock",
		"/h/.yaml":             "/h/.lock",
	} {
		if got := ConfigLockPath(in); got != want {
			t.Errorf("ConfigLockPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestUpdateConfigConcurrent adds repositories from many goroutines at once,
// each through its own lock (flock excludes open files, not processes): none
// is lost.
func TestUpdateConfigConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "repositories.yaml")
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			errs <- UpdateConfig(context.Background(), path, func(c *Config) error {
				time.Sleep(time.Millisecond) // widen the window a lost update needs
				return c.Add(&Entry{Name: fmt.Sprintf("r%d", i), URL: fmt.Sprintf("http://r%d", i)})
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Repositories) != n {
		t.Errorf("%d repositories kept, want %d", len(c.Repositories), n)
	}
}

func TestLockConfigTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "repositories.yaml")
	unlock, err := LockConfig(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = UpdateConfig(ctx, path, func(*Config) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "another helm or barge command holds the lock") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v", err)
	}
}

func TestSaveThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.yaml")
	link := filepath.Join(dir, "repositories.yaml")
	os.WriteFile(real, nil, 0o600)
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	c := &Config{}
	c.Add(&Entry{Name: "a", URL: "http://a"})
	if err := c.Save(link); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("the link was replaced by a file")
	}
	if c2, _ := LoadConfig(real); !c2.Has("a") {
		t.Error("the file linked to was not written")
	}
}
