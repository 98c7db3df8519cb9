package getter

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Defaults of a Client's zero fields.
const (
	// DefaultTimeout bounds one request, body included, as Helm's
	// default --timeout for repository downloads does.
	DefaultTimeout = 120 * time.Second
	// DefaultMaxIndexSize bounds an index.yaml (after decompression).
	DefaultMaxIndexSize int64 = 128 << 20
	// DefaultMaxArchiveSize bounds a chart archive (.tgz): the default
	// limit of package chart/archive, over which a chart cannot be loaded.
	DefaultMaxArchiveSize int64 = 20 << 20
	// DefaultMaxProvenanceSize bounds a provenance file (.prov): a
	// signature and a Chart.yaml.
	DefaultMaxProvenanceSize int64 = 1 << 20
	// DefaultMaxValuesSize bounds a values file (-f URL).
	DefaultMaxValuesSize int64 = 16 << 20
)

// Kind says what a request fetches: it picks the size limit, the Accept
// header and the advice given when the request fails.
type Kind int

const (
	// KindIndex is a repository's index.yaml.
	KindIndex Kind = iota + 1
	// KindArchive is a chart archive (.tgz).
	KindArchive
	// KindProvenance is a chart archive's provenance file (.tgz.prov).
	KindProvenance
	// KindValues is a values file (-f URL).
	KindValues
)

// Repo is the repository a request is made for: its name and base URL for
// messages, and the credentials and TLS settings to use. Credentials are
// sent only to URLs with the scheme, host and port of URL, unless
// PassCredentialsAll.
type Repo struct {
	// Name is the repository's name in repositories.yaml, or "" for a
	// repository given by URL only.
	Name string
	// URL is the repository's base URL. It decides which hosts receive the
	// credentials; when empty, the URL of the request does.
	URL string
	// Username and Password are sent with basic authentication when either
	// is set.
	Username, Password string
	// CertFile and KeyFile are a client certificate and its key (PEM).
	CertFile, KeyFile string
	// CAFile is a PEM bundle of the CAs that sign the server's certificate;
	// when set, only these CAs are trusted (as in Helm).
	CAFile string
	// InsecureSkipTLSVerify disables the check of the server's certificate.
	InsecureSkipTLSVerify bool
	// PassCredentialsAll sends the credentials to every host.
	PassCredentialsAll bool
}

// Request is one GET.
type Request struct {
	// Repo is the repository the URL belongs to.
	Repo Repo
	// URL is the absolute http:// or https:// URL to fetch.
	URL string
	// Kind is what URL holds.
	Kind Kind
	// ETag and LastModified, from an earlier Response, make the request
	// conditional: Response.NotModified reports an unchanged file.
	ETag, LastModified string
}

// Response describes a successful GET.
type Response struct {
	// NotModified reports a conditional request answered 304: nothing was
	// written.
	NotModified bool
	// ETag and LastModified are the response's validators, for a later
	// conditional request.
	ETag, LastModified string
	// Size is the number of bytes written.
	Size int64
}

// RequestInfo describes one HTTP request and its response for a debug log.
// It never holds credentials: the URL's password and query values are
// masked, and Auth only says whether basic authentication was sent.
type RequestInfo struct {
	Method string
	URL    string
	// Auth reports that the request carried the repository's credentials;
	// Withheld that it did not because its host is not the repository's.
	Auth, Withheld bool
	// Status is the HTTP status code, 0 when the request failed.
	Status   int
	Duration time.Duration
	// Err is the transport's error, if any.
	Err error
}

// LogFunc receives a RequestInfo for every HTTP request a Client makes,
// redirects included. It may be called by several goroutines at once.
type LogFunc func(ctx context.Context, info RequestInfo)

// Client fetches repository files. The zero Client is ready to use, with the
// defaults above. A Client may be used by several goroutines at once; its
// fields must not change once it is in use.
type Client struct {
	// Version is barge's version: requests carry "User-Agent: barge/Version".
	Version string
	// Timeout bounds each request, body included (DefaultTimeout if zero).
	Timeout time.Duration
	// MaxIndexSize and MaxArchiveSize bound the bodies of KindIndex and
	// KindArchive requests (the defaults above if zero).
	MaxIndexSize, MaxArchiveSize int64
	// Log, when set, receives every request (see RequestInfo).
	Log LogFunc
	// Downloaders fetch the URLs of schemes other than http and https,
	// by scheme (lower case): Helm's downloader plugins. A scheme absent
	// here is refused.
	Downloaders map[string]Downloader

	mu         sync.Mutex
	transports map[tlsKey]*http.Transport
}

// Downloader fetches rawURL, of a scheme the Client does not speak itself
// (see Client.Downloaders), writing its content to w. It is given the
// request (for its repository's credentials and TLS files) and must stop
// after limit+1 bytes; the Client counts what it writes and refuses more
// than limit. It may be called by several goroutines at once.
type Downloader func(ctx context.Context, req Request, limit int64, w io.Writer) error

