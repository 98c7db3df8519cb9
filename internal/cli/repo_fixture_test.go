package cli

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bargehq/barge/internal/helmbin"
	"github.com/bargehq/barge/pkg/chart/archive"
)

// repoEnv is the environment of a repository test: Helm's repository file
// and cache (and Helm's homes, so that the reference helm binaries touch
// nothing of the user's) in a temporary directory, shared by barge (in
// process) and helm (as a subprocess).
type repoEnv struct {
	t   *testing.T
	dir string
	env []string
}

func newRepoEnv(t *testing.T) *repoEnv {
	t.Helper()
	dir := t.TempDir()
	return &repoEnv{t: t, dir: dir, env: []string{
		"HOME=" + dir,
		"HELM_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"HELM_CACHE_HOME=" + filepath.Join(dir, "cache"),
		"HELM_DATA_HOME=" + filepath.Join(dir, "data"),
		"HELM_REPOSITORY_CONFIG=" + filepath.Join(dir, "config", "repositories.yaml"),
		"HELM_REPOSITORY_CACHE=" + filepath.Join(dir, "cache", "repository"),
	}}
}

// configFile and cacheDir are where barge and helm keep the repositories.
func (e *repoEnv) configFile() string { return filepath.Join(e.dir, "config", "repositories.yaml") }
func (e *repoEnv) cacheDir() string   { return filepath.Join(e.dir, "cache", "repository") }

// config returns the content of repositories.yaml, "" if there is none.
func (e *repoEnv) config() string {
	b, err := os.ReadFile(e.configFile())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		e.t.Fatal(err)
	}
	return string(b)
}

// barge runs barge in process and returns its stdout, stderr and error.
func (e *repoEnv) barge(args ...string) (string, string, error) {
	return e.bargeIn("", args...)
}

