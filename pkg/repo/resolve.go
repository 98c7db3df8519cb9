package repo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sync/singleflight"

	"github.com/bargehq/barge/internal/flight"
	"github.com/bargehq/barge/pkg/oci"
	"github.com/bargehq/barge/pkg/repo/getter"
)

// ErrPathNotFound is wrapped by the error of Locate for a chart reference
// that is a path (absolute, or starting with ".") where nothing exists.
var ErrPathNotFound = errors.New("chart path not found")

// ErrUnsupportedRef is wrapped by the error of Locate for references this
// package cannot fetch (a URL scheme other than http, https and oci).
var ErrUnsupportedRef = errors.New("unsupported chart reference")

// Ref is a chart reference as the commands take it: a chart (a local
// directory or archive, "repo/chart", a chart name with RepoURL, or an
// http(s) URL of an archive), the version wanted, and the flags that say
// where and how to fetch it.
type Ref struct {
	// Chart is the reference (the command's CHART argument).
	Chart string
	// Version is a version or SemVer range (--version); empty is the
	// newest stable version.
	Version string
	// Devel admits pre-releases when Version is empty (--devel).
	Devel bool
	// RepoURL is a repository to look Chart up in (--repo), instead of the
	// configured ones.
	RepoURL string
	// Username, Password, CertFile, KeyFile and CAFile are --username,
	// --password, --cert-file, --key-file and --ca-file.
	Username, Password, CertFile, KeyFile, CAFile string
	// Insecure is --insecure-skip-tls-verify.
	Insecure bool
	// PassCredentials is --pass-credentials: send the credentials to every
	// host, not only the repository's.
	PassCredentials bool
	// PlainHTTP talks plain HTTP to an OCI registry (--plain-http).
	PlainHTTP bool
	// RemoteOnly never takes Chart for a local path, as Helm's pull does:
	// "web" with RepoURL is looked up in the repository even where a
	// directory called web exists (say, unpacked by an earlier pull).
	RemoteOnly bool
}

// Located is where a chart reference led.
type Located struct {
	// Path is the chart on disk: a directory or a .tgz archive. A
	// downloaded archive is in the cache and must not be modified.
	Path string
	// Version is the chart version the repository's index lists, empty for
	// a local chart or a URL no configured repository lists.
	Version string
	// Repo is the configured repository's name, or the --repo URL; empty
	// for a local chart or a URL no configured repository lists.
	Repo string
	// URL is the archive's URL, empty for a local chart.
	URL string
	// Digest is the archive's SHA-256 in hex, empty for a local chart.
	Digest string

	// FileName is the archive's name as published, which its provenance
	// file names: the URL's last element, or NAME-VERSION.tgz for an OCI
	// chart. Empty for a local chart.
	FileName string
	// Manifest is an OCI chart's manifest digest, "sha256:...", as Helm
	// prints it after "Digest:"; empty for other charts.
	Manifest string

	// from is the repository the archive was downloaded from, for
	// Provenance.
	from getter.Repo
	// provPath is an OCI chart's provenance layer in the cache, if it has
	// one.
	provPath string
}

// Resolver turns chart references into charts on disk, with Helm's rules
// (Locate). Downloaded archives are kept in Paths.ArchiveDir() by digest, so
// that a version is downloaded once, by all processes; within one process,
// concurrent Locate calls for one archive download it once, and indexes are
// loaded (or, for --repo, downloaded) once per Resolver.
//
// A Resolver may be used by several goroutines at once; its fields must not
// change once it is in use. Make one per command (or per fleet run): it
// remembers the indexes it loaded.
type Resolver struct {
	// Paths locates repositories.yaml and the cache.
	Paths Paths
	// Client downloads indexes and archives; nil is a zero getter.Client.
	Client *getter.Client
	// Config is the repositories configuration; nil loads Paths.Config on
	// first use.
	Config *Config
	// Logger receives warnings (a local chart shadowing --repo) and debug
	// messages; nil is silent.
	Logger *slog.Logger
	// Registry configures the clients of oci:// references: the
	// credentials file, Docker's, the user agent; each reference's flags
	// (Ref) fill in the rest, and CacheDir defaults to Paths.ArchiveDir()
	// and Logger to Logger.
	Registry oci.Options

	once    sync.Once
	client  *getter.Client
	flights singleflight.Group
	shares  flight.Group

	mu       sync.Mutex
	cfg      *Config
	cfgErr   error
	cfgDone  bool
	indexes  map[string]*Index // by configured repository name
	urlIdx   map[string]*Index // by --repo URL and credentials
	verified map[string]bool   // archive paths whose digest was checked
	byURL    map[string]string // "URL@version" -> path, archives without digest

	registries map[registryKey]*oci.Client
}

