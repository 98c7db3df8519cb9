package repo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/bargehq/barge/internal/flight"
	"github.com/bargehq/barge/pkg/repo/getter"
)

// ErrDigestMismatch is wrapped by the error of Locate when a downloaded
// archive is not the one the index describes.
var ErrDigestMismatch = errors.New("chart archive digest mismatch")

// normalDigest returns an index's digest as 64 lowercase hex digits, "" for
// none; a digest that is not a SHA-256 is an error.
func normalDigest(d string) (string, error) {
	d = strings.ToLower(strings.TrimSpace(d))
	d = strings.TrimPrefix(d, "sha256:")
	if d == "" {
		return "", nil
	}
	if b, err := hex.DecodeString(d); err != nil || len(b) != sha256.Size {
		return "", fmt.Errorf("digest %q is not a SHA-256 in hex", d)
	}
	return d, nil
}

// archivePath is where the archive of SHA-256 digest is cached.
func (r *Resolver) archivePath(digest string) string {
	return filepath.Join(r.Paths.ArchiveDir(), "sha256-"+digest+".tgz")
}

// cachedArchive reports whether the archive of digest is in the cache, its
// content checked once per Resolver; a damaged file is removed.
func (r *Resolver) cachedArchive(digest string) (string, bool) {
	p := r.archivePath(digest)
	r.mu.Lock()
	ok := r.verified[p]
	r.mu.Unlock()
	if ok {
		return p, true
	}
	got, err := fileDigest(p)
	if err != nil {
		return "", false
	}
	if got != digest {
		r.warn("cached chart archive damaged: downloading it again", "file", p)
		os.Remove(p)
		return "", false
	}
	r.mu.Lock()
	r.verified[p] = true
	r.mu.Unlock()
	return p, true
}

// fetch returns the cached archive at chartURL, downloading it if needed,
// and its digest. indexDigest is the index's digest of it, "" if none: with
// one, the archive is found in the cache by digest and checked against it;
// without, it is downloaded once per Resolver.
func (r *Resolver) fetch(ctx context.Context, repo getter.Repo, chartURL, indexDigest, version string) (string, string, error) {
	want, err := normalDigest(indexDigest)
	if err != nil {
		return "", "", fmt.Errorf("chart archive %s: the index's %w; tell the repository's maintainers", getter.Redact(chartURL), err)
	}
	var key string
	if want != "" {
		if p, ok := r.cachedArchive(want); ok {
			return p, want, nil
		}
		key = "archive:" + want
	} else {
		key = "archive-url:" + chartURL + "@" + version
		r.mu.Lock()
		p := r.byURL[key]
		r.mu.Unlock()
		if p != "" {
			return p, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "sha256-"), ".tgz"), nil
		}
	}
	v, err := r.shared(ctx, key, func(ctx context.Context) (any, error) {
		if want != "" {
			// Another flight may have finished since the check above.
			if p, ok := r.cachedArchive(want); ok {
				return [2]string{p, want}, nil
			}
		}
		p, got, err := r.downloadArchive(ctx, repo, chartURL, want)
		if err != nil {
			return nil, err
		}
		if want == "" {
			r.mu.Lock()
			r.byURL[key] = p
			r.mu.Unlock()
		}
		return [2]string{p, got}, nil
	})
	if err != nil {
		return "", "", err
	}
	res := v.([2]string)
	return res[0], res[1], nil
}

// downloadArchive downloads chartURL into the cache, checking it against the
// digest want if not "", and returns its path and digest. The file is
// written under a temporary name and renamed once complete and checked; it
// is not synced to disk, since every process checks a cached archive's
// digest before its first use.
func (r *Resolver) downloadArchive(ctx context.Context, repo getter.Repo, chartURL, want string) (string, string, error) {
	dir := r.Paths.ArchiveDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("chart archive cache: %w", err)
	}
	f, err := os.CreateTemp(dir, ".download-*.tgz")
	if err != nil {
		return "", "", fmt.Errorf("chart archive cache: %w", err)
	}
	tmp := f.Name()
	keep := false
	defer func() {
		if !keep {
			os.Remove(tmp)
		}
	}()
	h := sha256.New()
	r.debug("downloading chart archive", "url", getter.Redact(chartURL))
	_, err = r.client.Get(ctx, getter.Request{Repo: repo, URL: chartURL, Kind: getter.KindArchive}, io.MultiWriter(f, h))
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("chart archive cache: %w", cerr)
	}
	if err != nil {
		return "", "", err
	}
	got := hex.EncodeToString(h.Sum(nil))
	if want != "" && got != want {
		label := repo.Name
		if label == "" {
			label = repo.URL
		}
		return "", "", fmt.Errorf("chart archive %s: %w: the index of %s says sha256:%s, the download is sha256:%s; the archive changed since the index was made: update the repository, or tell its maintainers", getter.Redact(chartURL), ErrDigestMismatch, getter.Redact(label), want, got)
	}
	final := r.archivePath(got)
	if err := os.Chmod(tmp, 0o644); err != nil {
		return "", "", fmt.Errorf("chart archive cache: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", "", fmt.Errorf("chart archive cache: %w", err)
	}
	keep = true
	r.mu.Lock()
	r.verified[final] = true
	r.mu.Unlock()
	return final, got, nil
}

