package repo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/bargehq/barge/pkg/repo/getter"
	"github.com/bargehq/barge/pkg/repo/internal/repotest"
)

// chartRepo is a chart repository on loopback: an index.yaml made from its
// archives (with their digests unless noDigest), the archives, request
// counts per path and the credentials each request carried.
type chartRepo struct {
	*httptest.Server
	user, pass string
	noDigest   bool
	// archiveBase, when set, is where the index says the archives are.
	archiveBase string

	mu       sync.Mutex
	files    map[string][]byte
	versions map[string][]string
	hits     map[string]int
	auth     map[string]bool
}

func newChartRepo(t *testing.T, user, pass string) *chartRepo {
	t.Helper()
	r := &chartRepo{user: user, pass: pass, files: map[string][]byte{}, versions: map[string][]string{}, hits: map[string]int{}, auth: map[string]bool{}}
	r.Server = httptest.NewServer(r)
	t.Cleanup(r.Close)
	return r
}

func (r *chartRepo) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	u, p, ok := req.BasicAuth()
	r.mu.Lock()
	r.hits[req.URL.Path]++
	r.auth[req.URL.Path] = ok
	r.mu.Unlock()
	if r.user != "" && (!ok || u != r.user || p != r.pass) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if req.URL.Path == "/index.yaml" {
		w.Write(r.index())
		return
	}
	r.mu.Lock()
	b, found := r.files[strings.TrimPrefix(req.URL.Path, "/")]
	r.mu.Unlock()
	if !found {
		http.NotFound(w, req)
		return
	}
	w.Write(b)
}

// add puts an archive of chart name at version in the repository.
func (r *chartRepo) add(t *testing.T, name, version string) []byte {
	b := repotest.Archive(t, name, version, "description: "+name+" chart\n")
	r.mu.Lock()
	defer r.mu.Unlock()
	r.files[name+"-"+version+".tgz"] = b
	r.versions[name] = append(r.versions[name], version)
	return b
}

func (r *chartRepo) index() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	b.WriteString("apiVersion: v1\nentries:\n")
	for name, vs := range r.versions {
		fmt.Fprintf(&b, "  %s:\n", name)
		for _, v := range vs {
			file := name + "-" + v + ".tgz"
			sum := sha256.Sum256(r.files[file])
			u := file
			if r.archiveBase != "" {
				u = r.archiveBase + "/" + file
			}
			fmt.Fprintf(&b, "  - name: %s\n    version: %s\n    urls: [%s]\n", name, v, u)
			if !r.noDigest {
				fmt.Fprintf(&b, "    digest: %s\n", hex.EncodeToString(sum[:]))
			}
		}
	}
	return []byte(b.String())
}

func (r *chartRepo) count(path string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hits[path]
}