// Limit returns the size limit of a body of kind k.
func (c *Client) Limit(k Kind) int64 {
	switch k {
	case KindProvenance:
		return DefaultMaxProvenanceSize
	case KindValues:
		return DefaultMaxValuesSize
	}
	if k == KindIndex {
		if c.MaxIndexSize > 0 {
			return c.MaxIndexSize
		}
		return DefaultMaxIndexSize
	}
	if c.MaxArchiveSize > 0 {
		return c.MaxArchiveSize
	}
	return DefaultMaxArchiveSize
}

func (c *Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

// Index fetches the index of the repository r, r.URL/index.yaml (resolved as
// Helm resolves it, query kept), and returns it.
func (c *Client) Index(ctx context.Context, r Repo) ([]byte, error) {
	u, err := ResolveURL(r.URL, "index.yaml")
	if err != nil {
		return nil, &Error{Repo: r, URL: r.URL, Kind: KindIndex, Err: err, Hint: "check the repository URL"}
	}
	var b strings.Builder
	if _, err := c.Get(ctx, Request{Repo: r, URL: u, Kind: KindIndex}, &b); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}

// Get fetches req.URL and copies its body to w. The body is bounded by the
// limit of req.Kind; an index served gzip-encoded is decompressed (the limit
// applies to the decompressed size). On error w may hold a part of the
// body: write to a temporary file and keep it only on success. Errors are
// *Error values naming the repository, the URL and what to do; errors.Is
// tells ErrNotFound, ErrUnauthorized, ErrTLS, ErrTimeout, ErrUnreachable,
// ErrTooLarge and ErrStatus apart. If ctx is done, the error wraps ctx's.
func (c *Client) Get(ctx context.Context, req Request, w io.Writer) (*Response, error) {
	fail := func(status int, err error, hint string) error {
		return &Error{Repo: req.Repo, URL: req.URL, Kind: req.Kind, Status: status, Err: err, Hint: hint}
	}
	u, err := url.Parse(req.URL)
	if err != nil {
		return nil, fail(0, err, "check the URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		if d := c.Downloaders[strings.ToLower(u.Scheme)]; d != nil {
			return c.download(ctx, d, req, w)
		}
		return nil, fail(0, fmt.Errorf("unsupported URL scheme %q", u.Scheme), "barge fetches http:// and https:// URLs, and those of the schemes its downloader plugins declare (barge plugin list)")
	}
	repoURL := req.Repo.URL
	if repoURL == "" {
		repoURL = req.URL
	}
	origin, err := url.Parse(repoURL)
	if err != nil {
		return nil, fail(0, fmt.Errorf("repository URL: %w", err), "check the repository URL")
	}
	base, err := c.transport(req.Repo)
	if err != nil {
		return nil, fail(0, err, "")
	}
	at := &authTransport{base: base, repo: req.Repo, origin: origin, log: c.Log}
	client := &http.Client{Transport: at}

	tctx, cancel := context.WithTimeoutCause(ctx, c.timeout(), errDeadline)
	defer cancel()
	hreq, err := http.NewRequestWithContext(tctx, http.MethodGet, req.URL, nil)
	if err != nil {
		return nil, fail(0, err, "check the URL")
	}
	version := c.Version
	if version == "" {
		version = "dev"
	}
	hreq.Header.Set("User-Agent", "barge/"+version)
	switch req.Kind {
	case KindArchive:
		hreq.Header.Set("Accept", "application/gzip,application/octet-stream")
	case KindIndex:
		// The transport does not ask for compression (an archive must
		// arrive byte for byte); an index may.
		hreq.Header.Set("Accept-Encoding", "gzip")
	}
	if req.ETag != "" {
		hreq.Header.Set("If-None-Match", req.ETag)
	}
	if req.LastModified != "" {
		hreq.Header.Set("If-Modified-Since", req.LastModified)
	}

	resp, err := client.Do(hreq)
	if err != nil {
		return nil, c.transportError(ctx, tctx, req, at, err)
	}
	defer resp.Body.Close()

	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusNotModified && (req.ETag != "" || req.LastModified != ""):
		return &Response{NotModified: true, ETag: req.ETag, LastModified: req.LastModified}, nil
	default:
		return nil, statusFailure(req, at, resp)
	}

	limit := c.Limit(req.Kind)
	if resp.ContentLength > limit {
		return nil, fail(resp.StatusCode, fmt.Errorf("%w: the server announces %s, over the %s limit for %s", ErrTooLarge, size(resp.ContentLength), size(limit), req.Kind), tooLargeHint(req.Kind))
	}
	var body io.Reader = resp.Body
	if req.Kind == KindIndex && strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return nil, fail(resp.StatusCode, fmt.Errorf("gzip-encoded body: %w", err), "the server sent a corrupt response; retry, or tell the repository's maintainers")
		}
		body = zr
	}
	n, err := io.Copy(w, io.LimitReader(body, limit+1))
	if err != nil {
		if tctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return nil, c.transportError(ctx, tctx, req, at, err)
		}
		return nil, fail(resp.StatusCode, fmt.Errorf("%w: reading the body: %w", ErrUnreachable, err), "the connection broke; retry")
	}
	if n > limit {
		return nil, fail(resp.StatusCode, fmt.Errorf("%w: the body is over the %s limit for %s", ErrTooLarge, size(limit), req.Kind), tooLargeHint(req.Kind))
	}
	return &Response{
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
		Size:         n,
	}, nil
}

