package oci

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/retry"

	"github.com/bargehq/barge/internal/flight"
	"github.com/bargehq/barge/pkg/chart/archive"
)

// Helm's media types, from Helm's pkg/registry: a chart is an OCI image
// manifest whose config is the chart's metadata (Chart.yaml as JSON), with a
// chart layer (the .tgz) and, when signed, a provenance layer (the .prov).
const (
	// ConfigMediaType is the media type of a chart manifest's config.
	ConfigMediaType = "application/vnd.cncf.helm.config.v1+json"
	// ChartLayerMediaType is the media type of the chart archive layer.
	ChartLayerMediaType = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
	// ProvLayerMediaType is the media type of the provenance layer.
	ProvLayerMediaType = "application/vnd.cncf.helm.chart.provenance.v1.prov"
	// LegacyChartLayerMediaType is the chart layer's media type of Helm
	// before 3.7; barge pulls such charts, and never pushes them.
	LegacyChartLayerMediaType = "application/tar+gzip"
)

// Limits bound what a pull reads from a registry. A field that is zero or
// negative takes its value from DefaultLimits. A descriptor that announces
// more is refused before its content is requested; content longer than
// its descriptor announces is refused as it is read.
type Limits struct {
	// Manifest bounds a manifest and each page of a tag list.
	Manifest int64
	// Config bounds a chart's config (its Chart.yaml as JSON).
	Config int64
	// Chart bounds the chart layer, the compressed archive.
	Chart int64
	// Prov bounds the provenance layer.
	Prov int64
}

// DefaultLimits returns the limits a zero Limits field stands for:
// Manifest 4 MiB (oras-go's own bound on metadata; a chart's manifest is a
// few KiB, its annotations copied from Chart.yaml included), Config and
// Prov archive.DefaultLimits().MaxFile plus 1 MiB (a Chart.yaml at its
// largest, and a signature), Chart archive.DefaultLimits().MaxArchive, the
// bound on a chart archive barge reads from anywhere.
func DefaultLimits() Limits {
	al := archive.DefaultLimits()
	return Limits{
		Manifest: 4 << 20,
		Config:   al.MaxFile + 1<<20,
		Chart:    al.MaxArchive,
		Prov:     al.MaxFile + 1<<20,
	}
}

func (l Limits) orDefaults() Limits {
	d := DefaultLimits()
	if l.Manifest <= 0 {
		l.Manifest = d.Manifest
	}
	if l.Config <= 0 {
		l.Config = d.Config
	}
	if l.Chart <= 0 {
		l.Chart = d.Chart
	}
	if l.Prov <= 0 {
		l.Prov = d.Prov
	}
	return l
}

// Options configure a Client. The zero value talks HTTPS with the system's
// certificate authorities, without credentials and without a cache.
type Options struct {
	// PlainHTTP talks plain HTTP instead of HTTPS (--plain-http).
	PlainHTTP bool
	// InsecureSkipTLSVerify does not check the registry's certificate
	// (--insecure-skip-tls-verify).
	InsecureSkipTLSVerify bool
	// CAFile is a PEM bundle of the authorities that sign the registry's
	// certificate (--ca-file), instead of the system's.
	CAFile string
	// CertFile and KeyFile are a client certificate and its key
	// (--cert-file, --key-file).
	CertFile, KeyFile string
	// Username and Password are explicit credentials (--username,
	// --password), used when both are set instead of the stored ones, for
	// the registry CredentialsHost only: a chart's dependencies may name
	// any registry, and the credentials of one are not sent to another.
	Username, Password string
	// CredentialsHost is the registry (host[:port]) Username and Password
	// are for. Empty means the registry of the first reference the Client
	// works on (the command's chart, say); other registries get their
	// stored credentials.
	CredentialsHost string
	// CredentialsFile is the Docker config.json where credentials are
	// stored, Helm's registry config (see repo.RegistryConfigFromEnv).
	// Empty means none: Login then fails, and pulls go without stored
	// credentials.
	CredentialsFile string
	// DockerConfig is a Docker config.json to read credentials from when
	// CredentialsFile has none for a registry, as Helm falls back on
	// Docker's (see DockerConfigFromEnv). Empty means no fallback.
	DockerConfig string
	// CacheDir is where pulled chart archives are kept, by digest
	// (sha256-HEX.tgz, and sha256-HEX.prov for provenance): the layout of
	// repo.Paths.ArchiveDir(), which may be shared. Empty means a pull
	// fails: barge always keeps what it pulls.
	CacheDir string
	// Limits bound what is read from a registry.
	Limits Limits
	// Logger receives debug messages (each request's method, URL without
	// query and status; never a header nor a credential) and warnings;
	// nil is silent.
	Logger *slog.Logger
	// UserAgent is sent with each request; empty means "barge".
	UserAgent string
}

