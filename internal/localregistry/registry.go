package localregistry

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/bargehq/barge/internal/localcluster"
)

// Options configure a registry. The zero value is a plain-HTTP registry
// without authentication, from the binary `make tools` built.
type Options struct {
	// BinDir holds the registry binary built by hack/tools/build.sh, named
	// registry-VERSION. Empty means $BARGE_TOOLS_BIN, else .cache/bin at the
	// repository's root.
	BinDir string
	// Version is the registry's version; empty means REGISTRY_VERSION in
	// hack/tools/versions.env.
	Version string
	// Dir is where the registry keeps its configuration, log and storage.
	// Empty means a new temporary directory, removed by Stop.
	Dir string
	// Users turns on htpasswd basic authentication with these users, name
	// to password. The passwords are hashed with bcrypt at its lowest cost:
	// the registry checks the hash on every request, and these are test
	// credentials.
	Users map[string]string
	// TLS serves HTTPS with a server certificate for 127.0.0.1 and
	// localhost, signed by a certificate authority made for this registry
	// (Registry.CAFile).
	TLS bool
	// ClientCerts, with TLS, makes the registry require a client
	// certificate signed by its certificate authority; one is made for the
	// run (Registry.ClientCertFile and ClientKeyFile).
	ClientCerts bool
}

// Registry is a running registry. Its fields must not be changed; Stop may
// be called from any goroutine, more than once.
type Registry struct {
	// Host is the registry's address, "127.0.0.1:PORT", as OCI references
	// name it: oci://HOST/repo/chart.
	Host string
	// URL is the registry's base URL: http://HOST, or https://HOST with TLS.
	URL string
	// CAFile is the path of the PEM certificate of the authority that signs
	// the registry's certificate, for clients' --ca-file; empty without TLS.
	CAFile string
	// ClientCertFile and ClientKeyFile are a client certificate the
	// registry accepts, and its key, with Options.ClientCerts; else empty.
	ClientCertFile, ClientKeyFile string
	// StorageDir is the root of the registry's filesystem storage: blobs are
	// under docker/registry/v2/blobs/sha256/XX/DIGEST/data.
	StorageDir string
	// Dir is the registry's directory (configuration, log, storage).
	Dir string
	// LogFile is the path of the registry's log.
	LogFile string

	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
	tempDir bool
}

// Start starts a registry on a free loopback port and returns once it
// answers GET /v2/ (200, or 401 with authentication). On failure everything
// started is stopped and the error carries the end of the registry's log.
// ctx bounds the start only: the registry runs until Stop.
func Start(ctx context.Context, opts Options) (r *Registry, err error) {
	bin, err := opts.binary()
	if err != nil {
		return nil, err
	}
	r = &Registry{Dir: opts.Dir, done: make(chan struct{})}
	if r.Dir == "" {
		if r.Dir, err = os.MkdirTemp("", "barge-registry-"); err != nil {
			return nil, err
		}
		r.tempDir = true
	} else if err := os.MkdirAll(r.Dir, 0o755); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			r.Stop()
			r = nil
		}
	}()
	r.StorageDir = filepath.Join(r.Dir, "storage")
	r.LogFile = filepath.Join(r.Dir, "registry.log")
	if err := os.MkdirAll(r.StorageDir, 0o755); err != nil {
		return r, err
	}
	var certFile, keyFile, htpasswd string
	if opts.ClientCerts && !opts.TLS {
		return r, fmt.Errorf("localregistry: ClientCerts needs TLS")
	}
	if opts.TLS {
		if r.CAFile, certFile, keyFile, err = writeCerts(r.Dir, opts.ClientCerts); err != nil {
			return r, err
		}
		if opts.ClientCerts {
			r.ClientCertFile, r.ClientKeyFile = filepath.Join(r.Dir, "client.crt"), filepath.Join(r.Dir, "client.key")
		}
	}
	if len(opts.Users) > 0 {
		htpasswd = filepath.Join(r.Dir, "htpasswd")
		if err := writeHtpasswd(htpasswd, opts.Users); err != nil {
			return r, err
		}
	}
	// The port is free when chosen but may be taken before the registry
	// binds it: try again with another.
	for attempt := 1; ; attempt++ {
		err = r.launch(ctx, bin, opts.TLS, certFile, keyFile, htpasswd)
		if err == nil || attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			return r, err
		}
		r.done = make(chan struct{})
	}
}

// launch starts the registry process on a free port and waits until it
// answers.
func (r *Registry) launch(ctx context.Context, bin string, useTLS bool, certFile, keyFile, htpasswd string) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	r.Host = fmt.Sprintf("127.0.0.1:%d", port)
	r.URL = "http://" + r.Host
	if useTLS {
		r.URL = "https://" + r.Host
	}
	config := filepath.Join(r.Dir, "config.yml")
	if err := writeConfig(config, r.Host, r.StorageDir, certFile, keyFile, r.ClientCertFile != "", htpasswd); err != nil {
		return err
	}
	logf, err := os.Create(r.LogFile)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, "serve", config)
	cmd.Dir = r.Dir
	cmd.Stdout, cmd.Stderr = logf, logf
	// No OpenTelemetry exporter: the registry would try to reach a collector.
	cmd.Env = append(os.Environ(), "OTEL_TRACES_EXPORTER=none", "OTEL_METRICS_EXPORTER=none", "OTEL_LOGS_EXPORTER=none", "OTEL_SDK_DISABLED=true")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start the registry %s: %w", bin, err)
	}
	r.cmd = cmd
	done := r.done
	go func() {
		r.waitErr = cmd.Wait()
		logf.Close()
		close(done)
	}()
	return r.waitReady(ctx, 30*time.Second)
}

// binary returns the path of the registry binary opts name.
func (o Options) binary() (string, error) {
	dir, version := o.BinDir, o.Version
	var err error
	if dir == "" {
		if dir, err = localcluster.ToolsDir(); err != nil {
			return "", fmt.Errorf("registry binary: %w", err)
		}
	}
	if version == "" {
		if version, err = localcluster.ToolVersion("REGISTRY_VERSION"); err != nil {
			return "", fmt.Errorf("registry binary: %w", err)
		}
	}
	p := filepath.Join(dir, "registry-"+version)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("registry %s not found at %s: build it with `make tools` (hack/tools/build.sh registry)", version, p)
	}
	return p, nil
}

// Stop stops the registry (SIGTERM, then SIGKILL after 5 s) and removes its
// directory if Start made it.
func (r *Registry) Stop() {
	if r == nil {
		return
	}
	if r.cmd != nil && r.cmd.Process != nil {
		select {
		case <-r.done:
		default:
			_ = r.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-r.done:
			case <-time.After(5 * time.Second):
				_ = r.cmd.Process.Kill()
				<-r.done
			}
		}
	}
	if r.tempDir {
		os.RemoveAll(r.Dir)
	}
}

// waitReady polls GET /v2/ until the registry answers, it exits, or timeout
// passes.
func (r *Registry) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	if r.CAFile != "" {
		pem, err := os.ReadFile(r.CAFile)
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
		if r.ClientCertFile != "" {
			cert, err := tls.LoadX509KeyPair(r.ClientCertFile, r.ClientKeyFile)
			if err != nil {
				return err
			}
			tr.TLSClientConfig.Certificates = []tls.Certificate{cert}
		}
	}
	client := &http.Client{Transport: tr, Timeout: 2 * time.Second}
	var last error
	for {
		last = r.ping(ctx, client)
		if last == nil {
			return nil
		}
		select {
		case <-r.done:
			return r.failure(fmt.Errorf("exited (%v) before answering: %w", r.waitErr, last))
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return r.failure(fmt.Errorf("no answer after %s: %w", timeout, last))
			}
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (r *Registry) ping(ctx context.Context, client *http.Client) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL+"/v2/", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusUnauthorized {
		return fmt.Errorf("GET /v2/: %s", resp.Status)
	}
	return nil
}

// failure describes a registry that did not start, with the end of its log.
func (r *Registry) failure(err error) error {
	b, _ := os.ReadFile(r.LogFile)
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return fmt.Errorf("registry on %s: %w\n--- last lines of %s ---\n%s", r.Host, err, r.LogFile, bytes.Join(lines, []byte("\n")))
}

// writeConfig writes the registry's configuration: filesystem storage under
// storage, listening on addr, with TLS when certFile is set (requiring
// client certificates signed by the CA beside it with clientCerts) and
// htpasswd authentication when htpasswd is set.
func writeConfig(path, addr, storage, certFile, keyFile string, clientCerts bool, htpasswd string) error {
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "version: 0.1\n")
	fmt.Fprintf(&b, "log:\n  level: warn\n  accesslog:\n    disabled: true\n")
	fmt.Fprintf(&b, "storage:\n  filesystem:\n    rootdirectory: %q\n  delete:\n    enabled: true\n", storage)
	fmt.Fprintf(&b, "http:\n  addr: %q\n  secret: %q\n", addr, hex.EncodeToString(secret))
	if certFile != "" {
		fmt.Fprintf(&b, "  tls:\n    certificate: %q\n    key: %q\n", certFile, keyFile)
		if clientCerts {
			fmt.Fprintf(&b, "    clientcas:\n      - %q\n", filepath.Join(filepath.Dir(certFile), "ca.crt"))
		}
	}
	if htpasswd != "" {
		fmt.Fprintf(&b, "auth:\n  htpasswd:\n    realm: barge-localregistry\n    path: %q\n", htpasswd)
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// writeHtpasswd writes users to path in htpasswd's bcrypt format.
func writeHtpasswd(path string, users map[string]string) error {
	names := make([]string, 0, len(users))
	for name := range users {
		if name == "" || strings.ContainsAny(name, ":\n") {
			return fmt.Errorf("htpasswd: user name %q: must be non-empty, without ':' or a newline", name)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		hash, err := bcrypt.GenerateFromPassword([]byte(users[name]), bcrypt.MinCost)
		if err != nil {
			return fmt.Errorf("htpasswd: user %s: %w", name, err)
		}
		fmt.Fprintf(&b, "%s:%s\n", name, hash)
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// freePort returns a free TCP port on loopback.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