func (r *Resolver) init() {
	r.once.Do(func() {
		r.client = r.Client
		if r.client == nil {
			r.client = &getter.Client{}
		}
		r.indexes = map[string]*Index{}
		r.urlIdx = map[string]*Index{}
		r.verified = map[string]bool{}
		r.byURL = map[string]string{}
		r.registries = map[registryKey]*oci.Client{}
		// A request's own timeout is every waiting caller's result.
		r.shares.Own = func(err error) bool { return errors.Is(err, getter.ErrTimeout) }
	})
}

// Locate finds the chart ref names, as Helm's install, upgrade, template,
// pull and show do:
//
//  1. an existing local path (directory or archive) wins, even with RepoURL
//     (a warning is logged) or Version (ignored, as in Helm), unless
//     RemoteOnly (Helm's pull);
//  2. a path that does not exist (absolute, or starting with ".") is an
//     error wrapping ErrPathNotFound, unless RemoteOnly;
//  3. with RepoURL, Chart is looked up in that repository's index, which is
//     downloaded once per Resolver and kept under Paths.URLIndexDir() (a
//     conditional request reuses it while it is unchanged); the credentials
//     go to that repository's host only, unless PassCredentials;
//  4. an http(s) URL is downloaded; if a configured repository's index lists
//     it, that repository's credentials, TLS settings and digest are used;
//  5. otherwise Chart is "repo/chart": repo must be configured (else an
//     error wrapping ErrRepoNotFound), its cached index (Cache.Load) must
//     list the chart (else a *NotFoundError), and the version is picked by
//     (*Index).Lookup.
//
// A downloaded archive is checked against the index's digest, when there is
// one: a mismatch is an error wrapping ErrDigestMismatch naming the URL and
// both digests, and nothing is kept.
func (r *Resolver) Locate(ctx context.Context, ref Ref) (*Located, error) {
	r.init()
	name := strings.TrimSpace(ref.Chart)
	version := strings.TrimSpace(ref.Version)
	if name == "" {
		return nil, errors.New("no chart given: name a chart directory, an archive, repo/chart, or a chart URL")
	}
	if ref.RemoteOnly {
		return r.locateRemote(ctx, ref, name, version)
	}
	if _, err := os.Stat(name); err == nil {
		abs, err := filepath.Abs(name)
		if err != nil {
			return nil, fmt.Errorf("chart %s: %w", name, err)
		}
		if ref.RepoURL != "" {
			r.warn("local chart found; the repository URL is ignored", "chart", name, "repository", getter.Redact(ref.RepoURL))
		}
		if version != "" {
			r.warn("local chart found; the version is ignored", "chart", name, "version", version)
		}
		return &Located{Path: abs}, nil
	}
	if filepath.IsAbs(name) || strings.HasPrefix(name, ".") {
		return nil, fmt.Errorf("path %q not found: %w: no chart directory or archive there; check the path", name, ErrPathNotFound)
	}
	return r.locateRemote(ctx, ref, name, version)
}

// locateRemote is Locate for a reference that is not a local path: rules 3
// to 5.
func (r *Resolver) locateRemote(ctx context.Context, ref Ref, name, version string) (*Located, error) {
	if oci.IsReference(name) {
		return r.locateOCI(ctx, ref, name, version)
	}
	if ref.RepoURL != "" {
		return r.locateInURLRepo(ctx, ref, name, version)
	}
	if u, err := url.Parse(name); err == nil && u.IsAbs() && u.Host != "" {
		if u.Scheme != "http" && u.Scheme != "https" && r.client.Downloaders[strings.ToLower(u.Scheme)] == nil {
			return nil, fmt.Errorf("chart %s: %w: scheme %q; barge downloads http:// and https:// URLs", getter.Redact(name), ErrUnsupportedRef, u.Scheme)
		}
		return r.locateURL(ctx, ref, name)
	}
	repoName, chartName, ok := strings.Cut(name, "/")
	if !ok || repoName == "" || chartName == "" {
		return nil, fmt.Errorf("chart %q not found: it is no local path, nor repo/chart, nor a URL; pass a chart directory or archive, REPO/%s for a configured repository, or --repo URL", name, name)
	}
	return r.locateInRepo(ctx, ref, repoName, chartName, version)
}

