package repo

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const searchIndexA = `apiVersion: v1
entries:
  nginx:
  - {name: nginx, version: 1.2.0, description: "High-performance web server", keywords: [web, proxy], urls: [a]}
  - {name: nginx, version: 1.3.0-rc.1, description: "High-performance web server", keywords: [web, proxy], urls: [a]}
  - {name: nginx, version: 1.1.0, description: "An old proxy", keywords: [web], urls: [a]}
  nginx-ingress:
  - {name: nginx-ingress, version: 0.9.0, description: "Ingress controller", keywords: [ingress], urls: [a]}
  redis:
  - {name: redis, version: 7.0.0, description: "Key-value store, cache for nginx", keywords: [database], urls: [a]}
  pre:
  - {name: pre, version: 0.1.0-alpha.1, description: "only a pre-release", urls: [a]}
`

const searchIndexB = `apiVersion: v1
entries:
  cache:
  - {name: cache, version: 2.0.0, description: "memcached", keywords: [NGINX-compatible], urls: [a]}
  nginx:
  - {name: nginx, version: 9.0.0, description: "B's nginx", urls: [a]}
`

func searchIndexes(t *testing.T) []NamedIndex {
	t.Helper()
	var out []NamedIndex
	for name, data := range map[string]string{"a": searchIndexA, "b": searchIndexB} {
		idx, err := ParseIndex([]byte(data), name)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, NamedIndex{Name: name, Index: idx})
	}
	return out
}

func hitList(hits []SearchHit) []string {
	out := []string{}
	for _, h := range hits {
		out = append(out, fmt.Sprintf("%s %s %d", h.Name, h.Chart.Version, h.Score))
	}
	return out
}

