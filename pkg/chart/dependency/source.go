package dependency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"helm.sh/helm/v3/pkg/chart"

	"github.com/bargehq/barge/pkg/oci"
	"github.com/bargehq/barge/pkg/repo"
	"github.com/bargehq/barge/pkg/repo/getter"
)

// origin is where a dependency is fetched from.
type origin int

const (
	// fromCharts is a dependency without repository: unpacked in
	// charts/NAME already.
	fromCharts origin = iota + 1
	// fromFile is a file:// chart directory.
	fromFile
	// fromRepo is a configured repository.
	fromRepo
	// fromURL is a repository URL no configured repository has.
	fromURL
	// fromOCI is an oci:// registry repository.
	fromOCI
)

// source is where one dependency is fetched from.
type source struct {
	origin origin
	// entry is the configured repository (fromRepo).
	entry *repo.Entry
	// url is the repository's URL (fromRepo, fromURL).
	url string
	// path is the chart directory (fromFile).
	path string
	// cacheName names the repository's cached index (fromRepo, fromURL).
	cacheName string
}

// label names the repository in messages.
func (s source) label() string {
	if s.origin == fromRepo {
		return fmt.Sprintf("%q (%s)", s.entry.Name, getter.Redact(s.url))
	}
	return getter.Redact(s.url)
}

// unmanagedPrefix starts the cache name of a repository that is not
// configured, as Helm names it, so that Helm and barge share the cache.
const unmanagedPrefix = "helm-manager-"

// unmanagedName is the cache name of the repository at repoURL, which is
// not configured: Helm's, the prefix and the SHA-256 of the URL in hex.
func unmanagedName(repoURL string) string {
	sum := sha256.Sum256([]byte(repoURL))
	return unmanagedPrefix + hex.EncodeToString(sum[:])
}

// sameURL reports whether two repository URLs are the same, as Helm compares
// them (paths cleaned, so a trailing slash does not count), with the scheme
// and host compared regardless of case.
func sameURL(a, b string) bool {
	au, aerr := url.Parse(a)
	bu, berr := url.Parse(b)
	if aerr != nil || berr != nil {
		return a == b
	}
	for _, u := range []*url.URL{au, bu} {
		if u.Path == "" {
			u.Path = "/"
		}
		u.Path = path.Clean(u.Path)
		u.RawPath = ""
		u.Scheme = strings.ToLower(u.Scheme)
		u.Host = strings.ToLower(u.Host)
	}
	return au.String() == bu.String()
}

// localPath is the directory a file:// repository names, relative to the
// chart directory unless absolute.
func (r *run) localPath(repository string) string {
	p := strings.TrimPrefix(repository, "file://")
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(r.dir, p)
}

// config returns the repositories configuration, loaded once; without a
// resolver there is none.
func (r *run) config() (*repo.Config, error) {
	if r.cfg != nil {
		return r.cfg, nil
	}
	switch {
	case r.opts.Resolver == nil:
		r.cfg = &repo.Config{}
	case r.opts.Resolver.Config != nil:
		r.cfg = r.opts.Resolver.Config
	default:
		cfg, err := repo.LoadConfig(r.opts.Resolver.Paths.Config)
		if err != nil {
			return nil, err
		}
		r.cfg = cfg
	}
	return r.cfg, nil
}

// declaredSources finds where each dependency Chart.yaml (or
// requirements.yaml) declares comes from. Like Helm, it replaces @NAME and
// alias:NAME repositories in deps with the configured repository's URL:
// the lock, and its digest, hold URLs. Repositories that are neither
// configured nor URLs are reported together, in Helm's words.
func (r *run) declaredSources(deps []*chart.Dependency) ([]source, error) {
	srcs, missing, err := r.sources(deps, true)
	if err != nil {
		return nil, err
	}
	if len(missing) == 0 {
		return srcs, nil
	}
	msg := fmt.Sprintf("chart %s: %s for %s. Please add them via 'barge repo add'", r.dir, ErrNoRepository, strings.Join(missing, ", "))
	for _, m := range missing {
		if !strings.Contains(m, "//") && !strings.HasPrefix(m, "@") && !strings.HasPrefix(m, "alias:") {
			msg += `
Note that repositories must be URLs or aliases. For example, to refer to the "example"
repository, use "https://charts.example.com/" or "@example" instead of
"example". Don't forget to add the repo, too ('barge repo add').`
			break
		}
	}
	return nil, &kindError{msg: msg, kind: ErrNoRepository}
}