func (r *Resolver) warn(msg string, args ...any) {
	if r.Logger != nil {
		r.Logger.Warn(msg, args...)
	}
}

func (r *Resolver) debug(msg string, args ...any) {
	if r.Logger != nil {
		r.Logger.Debug(msg, args...)
	}
}

// config returns the repositories configuration, loaded once.
func (r *Resolver) config() (*Config, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.cfgDone {
		r.cfgDone = true
		if r.Config != nil {
			r.cfg = r.Config
		} else {
			r.cfg, r.cfgErr = LoadConfig(r.Paths.Config)
		}
	}
	return r.cfg, r.cfgErr
}

// repoIndex returns the cached index of the configured repository name,
// loaded once.
func (r *Resolver) repoIndex(ctx context.Context, name string) (*Index, error) {
	r.mu.Lock()
	idx := r.indexes[name]
	r.mu.Unlock()
	if idx != nil {
		return idx, nil
	}
	v, err, _ := r.flights.Do("index:"+name, func() (any, error) {
		c := &Cache{Paths: r.Paths, Client: r.client, Logger: r.Logger}
		idx, err := c.Load(ctx, name)
		if err != nil {
			return nil, err
		}
		r.mu.Lock()
		r.indexes[name] = idx
		r.mu.Unlock()
		return idx, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*Index), nil
}

// refRepo is the getter's view of the repository a Ref names with RepoURL
// (or of the chart URL itself when repoURL is the chart's).
func refRepo(ref Ref, repoURL string) getter.Repo {
	return getter.Repo{
		URL:      repoURL,
		Username: ref.Username, Password: ref.Password,
		CertFile: ref.CertFile, KeyFile: ref.KeyFile, CAFile: ref.CAFile,
		InsecureSkipTLSVerify: ref.Insecure,
		PassCredentialsAll:    ref.PassCredentials,
	}
}

// entryRepo is the getter's view of a configured repository, the flags
// filling in what the entry leaves empty (as Helm's options do).
func entryRepo(e *Entry, ref Ref) getter.Repo {
	g := getterRepo(e)
	if g.Username == "" && g.Password == "" {
		g.Username, g.Password = ref.Username, ref.Password
		g.PassCredentialsAll = g.PassCredentialsAll || ref.PassCredentials
	}
	if g.CertFile == "" && g.KeyFile == "" && g.CAFile == "" {
		g.CertFile, g.KeyFile, g.CAFile = ref.CertFile, ref.KeyFile, ref.CAFile
	}
	g.InsecureSkipTLSVerify = g.InsecureSkipTLSVerify || ref.Insecure
	return g
}

func (r *Resolver) locateInRepo(ctx context.Context, ref Ref, repoName, chartName, version string) (*Located, error) {
	cfg, err := r.config()
	if err != nil {
		return nil, err
	}
	e := cfg.Get(repoName)
	if e == nil && isDir(repoName) {
		// A mistyped local path reads as repo/chart: say both.
		return nil, fmt.Errorf("chart %s not found: %w: there is no such path (and no repository %q in %s); check the path", ref.Chart, ErrPathNotFound, repoName, r.Paths.Config)
	}
	if e == nil {
		return nil, fmt.Errorf("repo %s not found: %w: no repository %q in %s; add it with 'barge repo add %s URL', or pass a path or --repo URL", repoName, ErrRepoNotFound, repoName, r.Paths.Config, repoName)
	}
	if e.URL == "" {
		return nil, fmt.Errorf("no URL found for repository %s in %s; add it again with 'barge repo add --force-update %s URL'", repoName, r.Paths.Config, repoName)
	}
	idx, err := r.repoIndex(ctx, repoName)
	if err != nil {
		return nil, err
	}
	cv, err := idx.Lookup(chartName, version, ref.Devel)
	if err != nil {
		return nil, err
	}
	return r.download(ctx, entryRepo(e, ref), cv, e.URL, repoName)
}

func (r *Resolver) locateInURLRepo(ctx context.Context, ref Ref, chartName, version string) (*Located, error) {
	repo := refRepo(ref, ref.RepoURL)
	idx, err := r.urlIndex(ctx, repo)
	if err != nil {
		return nil, fmt.Errorf("looks like %q is not a valid chart repository or cannot be reached: %w", getter.Redact(ref.RepoURL), err)
	}
	cv, err := idx.Lookup(chartName, version, ref.Devel)
	if err != nil {
		var nf *NotFoundError
		if errors.As(err, &nf) {
			nf.URLRepo = true
		}
		return nil, err
	}
	return r.download(ctx, repo, cv, ref.RepoURL, ref.RepoURL)
}

// locateURL downloads the archive at chartURL, with the credentials and
// digest of the configured repository whose index lists it, if any (Helm's
// rule), else with the flags' credentials for chartURL's host.
func (r *Resolver) locateURL(ctx context.Context, ref Ref, chartURL string) (*Located, error) {
	cfg, err := r.config()
	if err != nil {
		r.debug("no configured repository searched for the chart URL", "error", err)
	} else {
		for _, e := range cfg.Repositories {
			idx, err := r.repoIndex(ctx, e.Name)
			if err != nil {
				r.debug("repository not searched for the chart URL", "repository", e.Name, "error", err)
				continue
			}
			if cv := findURL(idx, e.URL, chartURL); cv != nil {
				return r.download(ctx, entryRepo(e, ref), cv, e.URL, e.Name)
			}
		}
	}
	path, digest, err := r.fetch(ctx, refRepo(ref, ""), chartURL, "", "")
	if err != nil {
		return nil, err
	}
	return &Located{Path: path, URL: chartURL, Digest: digest, FileName: urlFileName(chartURL), from: refRepo(ref, "")}, nil
}

// findURL returns the version of idx whose archive URL, resolved against
// repoURL, is chartURL.
func findURL(idx *Index, repoURL, chartURL string) *ChartVersion {
	want := normalURL(chartURL)
	for _, cvs := range idx.Entries {
		for _, cv := range cvs {
			for _, u := range cv.URLs {
				abs, err := getter.ResolveURL(repoURL, u)
				if err == nil && normalURL(abs) == want {
					return cv
				}
			}
		}
	}
	return nil
}

// normalURL is u with a cleaned path, for comparisons.
func normalURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	if p.Path == "" {
		p.Path = "/"
	}
	p.Path = filepath.ToSlash(filepath.Clean(p.Path))
	p.Host = strings.ToLower(p.Host)
	p.Scheme = strings.ToLower(p.Scheme)
	return p.String()
}

