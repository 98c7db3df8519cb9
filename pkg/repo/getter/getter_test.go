package getter

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bargehq/barge/pkg/repo/internal/repotest"
)

// get fetches u for repo r and returns the body.
func get(t *testing.T, c *Client, r Repo, u string, k Kind) (string, error) {
	t.Helper()
	var b bytes.Buffer
	_, err := c.Get(context.Background(), Request{Repo: r, URL: u, Kind: k}, &b)
	return b.String(), err
}

func TestGetPlain(t *testing.T) {
	var ua, accept string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ua, accept = r.UserAgent(), r.Header.Get("Accept")
		if _, _, ok := r.BasicAuth(); ok {
			t.Error("credentials sent though none were given")
		}
		w.Write([]byte("apiVersion: v1\n"))
	}))
	defer srv.Close()
	c := &Client{Version: "1.2.3"}
	body, err := c.Index(context.Background(), Repo{Name: "plain", URL: srv.URL + "/charts/"})
	if err != nil {
		t.Fatal(err)
	}
	if string(body) != "apiVersion: v1\n" {
		t.Errorf("body = %q", body)
	}
	if ua != "barge/1.2.3" {
		t.Errorf("User-Agent = %q, want barge/1.2.3", ua)
	}
	if _, err := get(t, c, Repo{}, srv.URL+"/x.tgz", KindArchive); err != nil {
		t.Fatal(err)
	}
	if accept != "application/gzip,application/octet-stream" {
		t.Errorf("Accept = %q", accept)
	}
}

func TestGetBasicAuth(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != "alice" || p != "s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	c := &Client{}
	tests := []struct {
		name, user, pass, wantErr string
	}{
		{name: "right", user: "alice", pass: "s3cret"},
		{name: "wrong", user: "alice", pass: "nope", wantErr: `repository "auth": GET ` + srv.URL + `/index.yaml: 401 Unauthorized; check --username/--password (the repository refused them)`},
		{name: "none", wantErr: `repository "auth": GET ` + srv.URL + `/index.yaml: 401 Unauthorized; the repository needs credentials: pass --username and --password`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Index(context.Background(), Repo{Name: "auth", URL: srv.URL, Username: tt.user, Password: tt.pass})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("error = %v\nwant    %s", err, tt.wantErr)
			}
			if !errors.Is(err, ErrUnauthorized) {
				t.Errorf("error does not wrap ErrUnauthorized")
			}
			if strings.Contains(err.Error(), "nope") {
				t.Errorf("error shows the password")
			}
		})
	}
}