// lockedSources finds where each dependency of the lock comes from, for
// Build: as in Helm, a repository URL must be a configured repository's.
func (r *run) lockedSources(deps []*chart.Dependency) ([]source, error) {
	srcs, missing, err := r.sources(deps, false)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		return nil, kindErrorf(ErrNoRepository, "chart %s: %s for %s. Please add the missing repos via 'barge repo add NAME URL': 'dependency build' fetches from configured repositories only, as Helm's does ('dependency update' fetches from a repository URL without it, and locks the versions anew)",
			r.dir, ErrNoRepository, strings.Join(redactAll(missing), ", "))
	}
	return srcs, nil
}

// sources classifies each dependency of deps (see classify), and returns
// the repositories that have no definition apart, for the caller to report
// in its own words.
func (r *run) sources(deps []*chart.Dependency, declared bool) (srcs []source, missing []string, err error) {
	srcs = make([]source, len(deps))
	for i, d := range deps {
		if d == nil {
			if declared {
				return nil, nil, fmt.Errorf("chart %s: Chart.yaml lists an empty dependency; remove it", r.dir)
			}
			return nil, nil, fmt.Errorf("chart %s: the lock file holds an empty dependency; run 'barge dependency update %s' to write it anew", r.dir, r.dir)
		}
		if d.Repository == "" {
			srcs[i] = source{origin: fromCharts}
			continue
		}
		s, ok, err := r.classify(d, declared)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			missing = append(missing, d.Repository)
			continue
		}
		srcs[i] = s
	}
	return srcs, missing, nil
}

// classify finds where the dependency d, whose repository is not empty,
// comes from. declared is true for Chart.yaml's dependencies, where @NAME
// and alias:NAME are replaced by URLs (in d) and URLs of repositories that
// are not configured are fetched directly. ok is false for a repository
// with no definition.
func (r *run) classify(d *chart.Dependency, declared bool) (s source, ok bool, err error) {
	rep := d.Repository
	if strings.HasPrefix(rep, "file://") {
		p := r.localPath(rep)
		if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
			return source{}, false, fmt.Errorf("chart %s: dependency %q: repository %s: directory %s not found; the path after file:// is relative to the chart directory", r.dir, d.Name, rep, p)
		}
		return source{origin: fromFile, path: p}, true, nil
	}
	if oci.IsReference(rep) {
		if _, err := oci.ParseReference(strings.TrimSuffix(rep, "/") + "/" + d.Name); err != nil {
			return source{}, false, fmt.Errorf("chart %s: dependency %q: repository %s: %w", r.dir, d.Name, rep, err)
		}
		return source{origin: fromOCI, url: strings.TrimSuffix(rep, "/")}, true, nil
	}
	cfg, err := r.config()
	if err != nil {
		return source{}, false, fmt.Errorf("chart %s: %w", r.dir, err)
	}
	if declared {
		if name, alias := strings.CutPrefix(rep, "@"); alias || strings.HasPrefix(rep, "alias:") {
			if !alias {
				name = strings.TrimPrefix(rep, "alias:")
			}
			e := cfg.Get(name)
			if e == nil {
				return source{}, false, nil
			}
			d.Repository = e.URL
			return source{origin: fromRepo, entry: e, url: e.URL, cacheName: e.Name}, true, nil
		}
	}
	for _, e := range cfg.Repositories {
		if sameURL(e.URL, rep) {
			return source{origin: fromRepo, entry: e, url: e.URL, cacheName: e.Name}, true, nil
		}
	}
	u, err := url.Parse(rep)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return source{}, false, nil
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return source{}, false, fmt.Errorf("chart %s: dependency %q: repository %s: scheme %q is not supported; barge fetches http:// and https:// repositories and file:// paths", r.dir, d.Name, getter.Redact(rep), u.Scheme)
	}
	if !declared {
		return source{}, false, nil
	}
	return source{origin: fromURL, url: rep, cacheName: unmanagedName(rep)}, true, nil
}