// bargeIn runs barge in process with stdin as its standard input.
func (e *repoEnv) bargeIn(stdin string, args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	root := NewRootCmd(strings.NewReader(stdin), &out, &errOut, e.env)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// mustBarge runs barge and fails the test unless it succeeds.
func (e *repoEnv) mustBarge(args ...string) string {
	e.t.Helper()
	out, errOut, err := e.barge(args...)
	if err != nil {
		e.t.Fatalf("barge %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// helm runs the reference helm binary of version (v3.22.0, v4.3.1) in the
// test's environment and returns its stdout, stderr and exit code.
func (e *repoEnv) helm(version string, args ...string) (string, string, int) {
	e.t.Helper()
	bin := helmBinary(e.t, version)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, e.env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return out.String(), errOut.String(), exit.ExitCode()
	case err != nil:
		e.t.Fatalf("helm-%s %s: %v", version, strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), 0
}

// mustHelm runs helm and fails the test unless it succeeds.
func (e *repoEnv) mustHelm(version string, args ...string) string {
	e.t.Helper()
	out, errOut, code := e.helm(version, args...)
	if code != 0 {
		e.t.Fatalf("helm-%s %s: exit %d\n%s%s", version, strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// helmBinary returns the path of the reference helm binary of version,
// failing the test when it is not built (with -short too).
func helmBinary(t *testing.T, version string) string {
	t.Helper()
	bin, err := helmbin.Path("helm-" + version)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// exitCode is the exit code barge's main gives err.
func exitCode(err error) int {
	var exit *ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.Code
	}
	return 1
}

// repoChartSet writes the chart archives the repository tests serve into
// dir: web (made by `helm create`) 0.1.0 packaged by `helm package`, and
// 1.0.0, 1.2.0 and 2.0.0-rc.1 packaged by barge's archive.Package; db
// 0.9.0, 1.0.0 and 1.1.0-beta.1, whose description is long (the table cuts
// it) and partly Japanese (wide characters); and cache 3.0.0, found by its
// keywords, whose description is partly Japanese too.
func repoChartSet(t *testing.T, dir string) {
	t.Helper()
	src := t.TempDir()
	e := &repoEnv{t: t, env: []string{"HOME=" + src, "HELM_CONFIG_HOME=" + src, "HELM_CACHE_HOME=" + src, "HELM_DATA_HOME=" + src}}
	web := filepath.Join(src, "web")
	e.mustHelm("v3.22.0", "create", web)
	e.mustHelm("v3.22.0", "package", web, "-d", dir, "--version", "0.1.0")
	for _, v := range []archive.PackageOptions{{Version: "1.0.0"}, {Version: "1.2.0", AppVersion: "2.0"}, {Version: "2.0.0-rc.1", AppVersion: "3.0-beta"}} {
		if _, err := archive.Package(web, dir, v); err != nil {
			t.Fatal(err)
		}
	}
	writeChart(t, filepath.Join(src, "db"), "db", "0.9.0", "A relational database for the web, with replication, backups and metrics: データベース",
		"keywords: [sql, storage]\n")
	for _, v := range []archive.PackageOptions{{Version: "0.9.0"}, {Version: "1.0.0", AppVersion: "16.1"}, {Version: "1.1.0-beta.1", AppVersion: "17.0"}} {
		if _, err := archive.Package(filepath.Join(src, "db"), dir, v); err != nil {
			t.Fatal(err)
		}
	}
	writeChart(t, filepath.Join(src, "cache"), "cache", "3.0.0", "In-memory store — キャッシュ", "keywords: [redis, web]\n")
	if _, err := archive.Package(filepath.Join(src, "cache"), dir, archive.PackageOptions{}); err != nil {
		t.Fatal(err)
	}
}

// indexedCharts writes repoChartSet's charts into a new directory and
// indexes them with `repo index`, run by barge, or by the reference helm of
// helmVersion when it is not "". It returns the directory, ready to serve.
func (e *repoEnv) indexedCharts(helmVersion string) string {
	e.t.Helper()
	dir := e.t.TempDir()
	repoChartSet(e.t, dir)
	if helmVersion == "" {
		e.mustBarge("repo", "index", dir)
	} else {
		e.mustHelm(helmVersion, "repo", "index", dir)
	}
	return dir
}

// writeChart writes a small chart directory.
func writeChart(t *testing.T, dir, name, version, description, extra string) {
	t.Helper()
	files := map[string]string{
		"Chart.yaml":          "apiVersion: v2\nname: " + name + "\nversion: " + version + "\nappVersion: \"1.0\"\ndescription: \"" + description + "\"\n" + extra,
		"values.yaml":         "replicas: 1\n",
		"templates/cm.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n",
		"templates/NOTES.txt": "Installed {{ .Chart.Name }}.\n",
	}
	for p, c := range files {
		p = filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// repoServer serves a directory as a chart repository on loopback,
// optionally behind basic authentication, and records which requests
// carried credentials.
type repoServer struct {
	*httptest.Server
	dir        string
	user, pass string

	mu       sync.Mutex
	auth     map[string]bool   // path -> whether the last request had credentials
	redirect map[string]string // path -> where it redirects
}

func newRepoHandler(dir, user, pass string) *repoServer {
	return &repoServer{dir: dir, user: user, pass: pass, auth: map[string]bool{}, redirect: map[string]string{}}
}

// newRepoServer serves dir over plain HTTP.
func newRepoServer(t *testing.T, dir, user, pass string) *repoServer {
	s := newRepoHandler(dir, user, pass)
	s.Server = httptest.NewServer(s)
	t.Cleanup(s.Close)
	return s
}

func (s *repoServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u, p, ok := r.BasicAuth()
	s.mu.Lock()
	s.auth[r.URL.Path] = ok
	to := s.redirect[r.URL.Path]
	s.mu.Unlock()
	if s.user != "" && (!ok || u != s.user || p != s.pass) {
		w.Header().Set("WWW-Authenticate", `Basic realm="charts"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if to != "" {
		http.Redirect(w, r, to, http.StatusFound)
		return
	}
	http.FileServer(http.Dir(s.dir)).ServeHTTP(w, r)
}

// sawAuth reports whether the last request for path carried credentials.
func (s *repoServer) sawAuth(path string) (auth, requested bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	auth, requested = s.auth[path]
	return auth, requested
}

// setRedirect makes path redirect to the URL to.
func (s *repoServer) setRedirect(path, to string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.redirect[path] = to
}

// testPKI is a CA made for a test, a server certificate for 127.0.0.1 it
// signed, and a client certificate it signed, written as PEM files.
type testPKI struct {
	caFile, certFile, keyFile string
	pool                      *x509.CertPool
	server                    tls.Certificate
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	dir := t.TempDir()
	caKey := newKey(t)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "barge test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	p := &testPKI{pool: x509.NewCertPool(), caFile: filepath.Join(dir, "ca.pem"), certFile: filepath.Join(dir, "client.pem"), keyFile: filepath.Join(dir, "client-key.pem")}
	p.pool.AddCert(ca)
	writePEM(t, p.caFile, "CERTIFICATE", caDER)

	issue := func(serial int64, usage x509.ExtKeyUsage, ips []net.IP) ([]byte, *ecdsa.PrivateKey) {
		key := newKey(t)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "barge test"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: ips,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, key
	}
	serverDER, serverKey := issue(2, x509.ExtKeyUsageServerAuth, []net.IP{net.ParseIP("127.0.0.1")})
	p.server = tls.Certificate{Certificate: [][]byte{serverDER}, PrivateKey: serverKey}
	clientDER, clientKey := issue(3, x509.ExtKeyUsageClientAuth, nil)
	writePEM(t, p.certFile, "CERTIFICATE", clientDER)
	keyDER, err := x509.MarshalECPrivateKey(clientKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, p.keyFile, "EC PRIVATE KEY", keyDER)
	return p
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// newTLSRepoServer serves dir over HTTPS with the PKI's server certificate,
// asking for a client certificate signed by its CA when clientCert.
func newTLSRepoServer(t *testing.T, dir string, pki *testPKI, clientCert bool) *repoServer {
	s := newRepoHandler(dir, "", "")
	s.Server = httptest.NewUnstartedServer(s)
	s.TLS = &tls.Config{Certificates: []tls.Certificate{pki.server}, MinVersion: tls.VersionTLS12}
	if clientCert {
		s.TLS.ClientAuth = tls.RequireAndVerifyClientCert
		s.TLS.ClientCAs = pki.pool
	}
	// The handshake failures the tests provoke are expected: keep them off
	// the test's output.
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// tgzEntry is an entry of a hand-made archive.
type tgzEntry struct {
	name     string
	body     string
	typ      byte
	linkname string
	size     int64 // for a body of zeros of this size, when body is ""
}

// writeTgz writes a gzipped tar of entries to path, as a malicious
// repository could serve it.
func writeTgz(t *testing.T, path string, entries []tgzEntry) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Typeflag: e.typ, Linkname: e.linkname, ModTime: time.Unix(1700000000, 0)}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.body))
			if e.body == "" {
				h.Size = e.size
			}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if e.body != "" {
			_, err = tw.Write([]byte(e.body))
		} else {
			_, err = tw.Write(make([]byte, e.size))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

// listFiles returns the files and directories under dir, relative to it.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// tableHasRow reports whether the table out has a row whose first cells,
// trimmed of their padding, are cells.
func tableHasRow(out string, cells ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		got := strings.Split(line, "\t")
		if len(got) < len(cells) {
			continue
		}
		match := true
		for i, c := range cells {
			if strings.TrimRight(got[i], " ") != c {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// refuse runs barge with args, which must fail with exit 1 and a one-line
// error holding each of wants, printing nothing on stdout (but dependency
// update's progress, printed before it fails); it returns the error.
func (e *repoEnv) refuse(what string, wants []string, args ...string) error {
	e.t.Helper()
	out, _, err := e.barge(args...)
	if err == nil {
		e.t.Errorf("%s: accepted:\n%s", what, out)
		return nil
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			e.t.Errorf("%s: error %q lacks %q", what, err, w)
		}
	}
	if exitCode(err) != 1 || strings.Contains(err.Error(), "\n") || (out != "" && args[0] != "dependency") {
		e.t.Errorf("%s: exit %d, stdout %q, error %q: want exit 1, one line, nothing on stdout", what, exitCode(err), out, err)
	}
	return err
}