func TestSearchIndexes(t *testing.T) {
	idx := searchIndexes(t)
	tests := []struct {
		name    string
		opts    SearchOptions
		want    []string
		wantErr string
	}{
		{name: "all, latest stable", opts: SearchOptions{},
			want: []string{"a/nginx 1.2.0 0", "a/nginx-ingress 0.9.0 0", "a/redis 7.0.0 0", "b/cache 2.0.0 0", "b/nginx 9.0.0 0"}},
		{name: "keyword, scores", opts: SearchOptions{Keyword: "nginx"},
			want: []string{"a/nginx 1.2.0 0", "a/nginx-ingress 0.9.0 0", "b/nginx 9.0.0 0", "a/redis 7.0.0 2", "b/cache 2.0.0 3"}},
		{name: "case ignored", opts: SearchOptions{Keyword: "NGINX-COMPAT"}, want: []string{"b/cache 2.0.0 3"}},
		{name: "repo/name", opts: SearchOptions{Keyword: "b/ng"}, want: []string{"b/nginx 9.0.0 1"}},
		{name: "versions", opts: SearchOptions{Keyword: "nginx", Versions: true},
			want: []string{"a/nginx 1.2.0 0", "a/nginx 1.1.0 0", "a/nginx-ingress 0.9.0 0", "b/nginx 9.0.0 0", "a/redis 7.0.0 2", "b/cache 2.0.0 3"}},
		{name: "devel", opts: SearchOptions{Keyword: "nginx", Devel: true, Versions: true},
			want: []string{"a/nginx 1.3.0-rc.1 0", "a/nginx 1.2.0 0", "a/nginx 1.1.0 0", "a/nginx-ingress 0.9.0 0", "b/nginx 9.0.0 0", "a/redis 7.0.0 2", "b/cache 2.0.0 3"}},
		{name: "devel only pre-release", opts: SearchOptions{Keyword: "pre", Devel: true}, want: []string{"a/pre 0.1.0-alpha.1 0"}},
		{name: "stable hides pre-release", opts: SearchOptions{Keyword: "only a pre"}, want: []string{}},
		{name: "version constraint", opts: SearchOptions{Keyword: "nginx", Version: "<1.2"}, want: []string{"a/nginx 1.1.0 0", "a/nginx-ingress 0.9.0 0"}},
		{name: "regexp is case-sensitive", opts: SearchOptions{Keyword: "^NGINX", Regexp: true}, want: []string{}},
		{name: "regexp", opts: SearchOptions{Keyword: "ngin[x]-", Regexp: true}, want: []string{"a/nginx-ingress 0.9.0 0"}},
		{name: "bad regexp", opts: SearchOptions{Keyword: "(", Regexp: true}, wantErr: "search \"(\": error parsing regexp: missing closing ): `(`; fix the regular expression, or search without --regexp"},
		{name: "bad version", opts: SearchOptions{Version: "x.y"}, wantErr: `--version "x.y": an invalid version/constraint format: improper constraint: "x.y"; give a version such as 1.2.3 or a range such as ^1.2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits, err := SearchIndexes(idx, tt.opts)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v\nwant    %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, hitList(hits)); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestCacheSearch(t *testing.T) {
	srv := newRepoServer(t, []byte(searchIndexA))
	dir := t.TempDir()
	c := &Cache{Paths: Paths{Cache: dir, Config: filepath.Join(dir, "repositories.yaml")}}
	if _, err := c.Search(context.Background(), &Config{}, SearchOptions{}); !errors.Is(err, ErrNoRepositories) {
		t.Errorf("no repositories: %v", err)
	}
	cfg := &Config{}
	cfg.Add(&Entry{Name: "a", URL: srv.URL})
	cfg.Add(&Entry{Name: "never-updated", URL: srv.URL})
	if _, err := c.Update(context.Background(), cfg.Get("a")); err != nil {
		t.Fatal(err)
	}
	res, err := c.Search(context.Background(), cfg, SearchOptions{Keyword: "ingress"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a/nginx-ingress 0.9.0 0"}, hitList(res.Hits)); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Error(), `repository "never-updated" is corrupt or missing, not searched`) {
		t.Errorf("warnings: %v", res.Warnings)
	}
}

// TestSearchLikeHelm compares barge's search with "helm search repo" on the
// same cache, for a few queries.
func TestSearchLikeHelm(t *testing.T) {
	helm := helmBinary(t, "v3.22.0")
	srvA := newRepoServer(t, []byte(searchIndexA))
	srvB := newRepoServer(t, []byte(searchIndexB))
	dir := t.TempDir()
	paths := Paths{Config: filepath.Join(dir, "repositories.yaml"), Cache: filepath.Join(dir, "cache")}
	runHelm(t, helm, paths, "repo", "add", "a", srvA.URL)
	runHelm(t, helm, paths, "repo", "add", "b", srvB.URL)
	cfg, err := LoadConfig(paths.Config)
	if err != nil {
		t.Fatal(err)
	}
	c := &Cache{Paths: paths}
	for _, args := range [][]string{{"nginx"}, {"nginx", "--versions"}, {"nginx", "--devel"}, {"--version", "<1.2", "nginx"}, {"-r", "ngin[x]"}, {}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out := runHelm(t, helm, paths, append([]string{"search", "repo", "-o", "json"}, args...)...)
			var want []string
			for _, f := range strings.Split(out, "},{") {
				name := between(f, `"name":"`, `"`)
				version := between(f, `"version":"`, `"`)
				if name != "" {
					want = append(want, name+" "+version)
				}
			}
			opts := SearchOptions{}
			for i := 0; i < len(args); i++ {
				switch args[i] {
				case "--versions":
					opts.Versions = true
				case "--devel":
					opts.Devel = true
				case "-r":
					opts.Regexp = true
				case "--version":
					i++
					opts.Version = args[i]
				default:
					opts.Keyword = args[i]
				}
			}
			res, err := c.Search(context.Background(), cfg, opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range res.Hits {
				got = append(got, h.Name+" "+h.Chart.Version)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("helm (-) vs barge (+)\n%s", diff)
			}
		})
	}
}

func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i+len(start):]
	j := strings.Index(s, end)
	if j < 0 {
		return ""
	}
	return s[:j]
}