// download fetches the archive of cv, listed by the repository at repoURL
// (called label in Located.Repo).
func (r *Resolver) download(ctx context.Context, repo getter.Repo, cv *ChartVersion, repoURL, label string) (*Located, error) {
	chartURL, err := cv.ChartURL(repoURL)
	if err != nil {
		return nil, fmt.Errorf("repository %s: %w", label, err)
	}
	path, digest, err := r.fetch(ctx, repo, chartURL, cv.Digest, cv.Version)
	if err != nil {
		return nil, err
	}
	return &Located{Path: path, Version: cv.Version, Repo: label, URL: chartURL, Digest: digest, FileName: urlFileName(chartURL), from: repo}, nil
}

// Provenance downloads the provenance file of the archive loc downloaded,
// at its URL with ".prov" after it (Helm's rule), with the credentials and
// TLS settings the archive was downloaded with; an OCI chart's is the
// provenance layer pulled with it. It is not cached: a
// signature is checked each time the chart is used. A local chart has no
// URL: its provenance file is beside it.
func (r *Resolver) Provenance(ctx context.Context, loc *Located) ([]byte, error) {
	r.init()
	if loc.URL == "" {
		return nil, fmt.Errorf("chart %s: not downloaded: its provenance file is %s.prov", loc.Path, loc.Path)
	}
	if loc.Manifest != "" { // an OCI chart
		return ociProvenance(loc)
	}
	var b bytes.Buffer
	provURL := loc.URL + ".prov"
	r.debug("downloading provenance file", "url", getter.Redact(provURL))
	if _, err := r.client.Get(ctx, getter.Request{Repo: loc.from, URL: provURL, Kind: getter.KindProvenance}, &b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// urlFileName is the last element of rawURL's path.
func urlFileName(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil && u.Path != "" {
		return path.Base(u.Path)
	}
	return path.Base(rawURL)
}

// isDir reports whether path is a directory.
func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