func redactAll(urls []string) []string {
	out := make([]string, len(urls))
	for i, u := range urls {
		out[i] = getter.Redact(u)
	}
	return out
}

// maxRefresh bounds the index downloads made at once.
const maxRefresh = 4

// refresh downloads anew the indexes of the repositories srcs come from,
// unless SkipRefresh, several at once, and prints Helm's lines about them,
// in the order of srcs. A failure is printed, as in Helm, and remembered:
// the cached index, if any, is used instead.
func (r *run) refresh(ctx context.Context, srcs []source) {
	if r.opts.SkipRefresh || r.cache == nil {
		return
	}
	var unmanaged, configured []source
	seen := map[string]bool{}
	for _, s := range srcs {
		if (s.origin != fromRepo && s.origin != fromURL) || seen[s.cacheName] {
			continue
		}
		seen[s.cacheName] = true
		if s.origin == fromURL {
			unmanaged = append(unmanaged, s)
		} else {
			configured = append(configured, s)
		}
	}
	all := append(unmanaged, configured...)
	if len(all) == 0 {
		return
	}
	errs := make([]error, len(all))
	idxs := make([]*repo.Index, len(all))
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxRefresh)
	for i, s := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			e := s.entry
			if e == nil {
				e = &repo.Entry{Name: s.cacheName, URL: s.url}
			}
			idxs[i], errs[i] = r.cache.Update(ctx, e)
			var ge *getter.Error
			if s.origin == fromURL && errors.As(errs[i], &ge) {
				ge.Repo.Name = "" // Helm's cache name for it means nothing to users
			}
		}()
	}
	wg.Wait()
	for i, s := range all {
		if i == 0 && len(unmanaged) > 0 {
			fmt.Fprintln(r.out, "Getting updates for unmanaged Helm repositories...")
		}
		if i == len(unmanaged) {
			fmt.Fprintln(r.out, "Hang tight while we grab the latest from your chart repositories...")
		}
		switch {
		case errs[i] == nil && s.origin == fromURL:
			fmt.Fprintf(r.out, "...Successfully got an update from the %q chart repository\n", getter.Redact(s.url))
		case errs[i] == nil:
			fmt.Fprintf(r.out, "...Successfully got an update from the %q chart repository\n", s.entry.Name)
		case s.origin == fromURL:
			fmt.Fprintf(r.out, "...Unable to get an update from the %q chart repository:\n\t%s\n", getter.Redact(s.url), errs[i])
		default:
			fmt.Fprintf(r.out, "...Unable to get an update from the %q chart repository (%s):\n\t%s\n", s.entry.Name, getter.Redact(s.url), errs[i])
		}
		if errs[i] != nil {
			r.refreshErr[s.cacheName] = errs[i]
		} else {
			r.indexes[s.cacheName] = idxs[i]
		}
	}
	if len(configured) > 0 {
		fmt.Fprintln(r.out, "Update Complete. ⎈Happy Helming!⎈")
	}
}

// index returns the index of the repository s, refreshed or cached.
func (r *run) index(ctx context.Context, s source) (*repo.Index, error) {
	if idx := r.indexes[s.cacheName]; idx != nil {
		return idx, nil
	}
	if r.cache == nil {
		return nil, fmt.Errorf("chart %s: repository %s: no repository resolver given (dependency.Options.Resolver)", r.dir, s.label())
	}
	idx, err := r.cache.Load(ctx, s.cacheName)
	if err != nil {
		if rerr := r.refreshErr[s.cacheName]; rerr != nil {
			return nil, fmt.Errorf("refreshing the repository's index failed: %w", rerr)
		}
		if errors.Is(err, repo.ErrNoCache) && s.origin == fromURL {
			return nil, fmt.Errorf("repository %s: %w; run the update without --skip-refresh to fetch its index", s.label(), repo.ErrNoCache)
		}
		return nil, err
	}
	r.indexes[s.cacheName] = idx
	return idx, nil
}
