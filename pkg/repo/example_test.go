package repo_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/bargehq/barge/pkg/repo"
	"github.com/bargehq/barge/pkg/repo/getter"
	"github.com/bargehq/barge/pkg/repo/internal/repotest"
)

// exampleRepo serves a repository with two versions of "hello".
func exampleRepo() *httptest.Server {
	t := &testing.T{}
	files := map[string][]byte{
		"/hello-1.0.0.tgz": repotest.Archive(t, "hello", "1.0.0", "description: Says hello\n"),
		"/hello-1.1.0.tgz": repotest.Archive(t, "hello", "1.1.0", "description: Says hello\n"),
	}
	index := "apiVersion: v1\nentries:\n  hello:\n"
	for _, v := range []string{"1.0.0", "1.1.0"} {
		sum := sha256.Sum256(files["/hello-"+v+".tgz"])
		index += fmt.Sprintf("  - {name: hello, version: %s, description: Says hello, urls: [hello-%s.tgz], digest: %s}\n", v, v, hex.EncodeToString(sum[:]))
	}
	files["/index.yaml"] = []byte(index)
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b, ok := files[r.URL.Path]; ok {
			w.Write(b)
			return
		}
		http.NotFound(w, r)
	}))
}

// A "repo add" followed by an install of repo/chart: the repository is
// added under the lock Helm takes, its index cached, and the chart located
// (downloaded once, checked against the index's digest).
func ExampleResolver_Locate() {
	srv := exampleRepo()
	defer srv.Close()
	home, _ := os.MkdirTemp("", "barge-example")
	defer os.RemoveAll(home)
	paths := repo.PathsFromEnv(func(k string) string {
		return map[string]string{"HOME": home}[k]
	})
	ctx := context.Background()
	client := &getter.Client{Version: "1.0.0"}

	entry := &repo.Entry{Name: "example", URL: srv.URL}
	if _, err := (&repo.Cache{Paths: paths, Client: client}).Update(ctx, entry); err != nil {
		log.Fatal(err)
	}
	if err := repo.UpdateConfig(ctx, paths.Config, func(c *repo.Config) error { return c.Add(entry) }); err != nil {
		log.Fatal(err)
	}

	r := &repo.Resolver{Paths: paths, Client: client}
	loc, err := r.Locate(ctx, repo.Ref{Chart: "example/hello"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(loc.Repo, loc.Version, filepath.Base(loc.URL))
	_, err = r.Locate(ctx, repo.Ref{Chart: "example/hello", Version: "2.0.0"})
	fmt.Println(err)
	// Output:
	// example 1.1.0 hello-1.1.0.tgz
	// chart "hello" version "2.0.0" not found in example index (newest: 1.1.0, 1.0.0); run 'barge repo update example' if it was published since
}

// "search repo hello --versions" over the configured repositories.
func ExampleCache_Search() {
	srv := exampleRepo()
	defer srv.Close()
	dir, _ := os.MkdirTemp("", "barge-example")
	defer os.RemoveAll(dir)
	cache := &repo.Cache{Paths: repo.Paths{Config: filepath.Join(dir, "repositories.yaml"), Cache: dir}}
	cfg := &repo.Config{}
	cfg.Add(&repo.Entry{Name: "example", URL: srv.URL})
	if _, err := cache.Update(context.Background(), cfg.Get("example")); err != nil {
		log.Fatal(err)
	}
	res, err := cache.Search(context.Background(), cfg, repo.SearchOptions{Keyword: "hello", Versions: true})
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range res.Hits {
		fmt.Println(h.Name, h.Chart.Version, h.Chart.Description)
	}
	// Output:
	// example/hello 1.1.0 Says hello
	// example/hello 1.0.0 Says hello
}

// "repo index DIR --url URL".
func ExampleGenerateIndex() {
	dir, _ := os.MkdirTemp("", "barge-example")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "hello-1.0.0.tgz"), repotest.Archive(&testing.T{}, "hello", "1.0.0", ""), 0o644)
	idx, err := repo.GenerateIndex(context.Background(), dir, repo.IndexOptions{URL: "https://charts.example.com"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(idx.Entries["hello"][0].URLs[0])
	// Output: https://charts.example.com/hello-1.0.0.tgz
}