// TestGetRedirectCredentials checks Helm's --pass-credentials rule across
// redirects: credentials go to the repository's scheme, host and port only.
func TestGetRedirectCredentials(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{} // host -> had credentials
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _, ok := r.BasicAuth()
		mu.Lock()
		seen["other"] = ok
		mu.Unlock()
		if !ok && r.URL.Query().Get("need") != "" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.Write([]byte("archive"))
	}))
	defer other.Close()
	repoSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _, ok := r.BasicAuth()
		mu.Lock()
		seen["repo"] = ok
		mu.Unlock()
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/final", http.StatusFound)
		case "/away":
			http.Redirect(w, r, other.URL+"/x.tgz?"+r.URL.RawQuery, http.StatusFound)
		default:
			w.Write([]byte("archive"))
		}
	}))
	defer repoSrv.Close()
	// localhost and 127.0.0.1 on the same port are different hosts.
	localhostURL := strings.Replace(repoSrv.URL, "127.0.0.1", "localhost", 1)

	var logs []RequestInfo
	c := &Client{Log: func(_ context.Context, info RequestInfo) {
		mu.Lock()
		logs = append(logs, info)
		mu.Unlock()
	}}
	repo := Repo{Name: "r", URL: repoSrv.URL, Username: "u", Password: "topsecret"}
	tests := []struct {
		name      string
		repo      Repo
		url       string
		wantRepo  bool
		wantOther bool
		wantErr   string
	}{
		{name: "same host redirect", repo: repo, url: repoSrv.URL + "/same", wantRepo: true},
		{name: "other host redirect", repo: repo, url: repoSrv.URL + "/away", wantRepo: true, wantOther: false},
		{name: "other host redirect, pass all", repo: func() Repo { r := repo; r.PassCredentialsAll = true; return r }(), url: repoSrv.URL + "/away", wantRepo: true, wantOther: true},
		{name: "chart on other host", repo: repo, url: other.URL + "/x.tgz", wantOther: false},
		{name: "same port other name", repo: repo, url: localhostURL + "/final", wantRepo: false},
		{name: "refused on other host", repo: repo, url: repoSrv.URL + "/away?need=1", wantRepo: true,
			wantErr: "the credentials were not sent to " + strings.TrimPrefix(other.URL, "http://") + ", which is not the repository's host: pass --pass-credentials to send them to every host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			clear(seen)
			logs = nil
			mu.Unlock()
			body, err := get(t, c, tt.repo, tt.url, KindArchive)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
			} else if err != nil || body != "archive" {
				t.Fatalf("body %q, error %v", body, err)
			}
			mu.Lock()
			defer mu.Unlock()
			if got, ok := seen["repo"]; ok && got != tt.wantRepo {
				t.Errorf("repository host got credentials: %v, want %v", got, tt.wantRepo)
			}
			if got, ok := seen["other"]; ok && got != tt.wantOther {
				t.Errorf("other host got credentials: %v, want %v", got, tt.wantOther)
			}
			for _, l := range logs {
				if strings.Contains(l.URL, "topsecret") || (l.Err != nil && strings.Contains(l.Err.Error(), "topsecret")) {
					t.Errorf("log shows the password: %+v", l)
				}
			}
		})
	}
	if len(logs) != 2 || !logs[0].Auth || logs[1].Auth || !logs[1].Withheld || logs[0].Status != http.StatusFound {
		t.Errorf("log of the last request = %+v, want a 302 with credentials and a 403 without", logs)
	}
}

func TestGetNotFound(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	c := &Client{}
	_, err := c.Index(context.Background(), Repo{Name: "nf", URL: srv.URL + "/charts"})
	want := `repository "nf": GET ` + srv.URL + `/charts/index.yaml: 404 Not Found; is ` + srv.URL + `/charts a chart repository? (no index.yaml at ` + srv.URL + `/charts/index.yaml)`
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v\nwant    %s", err, want)
	}
	if !errors.Is(err, ErrNotFound) {
		t.Error("error does not wrap ErrNotFound")
	}
	_, err = get(t, c, Repo{Name: "nf", URL: srv.URL}, srv.URL+"/a-1.0.0.tgz", KindArchive)
	if err == nil || !strings.Contains(err.Error(), "404 Not Found; the repository's index names an archive it does not serve") {
		t.Fatalf("archive error = %v", err)
	}
}

func TestGetServerError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusBadGateway)
	}))
	defer srv.Close()
	_, err := (&Client{}).Index(context.Background(), Repo{URL: srv.URL})
	want := "repository " + srv.URL + ": GET " + srv.URL + "/index.yaml: 502 Bad Gateway; the server failed: retry later, or tell the repository's maintainers"
	if err == nil || err.Error() != want || !errors.Is(err, ErrStatus) {
		t.Fatalf("error = %v\nwant    %s", err, want)
	}
}

