package kube

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"

	"github.com/bargehq/barge/pkg/kube/discovery"
)

// DefaultDiscoveryTTL is how long discovery information cached on disk is
// trusted, as in kubectl. A kind missing from the cache (a
// CustomResourceDefinition installed a moment ago) refreshes it at once.
const DefaultDiscoveryTTL = 6 * time.Hour

// Client talks to one cluster: it maps kinds to resources, applies, reads,
// deletes and waits for objects.
//
// A Client may be used by several goroutines at once, and should be: a fleet
// of releases shares one Client, its discovery cache, REST mapper and
// client-side rate limiter.
type Client struct {
	rest      *rest.Config
	dynamic   dynamic.Interface
	raw       *rest.RESTClient // for what the dynamic client cannot read: logs
	mapper    *mapper
	namespace string
	logger    *slog.Logger
	backoff   backoff
}

type options struct {
	namespace    string
	cacheDir     string
	noDiskCache  bool
	discoveryTTL time.Duration
	logger       *slog.Logger
	backoff      backoff
}

// Option configures a Client made by New or NewForRESTConfig.
type Option func(*options)

// WithNamespace sets the namespace given to namespaced objects that have
// none. It overrides the one from Config.
func WithNamespace(ns string) Option { return func(o *options) { o.namespace = ns } }

// WithCacheDir sets the directory under which discovery information is
// cached, in discovery/HOST.json, one file per API server. The default is
// $XDG_CACHE_HOME/barge (~/.cache/barge on Linux). An empty dir keeps the
// cache in memory only.
func WithCacheDir(dir string) Option {
	return func(o *options) {
		o.cacheDir = dir
		o.noDiskCache = dir == ""
	}
}

// WithDiscoveryTTL sets how long cached discovery information is trusted;
// zero means DefaultDiscoveryTTL.
func WithDiscoveryTTL(d time.Duration) Option { return func(o *options) { o.discoveryTTL = d } }

// WithLogger sets the logger for debug messages (retries, discovery
// refreshes). The default discards them.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithRetry sets how many times a request failing with a transient error
// (429 Too Many Requests, 5xx, connection reset) is attempted, and the first
// and longest wait between attempts. Zero values keep the defaults (8
// attempts, 250ms, 10s).
func WithRetry(attempts int, initial, max time.Duration) Option {
	return func(o *options) {
		if attempts > 0 {
			o.backoff.attempts = attempts
		}
		if initial > 0 {
			o.backoff.initial = initial
		}
		if max > 0 {
			o.backoff.max = max
		}
	}
}

// New returns a Client for the cluster cfg describes. Namespaced objects
// without a namespace get cfg.DefaultNamespace().
func New(cfg Config, opts ...Option) (*Client, error) {
	rc, err := cfg.RESTConfig()
	if err != nil {
		return nil, err
	}
	return NewForRESTConfig(rc, append([]Option{WithNamespace(cfg.DefaultNamespace())}, opts...)...)
}

// NewForRESTConfig returns a Client for the cluster rc points at. Unless
// WithNamespace says otherwise, namespaced objects without a namespace go
// to "default". The rate limits of rc (QPS, Burst; zero means DefaultQPS
// and DefaultBurst, a negative QPS none) are shared by all the Client's
// requests.
func NewForRESTConfig(rc *rest.Config, opts ...Option) (*Client, error) {
	o := options{
		namespace:    "default",
		discoveryTTL: DefaultDiscoveryTTL,
		backoff:      defaultBackoff(),
	}
	for _, opt := range opts {
		opt(&o)
	}
	if o.namespace == "" {
		o.namespace = "default"
	}
	if o.discoveryTTL <= 0 {
		o.discoveryTTL = DefaultDiscoveryTTL
	}
	if o.logger == nil {
		o.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.cacheDir == "" && !o.noDiskCache {
		if dir, err := os.UserCacheDir(); err == nil {
			o.cacheDir = filepath.Join(dir, "barge")
		}
	}

	rc = rest.CopyConfig(rc)
	if rc.QPS == 0 {
		rc.QPS = DefaultQPS
	}
	if rc.Burst == 0 {
		rc.Burst = DefaultBurst
	}
	if rc.RateLimiter == nil && rc.QPS > 0 {
		rc.RateLimiter = flowcontrol.NewTokenBucketRateLimiter(rc.QPS, max(rc.Burst, 1))
	}
	hc, err := rest.HTTPClientFor(rc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client for %s: %w", rc.Host, err)
	}
	dyn, err := dynamic.NewForConfigAndClient(rc, hc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client for %s: %w", rc.Host, err)
	}
	rawCfg := rest.CopyConfig(rc)
	rawCfg.NegotiatedSerializer = discovery.NegotiatedSerializer()
	raw, err := rest.UnversionedRESTClientForConfigAndClient(rawCfg, hc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client for %s: %w", rc.Host, err)
	}
	cache, err := newResourceCache(rc, o)
	if err != nil {
		return nil, err
	}
	return &Client{
		rest:      rc,
		dynamic:   dyn,
		raw:       raw,
		mapper:    newMapper(cache, o.logger),
		namespace: o.namespace,
		logger:    o.logger,
		backoff:   o.backoff,
	}, nil
}

// newResourceCache returns a cache of the server's resource lists on disk
// under o.cacheDir/discovery, like kubectl's, or none (the REST mapper
// keeps them in memory) when there is no cache directory.
func newResourceCache(rc *rest.Config, o options) (*resourceCache, error) {
	dc := rest.CopyConfig(rc)
	// Legacy discovery fetches many small documents at once; do not let the
	// shared limiter hold it back.
	dc.RateLimiter = nil
	d, err := discovery.New(dc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client for %s: %w", rc.Host, err)
	}
	c := &resourceCache{client: d, ttl: o.discoveryTTL, logger: o.logger}
	if o.cacheDir != "" {
		c.file = filepath.Join(o.cacheDir, "discovery", hostDir(rc.Host)+".json")
	}
	return c, nil
}

// hostDir turns an API server address into a directory name: the scheme is
// dropped and anything but letters, digits, '.', '_' and '-' becomes '_'.
func hostDir(host string) string {
	host = strings.TrimPrefix(strings.TrimPrefix(host, "https://"), "http://")
	s := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			return r
		}
		return '_'
	}, host)
	if s == "" {
		return "_"
	}
	return s
}

// Namespace returns the namespace given to namespaced objects that have none.
func (c *Client) Namespace() string { return c.namespace }

// Dynamic returns the dynamic client.
func (c *Client) Dynamic() dynamic.Interface { return c.dynamic }

// RESTMapper returns the Client's REST mapper, which rereads discovery once
// when asked for a kind it does not know.
func (c *Client) RESTMapper() meta.RESTMapper { return c.mapper }

// RESTConfig returns a copy of the Client's configuration.
func (c *Client) RESTConfig() *rest.Config { return rest.CopyConfig(c.rest) }
