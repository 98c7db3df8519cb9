package oci

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bargehq/barge/internal/localregistry"
	"github.com/bargehq/barge/internal/syncbuf"
	"github.com/bargehq/barge/pkg/chart/archive"
)

// startRegistry starts a real registry for t, stopped when t ends. A
// missing registry binary fails t, and only skips it under -short.
func startRegistry(t *testing.T, opts localregistry.Options) *localregistry.Registry {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := localregistry.Start(ctx, opts)
	if err != nil {
		if testing.Short() && strings.Contains(err.Error(), "build it with `make tools`") {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	return r
}

// packageChart packages testdata/charts/web as version into a new
// directory and returns the archive's path.
func packageChart(t *testing.T, version string) string {
	t.Helper()
	p, err := archive.Package(filepath.Join("testdata", "charts", "web"), t.TempDir(), archive.PackageOptions{Version: version})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// testClient is a Client with a cache of its own and a debug log kept for
// the test to read.
type testClient struct {
	*Client
	log   *syncbuf.Buffer
	cache string
}

// newClient makes a Client for t from opts, with a new cache directory
// unless opts has one, logging at debug level into the returned log.
func newClient(t *testing.T, opts Options) *testClient {
	t.Helper()
	buf := &syncbuf.Buffer{}
	if opts.CacheDir == "" {
		opts.CacheDir = t.TempDir()
	}
	opts.Logger = slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return &testClient{Client: c, log: buf, cache: opts.CacheDir}
}

// downloads counts the layers the client downloaded.
func (c *testClient) downloads() int {
	return strings.Count(c.log.String(), `msg="downloading from the registry"`)
}

// cacheFiles lists the files in the client's cache.
func (c *testClient) cacheFiles(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(c.cache)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