func TestGetTLS(t *testing.T) {
	pki := repotest.NewPKI(t)
	plain := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	plain.TLS = pki.ServerTLS(false)
	plain.Config.ErrorLog = log.New(io.Discard, "", 0)
	plain.StartTLS()
	defer plain.Close()
	mtls := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	mtls.TLS = pki.ServerTLS(true)
	mtls.Config.ErrorLog = log.New(io.Discard, "", 0)
	mtls.StartTLS()
	defer mtls.Close()
	httpSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer httpSrv.Close()

	tests := []struct {
		name    string
		repo    Repo
		wantErr string
		is      error
	}{
		{name: "unknown CA", repo: Repo{URL: plain.URL}, wantErr: "x509: certificate signed by unknown authority; the server's certificate is signed by a CA barge does not trust: pass --ca-file with that CA's certificate, or --insecure-skip-tls-verify", is: ErrTLS},
		{name: "wrong CA file", repo: Repo{URL: plain.URL, CAFile: pki.OtherCAFile}, wantErr: "pass --ca-file", is: ErrTLS},
		{name: "CA file", repo: Repo{URL: plain.URL, CAFile: pki.CAFile}},
		{name: "insecure", repo: Repo{URL: plain.URL, InsecureSkipTLSVerify: true}},
		{name: "missing CA file", repo: Repo{URL: plain.URL, CAFile: "/nonexistent/ca.pem"}, wantErr: "--ca-file: open /nonexistent/ca.pem: no such file or directory", is: ErrTLS},
		{name: "not a PEM CA file", repo: Repo{URL: plain.URL, CAFile: pki.KeyFile}, wantErr: "no PEM certificate in the file", is: ErrTLS},
		{name: "client certificate missing", repo: Repo{URL: mtls.URL, CAFile: pki.CAFile}, wantErr: "the server wants a client certificate: pass --cert-file and --key-file", is: ErrTLS},
		{name: "client certificate", repo: Repo{URL: mtls.URL, CAFile: pki.CAFile, CertFile: pki.CertFile, KeyFile: pki.KeyFile}},
		{name: "key without certificate", repo: Repo{URL: mtls.URL, KeyFile: pki.KeyFile}, wantErr: "--key-file " + pki.KeyFile + " without --cert-file", is: ErrTLS},
		{name: "https to http server", repo: Repo{URL: strings.Replace(httpSrv.URL, "http:", "https:", 1)}, wantErr: "use an http:// URL", is: ErrTLS},
	}
	c := &Client{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Index(context.Background(), tt.repo)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v\nwant it to contain %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error has several lines")
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("error does not wrap %v", tt.is)
			}
		})
	}
}

func TestGetTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := &Client{Timeout: 200 * time.Millisecond}
	_, err := c.Index(context.Background(), Repo{Name: "slow", URL: srv.URL})
	if err == nil || !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "no complete answer within 200ms; check the network (and any HTTPS_PROXY), or raise --timeout") {
		t.Fatalf("error = %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	_, err = (&Client{}).Index(ctx, Repo{Name: "slow", URL: srv.URL})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: error = %v, want context.Canceled", err)
	}
}

func TestGetUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = (&Client{}).Index(context.Background(), Repo{Name: "gone", URL: "http://" + addr})
	if err == nil || !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), `repository "gone": GET http://`+addr+`/index.yaml: dial tcp `+addr+`: connect: connection refused; cannot connect: check the URL, that the server is up, and any HTTPS_PROXY`) {
		t.Fatalf("error = %v", err)
	}
	_, err = (&Client{}).Index(context.Background(), Repo{Name: "s3", URL: "s3://bucket/charts"})
	if err == nil || !strings.Contains(err.Error(), `unsupported URL scheme "s3"; barge fetches http:// and https:// URLs, and those of the schemes its downloader plugins declare`) {
		t.Fatalf("error = %v", err)
	}
}

func TestGetTooLarge(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("chunked") == "" {
			w.Header().Set("Content-Length", "2048")
		} else {
			w.(http.Flusher).Flush() // no Content-Length
		}
		w.Write(bytes.Repeat([]byte("x"), 2048))
	}))
	defer srv.Close()
	c := &Client{MaxIndexSize: 1024, MaxArchiveSize: 4096}
	for _, q := range []string{"", "?chunked=1"} {
		_, err := get(t, c, Repo{Name: "big"}, srv.URL+"/index.yaml"+q, KindIndex)
		if err == nil || !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "over the 1.0 KiB limit for an index") || !strings.Contains(err.Error(), "GET "+srv.URL+"/index.yaml") {
			t.Errorf("%q: error = %v", q, err)
		}
	}
	if _, err := get(t, c, Repo{}, srv.URL+"/a.tgz", KindArchive); err != nil {
		t.Errorf("archive under its limit: %v", err)
	}
}

