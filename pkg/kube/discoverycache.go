package kube

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/bargehq/barge/pkg/kube/discovery"
)

// resourceCache gives the resource lists the server serves: from its file
// while the file is younger than ttl, from the server otherwise, writing the
// file anew. Without a file it always asks the server; the REST mapper
// keeps what it was given in memory.
//
// Several processes may share the file: it is replaced whole (written
// aside, then renamed), never written in place.
type resourceCache struct {
	client *discovery.Client
	file   string // empty: no cache on disk
	ttl    time.Duration
	logger *slog.Logger
}

// cacheFile is what a cache file holds.
type cacheFile struct {
	// Time is when the server was asked.
	Time      time.Time                 `json:"time"`
	Resources []*metav1.APIResourceList `json:"resources"`
}

// lists returns the server's resource lists, read from the file unless
// fromServer, and the time the server was asked for them (zero when they
// were read from the file). Lists missing some group versions (an
// aggregated API server down) are returned without error, but not written
// to the file.
func (c *resourceCache) lists(ctx context.Context, fromServer bool) ([]*metav1.APIResourceList, time.Time, error) {
	if !fromServer && c.file != "" {
		if lists, ok := c.read(ctx); ok {
			return lists, time.Time{}, nil
		}
	}
	asked := time.Now()
	lists, err := c.client.ServerResources(ctx)
	var incomplete *discovery.IncompleteError
	switch {
	case errors.As(err, &incomplete) && len(lists) > 0:
		c.logger.DebugContext(ctx, "API discovery incomplete", "error", err)
	case err != nil:
		return nil, time.Time{}, err
	case c.file != "":
		c.write(ctx, cacheFile{Time: asked, Resources: lists})
	}
	return lists, asked, nil
}

// read returns the lists of the cache file when it holds some and is
// younger than the TTL.
func (c *resourceCache) read(ctx context.Context) ([]*metav1.APIResourceList, bool) {
	b, err := os.ReadFile(c.file)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			c.logger.DebugContext(ctx, "discovery cache unreadable", "file", c.file, "error", err)
		}
		return nil, false
	}
	var f cacheFile
	if err := json.Unmarshal(b, &f); err != nil {
		c.logger.DebugContext(ctx, "discovery cache unreadable", "file", c.file, "error", err)
		return nil, false
	}
	if age := time.Since(f.Time); age < 0 || age >= c.ttl || len(f.Resources) == 0 {
		return nil, false
	}
	return f.Resources, true
}

// write replaces the cache file with f. A cache that cannot be written is
// not an error: the next process asks the server again.
func (c *resourceCache) write(ctx context.Context, f cacheFile) {
	err := func() error {
		b, err := json.Marshal(f)
		if err != nil {
			return err
		}
		dir := filepath.Dir(c.file)
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return err
		}
		tmp, err := os.CreateTemp(dir, filepath.Base(c.file)+".*.tmp")
		if err != nil {
			return err
		}
		defer os.Remove(tmp.Name())
		if _, err := tmp.Write(b); err != nil {
			tmp.Close()
			return err
		}
		if err := tmp.Close(); err != nil {
			return err
		}
		return os.Rename(tmp.Name(), c.file)
	}()
	if err != nil {
		c.logger.DebugContext(ctx, "discovery cache not written", "file", c.file, "error", err)
	}
}