// download is Get through a Downloader: the same limit, errors of the
// same type. The downloader's own timeout is ctx's: a plugin may prompt
// (for a passphrase, say).
func (c *Client) download(ctx context.Context, d Downloader, req Request, w io.Writer) (*Response, error) {
	limit := c.Limit(req.Kind)
	cw := &limitWriter{w: w, limit: limit}
	err := d(ctx, req, limit, cw)
	if cw.n > limit {
		return nil, &Error{Repo: req.Repo, URL: req.URL, Kind: req.Kind, Err: fmt.Errorf("%w: the downloader's output is over the %s limit for %s", ErrTooLarge, size(limit), req.Kind), Hint: tooLargeHint(req.Kind)}
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, &Error{Repo: req.Repo, URL: req.URL, Kind: req.Kind, Err: fmt.Errorf("%w", context.Cause(ctx))}
		}
		return nil, &Error{Repo: req.Repo, URL: req.URL, Kind: req.Kind, Err: err, Hint: "see the downloader plugin's messages above"}
	}
	return &Response{Size: cw.n}, nil
}

// limitWriter counts what is written through it and refuses to write past
// limit.
type limitWriter struct {
	w     io.Writer
	n     int64
	limit int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	l.n += int64(len(p))
	if l.n > l.limit {
		return 0, ErrTooLarge
	}
	return l.w.Write(p)
}

// errDeadline is the cause of a request's context when its timeout fires.
var errDeadline = errors.New("request timeout")

// String names the kind for messages ("an index", "a chart archive").
func (k Kind) String() string {
	switch k {
	case KindIndex:
		return "an index"
	case KindArchive:
		return "a chart archive"
	case KindValues:
		return "a values file"
	}
	return "a file"
}

func tooLargeHint(k Kind) string {
	if k == KindIndex {
		return "the repository's index is bigger than barge accepts: raise the index size limit if you trust this repository"
	}
	if k == KindValues {
		return "the values file is bigger than barge accepts: download it and pass the local path if you trust it"
	}
	return "the archive is bigger than barge accepts: raise the archive size limit if you trust this repository"
}

// size formats a byte count for messages.
func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// authTransport adds the repository's credentials to the requests that may
// carry them, redirects included, and reports each request to the log.
type authTransport struct {
	base   http.RoundTripper
	repo   Repo
	origin *url.URL
	log    LogFunc

	mu       sync.Mutex
	withheld string // the last host credentials were withheld from
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	info := RequestInfo{Method: req.Method, URL: Redact(req.URL.String())}
	if t.repo.Username != "" || t.repo.Password != "" {
		if t.repo.PassCredentialsAll || sameOrigin(t.origin, req.URL) {
			req = req.Clone(req.Context())
			req.SetBasicAuth(t.repo.Username, t.repo.Password)
			info.Auth = true
		} else {
			info.Withheld = true
			t.mu.Lock()
			t.withheld = req.URL.Host
			t.mu.Unlock()
		}
	}
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	if t.log != nil {
		info.Duration = time.Since(start)
		info.Err = err
		if resp != nil {
			info.Status = resp.StatusCode
		}
		t.log(req.Context(), info)
	}
	return resp, err
}

// sameOrigin reports whether u has the scheme, host and port of origin
// (Helm's rule for sending credentials; a default port may be left out).
func sameOrigin(origin, u *url.URL) bool {
	return strings.EqualFold(origin.Scheme, u.Scheme) &&
		strings.EqualFold(origin.Hostname(), u.Hostname()) &&
		port(origin) == port(u)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

// Redact returns rawURL with any password and every query value masked, for
// logs and messages. A URL that does not parse is returned whole only if it
// holds no "@" nor "?".
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		if strings.ContainsAny(rawURL, "@?") {
			return "(unparsable URL)"
		}
		return rawURL
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k, vs := range q {
			for i := range vs {
				vs[i] = "xxxxx"
			}
			q[k] = vs
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// ResolveURL resolves ref against the repository URL base as Helm does: an
// absolute ref is returned as it is; otherwise it is relative to base taken
// as a directory (a trailing "/" added), and base's query string, if any,
// replaces ref's (so a signed repository URL signs its files too).
func ResolveURL(base, ref string) (string, error) {
	r, err := url.Parse(ref)
	if err != nil {
		return "", fmt.Errorf("chart URL %q: %w", ref, err)
	}
	if r.IsAbs() {
		return ref, nil
	}
	b, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("repository URL %q: %w", Redact(base), err)
	}
	b.RawPath = strings.TrimSuffix(b.RawPath, "/") + "/"
	if b.RawPath == "/" {
		b.RawPath = ""
	}
	b.Path = strings.TrimSuffix(b.Path, "/") + "/"
	res := b.ResolveReference(r)
	res.RawQuery = b.RawQuery
	return res.String(), nil
}