// setup configures the repository as "stable" and downloads its index.
func setupResolver(t *testing.T, repos map[string]*chartRepo) (*Resolver, Paths) {
	t.Helper()
	dir := t.TempDir()
	paths := Paths{Config: filepath.Join(dir, "repositories.yaml"), Cache: filepath.Join(dir, "cache")}
	cfg := &Config{}
	c := &Cache{Paths: paths}
	for name, r := range repos {
		e := &Entry{Name: name, URL: r.URL, Username: r.user, Password: r.pass}
		cfg.Add(e)
		if _, err := c.Update(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	if err := cfg.Save(paths.Config); err != nil {
		t.Fatal(err)
	}
	return &Resolver{Paths: paths}, paths
}

// locateAnew locates ref with a new Resolver on paths, as another process
// would, and fails the test if it cannot.
func locateAnew(t *testing.T, paths Paths, ref Ref) {
	t.Helper()
	if _, err := (&Resolver{Paths: paths}).Locate(context.Background(), ref); err != nil {
		t.Fatal(err)
	}
}

func TestLocateRepoChart(t *testing.T) {
	repo := newChartRepo(t, "", "")
	repo.add(t, "alpine", "0.1.0")
	repo.add(t, "alpine", "0.2.0")
	repo.add(t, "alpine", "0.3.0-rc.1")
	res, paths := setupResolver(t, map[string]*chartRepo{"stable": repo})
	ctx := context.Background()

	loc, err := res.Locate(ctx, Ref{Chart: "stable/alpine"})
	if err != nil {
		t.Fatal(err)
	}
	if loc.Version != "0.2.0" || loc.Repo != "stable" || loc.URL != repo.URL+"/alpine-0.2.0.tgz" || len(loc.Digest) != 64 {
		t.Errorf("located %+v", loc)
	}
	if loc.Path != filepath.Join(paths.Cache, "barge", "charts", "sha256-"+loc.Digest+".tgz") {
		t.Errorf("path %s", loc.Path)
	}
	ch, err := loader.Load(loc.Path)
	if err != nil || ch.Metadata.Version != "0.2.0" {
		t.Fatalf("archive: %v", err)
	}
	for range 1000 {
		if _, err := res.Locate(ctx, Ref{Chart: "stable/alpine", Version: "0.2.0"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := repo.count("/alpine-0.2.0.tgz"); n != 1 {
		t.Errorf("1,001 lookups downloaded %d times, want 1", n)
	}
	// Another process (a new Resolver) finds it in the cache by digest.
	locateAnew(t, paths, Ref{Chart: "stable/alpine"})
	if n := repo.count("/alpine-0.2.0.tgz"); n != 1 {
		t.Errorf("a second resolver downloaded again (%d requests)", n)
	}
	loc, err = res.Locate(ctx, Ref{Chart: "stable/alpine", Devel: true})
	if err != nil || loc.Version != "0.3.0-rc.1" {
		t.Errorf("devel: %+v %v", loc, err)
	}

	// A damaged cached archive is downloaded again.
	os.WriteFile(loc.Path, []byte("garbage"), 0o644)
	locateAnew(t, paths, Ref{Chart: "stable/alpine", Devel: true})
	if n := repo.count("/alpine-0.3.0-rc.1.tgz"); n != 2 {
		t.Errorf("damaged archive: %d requests, want 2", n)
	}
}

func TestLocateErrors(t *testing.T) {
	repo := newChartRepo(t, "", "")
	repo.add(t, "alpine", "0.1.0")
	res, paths := setupResolver(t, map[string]*chartRepo{"stable": repo})
	cfg, _ := LoadConfig(paths.Config)
	cfg.Add(&Entry{Name: "fresh", URL: repo.URL})
	cfg.Save(paths.Config)
	res = &Resolver{Paths: paths}
	ctx := context.Background()
	tests := []struct {
		name    string
		ref     Ref
		wantErr string
		is      error
	}{
		{name: "repo not configured", ref: Ref{Chart: "nope/alpine"}, is: ErrRepoNotFound,
			wantErr: `repo nope not found: repository not found: no repository "nope" in ` + paths.Config + `; add it with 'barge repo add nope URL', or pass a path or --repo URL`},
		{name: "no cache", ref: Ref{Chart: "fresh/alpine"}, is: ErrNoCache,
			wantErr: `repository "fresh": no cached index (` + paths.IndexFile("fresh") + `): run 'barge repo update fresh'`},
		{name: "chart not in index", ref: Ref{Chart: "stable/nginx"}, is: ErrChartNotFound,
			wantErr: `chart "nginx" not found in stable index; check the name, or run 'barge repo update stable' if it was published since`},
		{name: "version not in index", ref: Ref{Chart: "stable/alpine", Version: "9.9.9"}, is: ErrVersionNotFound,
			wantErr: `chart "alpine" version "9.9.9" not found in stable index (newest: 0.1.0); run 'barge repo update stable' if it was published since`},
		{name: "path not found", ref: Ref{Chart: "./charts/none"}, is: ErrPathNotFound,
			wantErr: `path "./charts/none" not found: chart path not found: no chart directory or archive there; check the path`},
		{name: "bare name", ref: Ref{Chart: "alpine"},
			wantErr: `chart "alpine" not found: it is no local path, nor repo/chart, nor a URL; pass a chart directory or archive, REPO/alpine for a configured repository, or --repo URL`},
		{name: "archive gone", ref: Ref{Chart: repo.URL + "/none-1.0.0.tgz"}, is: getter.ErrNotFound,
			wantErr: "GET " + repo.URL + "/none-1.0.0.tgz: 404 Not Found; check the URL"},
		{name: "not a repository", ref: Ref{Chart: "alpine", RepoURL: repo.URL + "/sub"}, is: getter.ErrNotFound,
			wantErr: `looks like "` + repo.URL + `/sub" is not a valid chart repository or cannot be reached: repository ` + repo.URL + `/sub: GET ` + repo.URL + `/sub/index.yaml: 404 Not Found; is ` + repo.URL + `/sub a chart repository? (no index.yaml at ` + repo.URL + `/sub/index.yaml)`},
		{name: "not in URL repository", ref: Ref{Chart: "nginx", RepoURL: repo.URL}, is: ErrChartNotFound,
			wantErr: `chart "nginx" not found in ` + repo.URL + ` repository`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := res.Locate(ctx, tt.ref)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.wantErr != "" && err.Error() != tt.wantErr {
				t.Errorf("error = %v\nwant    %s", err, tt.wantErr)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
		})
	}
}

func TestLocateLocal(t *testing.T) {
	dir := t.TempDir()
	archive := filepath.Join(dir, "alpine-0.1.0.tgz")
	os.WriteFile(archive, repotest.Archive(t, "alpine", "0.1.0", ""), 0o644)
	var logs bytes.Buffer
	res := &Resolver{Paths: Paths{Config: filepath.Join(dir, "none.yaml"), Cache: filepath.Join(dir, "cache")}, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	for _, ref := range []Ref{{Chart: dir}, {Chart: archive, Version: "9.9.9"}, {Chart: archive, RepoURL: "https://u:secret@example.com"}} {
		loc, err := res.Locate(context.Background(), ref)
		if err != nil {
			t.Fatal(err)
		}
		if loc.Path != ref.Chart || loc.Version != "" || loc.URL != "" {
			t.Errorf("%+v: %+v", ref, loc)
		}
	}
	if !strings.Contains(logs.String(), "the version is ignored") || !strings.Contains(logs.String(), "the repository URL is ignored") || strings.Contains(logs.String(), "secret") {
		t.Errorf("log:\n%s", logs.String())
	}
}

// TestLocateRemoteOnly checks that, for pull, a local directory named as
// the chart does not shadow the repository.
func TestLocateRemoteOnly(t *testing.T) {
	r := newChartRepo(t, "", "")
	r.add(t, "alpine", "0.1.0")
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.Mkdir("alpine", 0o755); err != nil {
		t.Fatal(err)
	}
	paths := Paths{Config: filepath.Join(dir, "repositories.yaml"), Cache: filepath.Join(dir, "cache")}
	ctx := context.Background()
	loc, err := (&Resolver{Paths: paths}).Locate(ctx, Ref{Chart: "alpine", RepoURL: r.URL, RemoteOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if loc.URL == "" || loc.Version != "0.1.0" {
		t.Errorf("RemoteOnly: %+v, want the repository's chart", loc)
	}
	if loc, err := (&Resolver{Paths: paths}).Locate(ctx, Ref{Chart: "alpine", RepoURL: r.URL}); err != nil || loc.URL != "" {
		t.Errorf("without RemoteOnly: %+v, %v; want the local directory", loc, err)
	}
	if loc, err := (&Resolver{Paths: paths}).Locate(ctx, Ref{Chart: "./alpine", RemoteOnly: true}); err == nil {
		t.Errorf("RemoteOnly with a path: %+v, want an error (Helm's pull takes no local chart)", loc)
	}
}

// TestLocateURLRepo looks charts up with --repo: credentials for the
// repository's host only, the index downloaded once per Resolver and
// revalidated by later ones.
func TestLocateURLRepo(t *testing.T) {
	cdn := newChartRepo(t, "", "")
	cdn.add(t, "nginx", "1.0.0")
	repo := newChartRepo(t, "alice", "pw")
	repo.add(t, "alpine", "0.1.0")
	cdnData := cdn.files["nginx-1.0.0.tgz"]
	repo.mu.Lock()
	repo.versions["nginx"] = []string{"1.0.0"}
	repo.files["nginx-1.0.0.tgz"] = cdnData // for the digest; served by cdn
	repo.mu.Unlock()
	dir := t.TempDir()
	paths := Paths{Config: filepath.Join(dir, "repositories.yaml"), Cache: filepath.Join(dir, "cache")}
	ctx := context.Background()

	res := &Resolver{Paths: paths}
	ref := Ref{Chart: "alpine", RepoURL: repo.URL, Username: "alice", Password: "pw"}
	loc, err := res.Locate(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if loc.Repo != repo.URL || loc.Version != "0.1.0" {
		t.Errorf("%+v", loc)
	}
	if _, err := res.Locate(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if n := repo.count("/index.yaml"); n != 1 {
		t.Errorf("index downloaded %d times by one resolver", n)
	}

	// The chart on another host gets no credentials...
	repo.mu.Lock()
	repo.archiveBase = cdn.URL
	repo.mu.Unlock()
	res = &Resolver{Paths: paths}
	ref.Chart = "nginx"
	if _, err := res.Locate(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if cdn.auth["/nginx-1.0.0.tgz"] {
		t.Error("credentials sent to the archive's host")
	}
	// ...unless --pass-credentials.
	os.RemoveAll(paths.ArchiveDir())
	ref.PassCredentials = true
	locateAnew(t, paths, ref)
	if !cdn.auth["/nginx-1.0.0.tgz"] {
		t.Error("credentials not sent with --pass-credentials")
	}
	if !repo.auth["/index.yaml"] {
		t.Error("credentials not sent to the repository")
	}
	// Wrong credentials: the error names the repository and the fix.
	_, err = (&Resolver{Paths: paths}).Locate(ctx, Ref{Chart: "alpine", RepoURL: repo.URL, Username: "alice", Password: "nope"})
	if !errors.Is(err, getter.ErrUnauthorized) || !strings.Contains(err.Error(), "401 Unauthorized; check --username/--password") || strings.Contains(err.Error(), "nope") {
		t.Errorf("wrong password: %v", err)
	}
}

func TestLocateURLRepoRevalidates(t *testing.T) {
	var full, notModified int
	var mu sync.Mutex
	archive := repotest.Archive(t, "alpine", "0.1.0", "")
	sum := sha256.Sum256(archive)
	index := "apiVersion: v1\nentries:\n  alpine:\n  - {name: alpine, version: 0.1.0, urls: [alpine-0.1.0.tgz], digest: " + hex.EncodeToString(sum[:]) + "}\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path == "/index.yaml" {
			if r.Header.Get("If-None-Match") == `"v1"` {
				notModified++
				w.WriteHeader(http.StatusNotModified)
				return
			}
			full++
			w.Header().Set("ETag", `"v1"`)
			io.WriteString(w, index)
			return
		}
		w.Write(archive)
	}))
	defer srv.Close()
	paths := Paths{Cache: t.TempDir(), Config: filepath.Join(t.TempDir(), "r.yaml")}
	for range 3 {
		locateAnew(t, paths, Ref{Chart: "alpine", RepoURL: srv.URL})
	}
	if full != 1 || notModified != 2 {
		t.Errorf("index: %d full downloads and %d not-modified answers, want 1 and 2", full, notModified)
	}
}

// TestLocateURL downloads an archive by URL: with the digest and
// credentials of the configured repository that lists it, or as is.
func TestLocateURL(t *testing.T) {
	repo := newChartRepo(t, "bob", "pw")
	repo.add(t, "alpine", "0.1.0")
	res, _ := setupResolver(t, map[string]*chartRepo{"private": repo})
	loc, err := res.Locate(context.Background(), Ref{Chart: repo.URL + "/alpine-0.1.0.tgz"})
	if err != nil {
		t.Fatal(err)
	}
	if loc.Repo != "private" || loc.Version != "0.1.0" || !repo.auth["/alpine-0.1.0.tgz"] {
		t.Errorf("located %+v (credentials sent: %v)", loc, repo.auth["/alpine-0.1.0.tgz"])
	}

	// No repository lists it: downloaded once per Resolver (no digest to
	// find it by), again by a new one.
	plain := newChartRepo(t, "", "")
	plain.add(t, "nginx", "1.0.0")
	u := plain.URL + "/nginx-1.0.0.tgz"
	for range 3 {
		loc, err = res.Locate(context.Background(), Ref{Chart: u})
		if err != nil {
			t.Fatal(err)
		}
	}
	if loc.Repo != "" || loc.Version != "" || len(loc.Digest) != 64 || plain.count("/nginx-1.0.0.tgz") != 1 {
		t.Errorf("located %+v, %d requests", loc, plain.count("/nginx-1.0.0.tgz"))
	}
	locateAnew(t, res.Paths, Ref{Chart: u})
	if n := plain.count("/nginx-1.0.0.tgz"); n != 2 {
		t.Errorf("a new resolver: %d requests, want 2", n)
	}
}

func TestLocateDigestMismatch(t *testing.T) {
	repo := newChartRepo(t, "", "")
	repo.add(t, "alpine", "0.1.0")
	res, paths := setupResolver(t, map[string]*chartRepo{"stable": repo})
	idx, _ := (&Cache{Paths: paths}).Load(context.Background(), "stable")
	want := idx.Entries["alpine"][0].Digest
	// The archive is replaced after the index was downloaded.
	tampered := repotest.Archive(t, "alpine", "0.1.0", "description: evil\n")
	repo.mu.Lock()
	repo.files["alpine-0.1.0.tgz"] = tampered
	repo.mu.Unlock()
	sum := sha256.Sum256(tampered)
	_, err := res.Locate(context.Background(), Ref{Chart: "stable/alpine"})
	wantErr := "chart archive " + repo.URL + "/alpine-0.1.0.tgz: chart archive digest mismatch: the index of stable says sha256:" + want + ", the download is sha256:" + hex.EncodeToString(sum[:]) + "; the archive changed since the index was made: update the repository, or tell its maintainers"
	if !errors.Is(err, ErrDigestMismatch) || err.Error() != wantErr {
		t.Fatalf("error = %v\nwant    %s", err, wantErr)
	}
	entries, _ := os.ReadDir(paths.ArchiveDir())
	if len(entries) != 0 {
		t.Errorf("kept after a mismatch: %v", entries)
	}
}

func TestLocateConcurrent(t *testing.T) {
	repo := newChartRepo(t, "", "")
	repo.add(t, "alpine", "0.1.0")
	repo.noDigest = true
	repo.add(t, "nodigest", "1.0.0")
	res, _ := setupResolver(t, map[string]*chartRepo{"stable": repo})
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 100 {
		chart := "stable/alpine"
		if i%2 == 1 {
			chart = "stable/nodigest"
		}
		wg.Go(func() {
			_, err := res.Locate(context.Background(), Ref{Chart: chart})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if a, b := repo.count("/alpine-0.1.0.tgz"), repo.count("/nodigest-1.0.0.tgz"); a != 1 || b != 1 {
		t.Errorf("50 concurrent lookups each: %d and %d downloads, want 1 and 1", a, b)
	}
}

// TestLocateCancelledLeader cancels the lookup that started a shared
// download: the others finish it.
func TestLocateCancelledLeader(t *testing.T) {
	archive := repotest.Archive(t, "alpine", "0.1.0", "")
	sum := sha256.Sum256(archive)
	started := make(chan struct{}, 10)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/index.yaml" {
			io.WriteString(w, "apiVersion: v1\nentries:\n  alpine:\n  - {name: alpine, version: 0.1.0, urls: [alpine-0.1.0.tgz], digest: "+hex.EncodeToString(sum[:])+"}\n")
			return
		}
		started <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		w.Write(archive)
	}))
	defer srv.Close()
	res := &Resolver{Paths: Paths{Cache: t.TempDir(), Config: filepath.Join(t.TempDir(), "r.yaml")}}
	ref := Ref{Chart: "alpine", RepoURL: srv.URL}
	leaderCtx, cancel := context.WithCancel(context.Background())
	leaderErr := make(chan error, 1)
	go func() {
		_, err := res.Locate(leaderCtx, ref)
		leaderErr <- err
	}()
	<-started
	otherErr := make(chan error, 1)
	go func() {
		_, err := res.Locate(context.Background(), ref)
		otherErr <- err
	}()
	cancel()
	if err := <-leaderErr; !errors.Is(err, context.Canceled) {
		t.Errorf("leader: %v", err)
	}
	<-started // the other lookup downloads anew
	close(release)
	if err := <-otherErr; err != nil {
		t.Errorf("other: %v", err)
	}
}

// TestLocateTLS fetches from a repository that wants a client certificate
// and is signed by a private CA, with --repo.
func TestLocateTLS(t *testing.T) {
	pki := repotest.NewPKI(t)
	archive := repotest.Archive(t, "alpine", "0.1.0", "")
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/index.yaml" {
			io.WriteString(w, "apiVersion: v1\nentries:\n  alpine:\n  - {name: alpine, version: 0.1.0, urls: [alpine-0.1.0.tgz]}\n")
			return
		}
		w.Write(archive)
	}))
	srv.TLS = pki.ServerTLS(true)
	srv.Config.ErrorLog = discardLog()
	srv.StartTLS()
	defer srv.Close()
	paths := Paths{Cache: t.TempDir(), Config: filepath.Join(t.TempDir(), "r.yaml")}
	ref := Ref{Chart: "alpine", RepoURL: srv.URL, CAFile: pki.CAFile, CertFile: pki.CertFile, KeyFile: pki.KeyFile}
	locateAnew(t, paths, ref)
	ref.CAFile = ""
	_, err := (&Resolver{Paths: paths}).Locate(context.Background(), ref)
	if !errors.Is(err, getter.ErrTLS) || !strings.Contains(err.Error(), "pass --ca-file") {
		t.Errorf("no CA: %v", err)
	}
}

func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }
