package oci

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bargehq/barge/internal/localregistry"
)

const (
	testUser     = "alice"
	testPassword = "c0rrect-h0rse"
)

// noSecrets checks that s holds neither the password nor the basic
// authentication token made of it.
func noSecrets(t *testing.T, what, s string) {
	t.Helper()
	for _, secret := range []string{testPassword, "wrong-pass", base64.StdEncoding.EncodeToString([]byte(testUser + ":" + testPassword))} {
		if strings.Contains(s, secret) {
			t.Errorf("%s holds a credential:\n%s", what, s)
		}
	}
}

func TestBasicAuth(t *testing.T) {
	reg := startRegistry(t, localregistry.Options{Users: map[string]string{testUser: testPassword}})
	ctx := ctxFor(t)
	repo := "oci://" + reg.Host + "/charts"
	chart := packageChart(t, "1.0.0")
	ref := repo + "/web:1.0.0"
	var clients []*testClient
	client := func(opts Options) *testClient {
		opts.PlainHTTP = true
		c := newClient(t, opts)
		clients = append(clients, c)
		return c
	}
	t.Cleanup(func() {
		for _, c := range clients {
			noSecrets(t, "the debug log", c.log.String())
		}
	})

	t.Run("no credentials", func(t *testing.T) {
		_, err := client(Options{}).Push(ctx, chart, repo, PushOptions{})
		wantError(t, err, ErrUnauthorized, ref, "the registry wants credentials (401 Unauthorized", "pass --username and --password, or run 'barge registry login "+reg.Host+"'")
	})
	t.Run("wrong password", func(t *testing.T) {
		_, err := client(Options{Username: testUser, Password: "wrong-pass"}).Push(ctx, chart, repo, PushOptions{})
		wantError(t, err, ErrUnauthorized, ref, "the registry refused the credentials", "check --username/--password, or run 'barge registry login "+reg.Host+"'")
		noSecrets(t, "the error", err.Error())
	})
	t.Run("explicit credentials", func(t *testing.T) {
		c := client(Options{Username: testUser, Password: testPassword})
		if _, err := c.Push(ctx, chart, repo, PushOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Pull(ctx, repo+"/web", PullOptions{Version: "^1"}); err != nil {
			t.Fatal(err)
		}
	})

	creds := filepath.Join(t.TempDir(), "registry", "config.json")
	t.Run("login refused", func(t *testing.T) {
		err := client(Options{CredentialsFile: creds}).Login(ctx, reg.Host, testUser, "wrong-pass")
		wantError(t, err, ErrUnauthorized, reg.Host, "the registry refused the credentials", "check the username and password")
		noSecrets(t, "the error", err.Error())
		if _, err := os.Stat(creds); !os.IsNotExist(err) {
			t.Errorf("refused credentials were stored: %v", err)
		}
	})
	t.Run("login", func(t *testing.T) {
		if err := client(Options{CredentialsFile: creds}).Login(ctx, "oci://"+reg.Host+"/charts", testUser, testPassword); err != nil {
			t.Fatal(err)
		}
		var cfg struct {
			Auths map[string]struct{ Auth string } `json:"auths"`
		}
		b, err := os.ReadFile(creds)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &cfg); err != nil {
			t.Fatal(err)
		}
		if got, want := cfg.Auths[reg.Host].Auth, base64.StdEncoding.EncodeToString([]byte(testUser+":"+testPassword)); got != want {
			t.Errorf("stored auth for %s = %q, want %q (file: %s)", reg.Host, got, want, b)
		}
		if fi, err := os.Stat(creds); err != nil || fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("credentials file mode: %v %v", fi.Mode(), err)
		}
		if _, err := client(Options{CredentialsFile: creds}).Pull(ctx, ref, PullOptions{}); err != nil {
			t.Fatalf("pull with the stored credentials: %v", err)
		}
	})
	t.Run("expired login", func(t *testing.T) {
		stale := filepath.Join(t.TempDir(), "config.json")
		cfg := `{"auths":{"` + reg.Host + `":{"auth":"` + base64.StdEncoding.EncodeToString([]byte(testUser+":wrong-pass")) + `"}}}`
		if err := os.WriteFile(stale, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := client(Options{CredentialsFile: stale}).Pull(ctx, ref, PullOptions{})
		wantError(t, err, ErrUnauthorized, ref, "the registry refused the credentials", "run 'barge registry login "+reg.Host+"'")
	})
	t.Run("docker config fallback", func(t *testing.T) {
		docker := filepath.Join(t.TempDir(), "config.json")
		cfg := `{"auths":{"` + reg.Host + `":{"auth":"` + base64.StdEncoding.EncodeToString([]byte(testUser+":"+testPassword)) + `"}}}`
		if err := os.WriteFile(docker, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		c := client(Options{CredentialsFile: filepath.Join(t.TempDir(), "none.json"), DockerConfig: docker})
		if _, err := c.Pull(ctx, ref, PullOptions{}); err != nil {
			t.Fatalf("pull with Docker's credentials: %v", err)
		}
	})
	t.Run("logout", func(t *testing.T) {
		c := client(Options{CredentialsFile: creds})
		if err := c.Logout(ctx, reg.Host); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(creds)
		if strings.Contains(string(b), reg.Host) {
			t.Errorf("credentials of %s still stored: %s", reg.Host, b)
		}
		err := c.Logout(ctx, reg.Host)
		wantError(t, err, ErrNotLoggedIn, reg.Host, creds)
		_, err = client(Options{CredentialsFile: creds}).Pull(ctx, ref, PullOptions{})
		if !errors.Is(err, ErrUnauthorized) {
			t.Errorf("pull after logout: %v, want ErrUnauthorized", err)
		}
	})
}

func TestTLS(t *testing.T) {
	reg := startRegistry(t, localregistry.Options{TLS: true})
	ctx := ctxFor(t)
	repo := "oci://" + reg.Host + "/charts"
	chart := packageChart(t, "1.0.0")
	ref := repo + "/web:1.0.0"

	t.Run("unknown authority", func(t *testing.T) {
		_, err := newClient(t, Options{}).Push(ctx, chart, repo, PushOptions{})
		wantError(t, err, ErrTLS, ref, "certificate signed by unknown authority", "pass --ca-file", "--insecure-skip-tls-verify")
	})
	t.Run("ca file", func(t *testing.T) {
		c := newClient(t, Options{CAFile: reg.CAFile})
		if _, err := c.Push(ctx, chart, repo, PushOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Pull(ctx, ref, PullOptions{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("insecure", func(t *testing.T) {
		if _, err := newClient(t, Options{InsecureSkipTLSVerify: true}).Pull(ctx, ref, PullOptions{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("login over TLS", func(t *testing.T) {
		creds := filepath.Join(t.TempDir(), "config.json")
		if err := newClient(t, Options{CAFile: reg.CAFile, CredentialsFile: creds}).Login(ctx, reg.Host, testUser, testPassword); err != nil {
			t.Fatal(err) // no authentication on this registry: any credentials pass
		}
	})
	t.Run("bad ca file", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "ca.pem")
		os.WriteFile(bad, []byte("not a certificate"), 0o600)
		_, err := New(Options{CAFile: bad})
		if !errors.Is(err, ErrTLS) || !strings.Contains(err.Error(), "--ca-file "+bad+": no PEM certificate") {
			t.Errorf("New with a bad CA file: %v", err)
		}
	})
	t.Run("cert without key", func(t *testing.T) {
		_, err := New(Options{CertFile: reg.CAFile})
		if !errors.Is(err, ErrTLS) || !strings.Contains(err.Error(), "without --key-file") {
			t.Errorf("New with a certificate and no key: %v", err)
		}
	})
	t.Run("https to a plain registry", func(t *testing.T) {
		plain := startRegistry(t, localregistry.Options{})
		ref := "oci://" + plain.Host + "/charts/web:1.0.0"
		_, err := newClient(t, Options{}).Pull(ctx, ref, PullOptions{})
		wantError(t, err, ErrTLS, ref, "pass --plain-http")
	})
}

func TestCheckRedirect(t *testing.T) {
	tests := []struct {
		from, to string
		keep     bool
	}{
		{"https://r.example.com/v2/x", "https://r.example.com/blobs/x", true},
		{"https://r.example.com/v2/x", "https://storage.example.com/x", false},
		{"https://r.example.com/v2/x", "https://r.example.com:8443/x", false},
		{"https://r.example.com/v2/x", "http://r.example.com/x", false},
		{"http://127.0.0.1:5000/v2/x", "http://127.0.0.1:5001/x", false},
	}
	for _, tt := range tests {
		t.Run(tt.from+" to "+tt.to, func(t *testing.T) {
			first, _ := http.NewRequest(http.MethodGet, tt.from, nil)
			next, _ := http.NewRequest(http.MethodGet, tt.to, nil)
			next.Header.Set("Authorization", "Basic secret")
			if err := checkRedirect(next, []*http.Request{first}); err != nil {
				t.Fatal(err)
			}
			if got := next.Header.Get("Authorization") != ""; got != tt.keep {
				t.Errorf("Authorization kept: %v, want %v", got, tt.keep)
			}
		})
	}
}

// TestExplicitCredentialsStayWithTheirRegistry checks that --username and
// --password go to one registry only: two registries take the same
// credentials, and the second is sent none.
func TestExplicitCredentialsStayWithTheirRegistry(t *testing.T) {
	users := map[string]string{testUser: testPassword}
	a := startRegistry(t, localregistry.Options{Users: users})
	b := startRegistry(t, localregistry.Options{Users: users})
	ctx := ctxFor(t)
	chart := packageChart(t, "1.0.0")
	for _, reg := range []*localregistry.Registry{a, b} {
		c := newClient(t, Options{PlainHTTP: true, Username: testUser, Password: testPassword})
		if _, err := c.Push(ctx, chart, "oci://"+reg.Host+"/charts", PushOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	refA, refB := "oci://"+a.Host+"/charts/web:1.0.0", "oci://"+b.Host+"/charts/web:1.0.0"

	t.Run("first registry", func(t *testing.T) {
		c := newClient(t, Options{PlainHTTP: true, Username: testUser, Password: testPassword})
		if _, err := c.Pull(ctx, refA, PullOptions{}); err != nil {
			t.Fatal(err)
		}
		_, err := c.Pull(ctx, refB, PullOptions{})
		wantError(t, err, ErrUnauthorized, refB, "the registry wants credentials")
	})
	t.Run("credentials host", func(t *testing.T) {
		c := newClient(t, Options{PlainHTTP: true, Username: testUser, Password: testPassword, CredentialsHost: b.Host})
		_, err := c.Pull(ctx, refA, PullOptions{})
		wantError(t, err, ErrUnauthorized, refA, "the registry wants credentials")
		if _, err := c.Pull(ctx, refB, PullOptions{}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestClientCertificate(t *testing.T) {
	reg := startRegistry(t, localregistry.Options{TLS: true, ClientCerts: true})
	ctx := ctxFor(t)
	repo := "oci://" + reg.Host + "/charts"
	chart := packageChart(t, "1.0.0")
	ref := repo + "/web:1.0.0"
	t.Run("without", func(t *testing.T) {
		_, err := newClient(t, Options{CAFile: reg.CAFile}).Push(ctx, chart, repo, PushOptions{})
		t.Log(err)
		wantError(t, err, ErrTLS, ref, "pass --cert-file and --key-file")
	})
	t.Run("with", func(t *testing.T) {
		c := newClient(t, Options{CAFile: reg.CAFile, CertFile: reg.ClientCertFile, KeyFile: reg.ClientKeyFile})
		if _, err := c.Push(ctx, chart, repo, PushOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Pull(ctx, ref, PullOptions{}); err != nil {
			t.Fatal(err)
		}
	})
}