func TestGetGzipIndex(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept-Encoding") != "gzip" {
			t.Errorf("Accept-Encoding = %q", r.Header.Get("Accept-Encoding"))
		}
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		zw.Write(bytes.Repeat([]byte("a"), 5000))
		zw.Close()
	}))
	defer srv.Close()
	body, err := (&Client{}).Index(context.Background(), Repo{URL: srv.URL})
	if err != nil || len(body) != 5000 {
		t.Fatalf("len %d, error %v", len(body), err)
	}
	// The limit applies to the decompressed body.
	_, err = (&Client{MaxIndexSize: 4000}).Index(context.Background(), Repo{URL: srv.URL})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error = %v, want ErrTooLarge", err)
	}
}

func TestGetConditional(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Write([]byte("index"))
	}))
	defer srv.Close()
	c := &Client{}
	var b bytes.Buffer
	resp, err := c.Get(context.Background(), Request{URL: srv.URL + "/index.yaml", Kind: KindIndex}, &b)
	if err != nil || resp.ETag != `"v1"` || resp.NotModified {
		t.Fatalf("first: %+v %v", resp, err)
	}
	b.Reset()
	resp, err = c.Get(context.Background(), Request{URL: srv.URL + "/index.yaml", Kind: KindIndex, ETag: resp.ETag}, &b)
	if err != nil || !resp.NotModified || b.Len() != 0 {
		t.Fatalf("second: %+v %v", resp, err)
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://example.com/charts", "https://example.com/charts"},
		{"https://bob:pw@example.com/charts", "https://bob:xxxxx@example.com/charts"},
		{"https://s3.example.com/c.tgz?X-Amz-Signature=abc&X-Amz-Date=1", "https://s3.example.com/c.tgz?X-Amz-Date=xxxxx&X-Amz-Signature=xxxxx"},
		{"http://a b@c?d", "(unparsable URL)"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestResolveURL follows the cases of Helm's TestResolveReferenceURL.
func TestResolveURL(t *testing.T) {
	tests := []struct{ base, ref, want string }{
		{"http://localhost:8123/", "/nginx-0.2.0.tgz", "http://localhost:8123/nginx-0.2.0.tgz"},
		{"http://localhost:8123/charts/", "nginx-0.2.0.tgz", "http://localhost:8123/charts/nginx-0.2.0.tgz"},
		{"http://localhost:8123/charts", "nginx-0.2.0.tgz", "http://localhost:8123/charts/nginx-0.2.0.tgz"},
		{"http://localhost:8123/charts/", "/nginx-0.2.0.tgz", "http://localhost:8123/nginx-0.2.0.tgz"},
		{"http://localhost:8123/charts/", "https://charts.example.com/nginx-0.2.0.tgz", "https://charts.example.com/nginx-0.2.0.tgz"},
		{"http://localhost:8123/charts%2fwith%2fescaped%2fslash", "nginx-0.2.0.tgz", "http://localhost:8123/charts%2fwith%2fescaped%2fslash/nginx-0.2.0.tgz"},
		{"http://localhost:8123/charts?with=queryparameter", "nginx-0.2.0.tgz", "http://localhost:8123/charts/nginx-0.2.0.tgz?with=queryparameter"},
		{"https://example.com", "index.yaml", "https://example.com/index.yaml"},
	}
	for _, tt := range tests {
		got, err := ResolveURL(tt.base, tt.ref)
		if err != nil || got != tt.want {
			t.Errorf("ResolveURL(%q, %q) = %q, %v; want %q", tt.base, tt.ref, got, err, tt.want)
		}
	}
}
