package localregistry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"os"
	"testing"
	"time"
)

// start starts a registry for t, stopped when t ends. A missing binary
// fails t, and only skips it under -short.
func start(t *testing.T, opts Options) *Registry {
	t.Helper()
	if _, err := opts.binary(); err != nil {
		if testing.Short() {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	return r
}

func get(t *testing.T, client *http.Client, url, user, password string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestStart(t *testing.T) {
	users := map[string]string{"alice": "s3cret"}
	tests := []struct {
		name string
		opts Options
		// user and password sent; want is the status of GET /v2/.
		user, password string
		want           int
	}{
		{name: "plain", want: http.StatusOK},
		{name: "htpasswd without credentials", opts: Options{Users: users}, want: http.StatusUnauthorized},
		{name: "htpasswd wrong password", opts: Options{Users: users}, user: "alice", password: "nope", want: http.StatusUnauthorized},
		{name: "htpasswd", opts: Options{Users: users}, user: "alice", password: "s3cret", want: http.StatusOK},
		{name: "tls", opts: Options{TLS: true}, want: http.StatusOK},
		{name: "tls and htpasswd", opts: Options{TLS: true, Users: users}, user: "alice", password: "s3cret", want: http.StatusOK},
		{name: "client certificates", opts: Options{TLS: true, ClientCerts: true}, want: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := start(t, tt.opts)
			client := &http.Client{Timeout: 10 * time.Second}
			wantScheme := "http://"
			if tt.opts.TLS {
				wantScheme = "https://"
				pem, err := os.ReadFile(r.CAFile)
				if err != nil {
					t.Fatal(err)
				}
				pool := x509.NewCertPool()
				if !pool.AppendCertsFromPEM(pem) {
					t.Fatalf("no certificate in %s", r.CAFile)
				}
				cfg := &tls.Config{RootCAs: pool}
				if tt.opts.ClientCerts {
					cert, err := tls.LoadX509KeyPair(r.ClientCertFile, r.ClientKeyFile)
					if err != nil {
						t.Fatal(err)
					}
					cfg.Certificates = []tls.Certificate{cert}
				}
				client.Transport = &http.Transport{TLSClientConfig: cfg}
			} else if r.CAFile != "" {
				t.Errorf("CAFile = %q without TLS", r.CAFile)
			}
			if r.URL != wantScheme+r.Host {
				t.Errorf("URL = %q, want %q", r.URL, wantScheme+r.Host)
			}
			if got := get(t, client, r.URL+"/v2/", tt.user, tt.password); got != tt.want {
				t.Errorf("GET /v2/ = %d, want %d", got, tt.want)
			}
			if fi, err := os.Stat(r.StorageDir); err != nil || !fi.IsDir() {
				t.Errorf("StorageDir %s: %v", r.StorageDir, err)
			}
		})
	}
}

// TestTLSUntrusted checks that a client without the registry's CA is
// refused: the certificate really comes from the CA made for the run.
func TestTLSUntrusted(t *testing.T) {
	r := start(t, Options{TLS: true})
	_, err := (&http.Client{Timeout: 10 * time.Second}).Get(r.URL + "/v2/")
	var unknown x509.UnknownAuthorityError
	if err == nil || !errors.As(err, &unknown) {
		t.Fatalf("GET without the CA: %v, want an unknown authority error", err)
	}
}

func TestStopRemovesTempDir(t *testing.T) {
	r := start(t, Options{})
	dir := r.Dir
	r.Stop()
	r.Stop() // a second Stop is harmless
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s still exists after Stop: %v", dir, err)
	}
	if _, err := http.Get(r.URL + "/v2/"); err == nil {
		t.Errorf("the registry still answers after Stop")
	}
}

func TestKeepsGivenDir(t *testing.T) {
	dir := t.TempDir()
	r := start(t, Options{Dir: dir})
	r.Stop()
	if _, err := os.Stat(r.LogFile); err != nil {
		t.Errorf("log of a registry in a given directory: %v", err)
	}
}

func TestMissingBinary(t *testing.T) {
	_, err := Start(context.Background(), Options{BinDir: t.TempDir(), Version: "v0.0.0"})
	if err == nil {
		t.Fatal("Start without a binary succeeded")
	}
	want := "registry v0.0.0 not found at"
	if got := err.Error(); len(got) < len(want) || got[:len(want)] != want {
		t.Errorf("error = %q, want it to start with %q", got, want)
	}
}

// TestClientCertRequired checks that a registry with ClientCerts refuses a
// client without a certificate.
func TestClientCertRequired(t *testing.T) {
	r := start(t, Options{TLS: true, ClientCerts: true})
	pem, err := os.ReadFile(r.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if resp, err := client.Get(r.URL + "/v2/"); err == nil {
		resp.Body.Close()
		t.Fatalf("GET without a client certificate: %s, want a TLS failure", resp.Status)
	}
}