// DockerConfigFromEnv returns the path of Docker's config.json as Docker
// finds it, reading the environment through getenv: $DOCKER_CONFIG/
// config.json, else $HOME/.docker/config.json; "" if neither is set.
func DockerConfigFromEnv(getenv func(string) string) string {
	if d := getenv("DOCKER_CONFIG"); d != "" {
		return filepath.Join(d, "config.json")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".docker", "config.json")
	}
	return ""
}

// Client talks to OCI registries. It remembers, for its lifetime, the tag
// lists and manifests it fetched (a tag moved meanwhile is not seen): make
// one per command, or per fleet run. A Client may be used by several
// goroutines at once; concurrent pulls of one chart fetch it once.
type Client struct {
	opts   Options
	limits Limits
	http   *http.Client
	auth   *auth.Client
	store  credentials.Store
	log    *slog.Logger

	flights flight.Group

	mu        sync.Mutex
	credHost  string                  // where Username and Password go
	verified  map[string]bool         // cache files whose digest was checked
	tags      map[string][]string     // by repository
	manifests map[string]*chartRecord // by reference
}

// New returns a Client for opts. Unusable TLS settings or an unreadable
// credentials file are errors naming the flag or file.
func New(opts Options) (*Client, error) {
	c := &Client{
		opts:      opts,
		credHost:  registry.Reference{Registry: opts.CredentialsHost}.Host(),
		limits:    opts.Limits.orDefaults(),
		log:       opts.Logger,
		verified:  map[string]bool{},
		tags:      map[string][]string{},
		manifests: map[string]*chartRecord{},
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	tlsCfg, err := tlsConfig(opts)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsCfg
	tr.ForceAttemptHTTP2 = true
	c.http = &http.Client{
		Transport:     &logTransport{base: retry.NewTransport(tr), log: c.log},
		CheckRedirect: checkRedirect,
	}
	c.store, err = newStore(opts)
	if err != nil {
		return nil, err
	}
	ua := opts.UserAgent
	if ua == "" {
		ua = "barge"
	}
	c.auth = &auth.Client{
		Client:     c.http,
		Header:     http.Header{"User-Agent": {ua}},
		Cache:      auth.NewCache(),
		Credential: c.credential,
	}
	return c, nil
}

// newStore opens the credentials file, with Docker's as a fallback.
func newStore(opts Options) (credentials.Store, error) {
	so := credentials.StoreOptions{AllowPlaintextPut: true, DetectDefaultNativeStore: true}
	var store credentials.Store
	if opts.CredentialsFile != "" {
		s, err := credentials.NewStore(opts.CredentialsFile, so)
		if err != nil {
			return nil, fmt.Errorf("registry credentials file %s: %w; fix or remove it", opts.CredentialsFile, err)
		}
		store = s
	}
	if opts.DockerConfig != "" {
		d, err := credentials.NewStore(opts.DockerConfig, credentials.StoreOptions{})
		if err != nil {
			return nil, fmt.Errorf("docker config %s: %w; fix it, or unset DOCKER_CONFIG", opts.DockerConfig, err)
		}
		if store == nil {
			return d, nil
		}
		store = credentials.NewStoreWithFallbacks(store, d)
	}
	return store, nil
}

// bindCredentials makes host the registry of the explicit credentials if
// none is yet: the first reference a Client works on chooses it.
func (c *Client) bindCredentials(host string) {
	c.mu.Lock()
	if c.credHost == "" {
		c.credHost = host
	}
	c.mu.Unlock()
}

// credential returns the credentials for the registry hostport: the
// explicit ones if they are for it, else the stored ones.
func (c *Client) credential(ctx context.Context, hostport string) (auth.Credential, error) {
	if c.opts.Username != "" && c.opts.Password != "" {
		c.mu.Lock()
		mine := hostport == c.credHost
		c.mu.Unlock()
		if mine {
			return auth.Credential{Username: c.opts.Username, Password: c.opts.Password}, nil
		}
	}
	if c.store == nil {
		return auth.EmptyCredential, nil
	}
	cred, err := credentials.Credential(c.store)(ctx, hostport)
	if err != nil {
		// A broken credential helper: say so once per request, go on
		// without credentials; a 401 then says what to do.
		c.log.Warn("cannot read the stored registry credentials", "registry", hostport, "error", err)
		return auth.EmptyCredential, nil
	}
	return cred, nil
}

// hasCredential reports whether credentials would be sent to host.
func (c *Client) hasCredential(ctx context.Context, host string) bool {
	cred, _ := c.credential(ctx, host)
	return cred != auth.EmptyCredential
}

// repository returns oras-go's client for the repository of ref.
func (c *Client) repository(ref Reference) *remote.Repository {
	c.bindCredentials(ref.oras().Host())
	return &remote.Repository{
		Client:           c.auth,
		Reference:        ref.oras(),
		PlainHTTP:        c.opts.PlainHTTP,
		MaxMetadataBytes: c.limits.Manifest,
		TagListMaxPages:  1000,
		ManifestMediaTypes: []string{
			mediaTypeOCIManifest, mediaTypeOCIIndex, mediaTypeDockerManifest, mediaTypeDockerList,
		},
	}
}

// tlsConfig builds the TLS settings of opts.
func tlsConfig(opts Options) (*tls.Config, error) {
	cfg := &tls.Config{InsecureSkipVerify: opts.InsecureSkipTLSVerify} //nolint:gosec // the user asked for it
	switch {
	case opts.CertFile != "" && opts.KeyFile != "":
		cert, err := tls.LoadX509KeyPair(opts.CertFile, opts.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("%w: client certificate --cert-file %s / --key-file %s: %w", ErrTLS, opts.CertFile, opts.KeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	case opts.CertFile != "":
		return nil, fmt.Errorf("%w: --cert-file %s without --key-file: pass the certificate's key too", ErrTLS, opts.CertFile)
	case opts.KeyFile != "":
		return nil, fmt.Errorf("%w: --key-file %s without --cert-file: pass the certificate too", ErrTLS, opts.KeyFile)
	}
	if opts.CAFile != "" {
		b, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("%w: --ca-file: %w", ErrTLS, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("%w: --ca-file %s: no PEM certificate in the file", ErrTLS, opts.CAFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// checkRedirect follows at most 10 redirects, and drops the Authorization
// header on a redirect to another host or port, or from HTTPS to HTTP (Go
// keeps it for another port of the same host): a registry's credentials go
// to the registry only.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	first := via[0].URL
	if req.URL.Host != first.Host || req.URL.Scheme != first.Scheme {
		req.Header.Del("Authorization")
	}
	return nil
}

// logTransport logs each request at debug level: method, URL without its
// query, status and duration. Headers are never logged.
type logTransport struct {
	base http.RoundTripper
	log  *slog.Logger
}

func (t *logTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.log.Enabled(req.Context(), slog.LevelDebug) {
		return t.base.RoundTrip(req)
	}
	u := *req.URL
	u.RawQuery, u.User = "", nil
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		t.log.DebugContext(req.Context(), "registry request failed", "method", req.Method, "url", u.String(), "error", err)
		return resp, err
	}
	t.log.DebugContext(req.Context(), "registry request", "method", req.Method, "url", u.String(), "status", resp.StatusCode, "duration", time.Since(start).Round(time.Millisecond))
	return resp, nil
}