// shared runs fn once for all the callers asking for key at the same time.
// fn runs with the context of the caller that started it; if that caller
// gives up, the others start it again with theirs.
func (r *Resolver) shared(ctx context.Context, key string, fn func(context.Context) (any, error)) (any, error) {
	return flight.Do(ctx, &r.shares, key, fn)
}

// urlIndexMeta is what barge keeps beside the cached index of a repository
// given by URL, to ask the server whether it changed.
type urlIndexMeta struct {
	URL          string `json:"url"`
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"lastModified,omitempty"`
}

// urlIndex returns the index of the repository repo (given by URL with
// --repo), downloaded once per Resolver and kept on disk, where a
// conditional request reuses it while the server says it is unchanged.
func (r *Resolver) urlIndex(ctx context.Context, repo getter.Repo) (*Index, error) {
	key := repo.URL + "\x00" + repo.Username
	r.mu.Lock()
	idx := r.urlIdx[key]
	r.mu.Unlock()
	if idx != nil {
		return idx, nil
	}
	v, err := r.shared(ctx, "url-index:"+key, func(ctx context.Context) (any, error) {
		idx, err := r.fetchURLIndex(ctx, repo)
		if err != nil {
			return nil, err
		}
		r.mu.Lock()
		r.urlIdx[key] = idx
		r.mu.Unlock()
		return idx, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*Index), nil
}

func (r *Resolver) fetchURLIndex(ctx context.Context, repo getter.Repo) (*Index, error) {
	indexURL, err := getter.ResolveURL(repo.URL, "index.yaml")
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(repo.URL))
	name := hex.EncodeToString(sum[:10])
	cache := &Cache{Paths: Paths{Cache: r.Paths.URLIndexDir()}, Client: r.client, Logger: r.Logger}
	metaPath := filepath.Join(cache.Paths.Cache, name+"-index.meta")
	source := fmt.Sprintf("repository %s (%s)", getter.Redact(repo.URL), getter.Redact(indexURL))

	var meta urlIndexMeta
	if b, err := os.ReadFile(metaPath); err == nil {
		if json.Unmarshal(b, &meta) != nil || meta.URL != repo.URL {
			meta = urlIndexMeta{}
		}
	}
	for attempt := 0; ; attempt++ {
		var buf bytes.Buffer
		resp, err := r.client.Get(ctx, getter.Request{Repo: repo, URL: indexURL, Kind: getter.KindIndex, ETag: meta.ETag, LastModified: meta.LastModified}, &buf)
		if err != nil {
			return nil, err
		}
		if resp.NotModified {
			idx, err := cache.Load(ctx, name)
			if err == nil && attempt == 0 {
				r.debug("repository index unchanged: using the cached copy", "repository", getter.Redact(repo.URL))
				idx.Repo, idx.Source = repo.URL, source
				return idx, nil
			}
			meta = urlIndexMeta{} // the copy is gone or damaged: ask for the file
			continue
		}
		idx, err := parseIndex(buf.Bytes(), source, r.client.Limit(getter.KindIndex))
		if err != nil {
			return nil, err
		}
		idx.Repo = repo.URL
		if err := cache.write(name, buf.Bytes(), idx); err != nil {
			r.debug("cannot cache the repository index", "repository", getter.Redact(repo.URL), "error", err)
			return idx, nil
		}
		meta = urlIndexMeta{URL: repo.URL, ETag: resp.ETag, LastModified: resp.LastModified}
		if b, err := json.Marshal(meta); err == nil {
			if err := writeFileAtomic(metaPath, b, 0o644); err != nil {
				r.debug("cannot cache the repository index", "repository", getter.Redact(repo.URL), "error", err)
			}
		}
		return idx, nil
	}
}
