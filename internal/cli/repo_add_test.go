package cli

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRepoAdd adds a repository served on loopback (indexed by `barge repo
// index`) and checks Helm's messages for a new, an identical and a
// conflicting repository, --force-update and the name check.
func TestRepoAdd(t *testing.T) {
	t.Parallel()
	e := newRepoEnv(t)
	charts := e.indexedCharts("")
	srv := newRepoServer(t, charts, "", "")
	other := newRepoServer(t, charts, "", "")

	if out := e.mustBarge("repo", "add", "charts", srv.URL); out != "\"charts\" has been added to your repositories\n" {
		t.Errorf("repo add: %q", out)
	}
	for _, f := range []string{"charts-index.yaml", "charts-charts.txt"} {
		if _, err := os.Stat(filepath.Join(e.cacheDir(), f)); err != nil {
			t.Errorf("cache file %s not written: %v", f, err)
		}
	}
	saved := e.config()
	if !strings.Contains(saved, "url: "+srv.URL) {
		t.Errorf("repositories.yaml:\n%s", saved)
	}

	if out := e.mustBarge("repo", "add", "charts", srv.URL); out != "\"charts\" already exists with the same configuration, skipping\n" {
		t.Errorf("identical repo add: %q", out)
	}
	out, _, err := e.barge("repo", "add", "charts", other.URL)
	if want := "repository name (charts) already exists, please specify a different name, or replace it with --force-update"; err == nil || err.Error() != want || exitCode(err) != 1 || out != "" {
		t.Errorf("conflicting repo add: %v (stdout %q); want %q, exit 1", err, out, want)
	}
	if e.config() != saved {
		t.Errorf("repositories.yaml changed by a refused add:\n%s", e.config())
	}
	if out := e.mustBarge("repo", "add", "charts", other.URL, "--force-update"); out != "\"charts\" has been added to your repositories\n" {
		t.Errorf("repo add --force-update: %q", out)
	}
	if c := e.config(); !strings.Contains(c, "url: "+other.URL) || strings.Contains(c, srv.URL) {
		t.Errorf("repositories.yaml after --force-update:\n%s", c)
	}
	// --no-update is accepted and ignored, as in Helm 3.
	e.mustBarge("repo", "add", "charts", other.URL, "--no-update")

	_, _, err = e.barge("repo", "add", "a/b", srv.URL)
	if want := "repository name (a/b) contains '/', please specify a different name without '/'"; err == nil || err.Error() != want {
		t.Errorf("name with /: %v, want %q", err, want)
	}
	_, _, err = e.barge("repo", "add", "old", "https://kubernetes-charts.storage.googleapis.com")
	if err == nil || !strings.Contains(err.Error(), `try "https://charts.helm.sh/stable" instead`) {
		t.Errorf("deleted repository: %v", err)
	}
}

// TestRepoAddErrors checks that a repository that cannot be used is not
// added: the error is one line naming the repository, the URL and what to
// do, the exit code is 1, and repositories.yaml and the cache are untouched.
func TestRepoAddErrors(t *testing.T) {
	t.Parallel()
	e := newRepoEnv(t)
	charts := e.indexedCharts("")
	plain := newRepoServer(t, charts, "", "")
	auth := newRepoServer(t, charts, "alice", "s3cret-pw")
	pki := newTestPKI(t)
	tlsSrv := newTLSRepoServer(t, charts, pki, false)
	mtls := newTLSRepoServer(t, charts, pki, true)
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	notIndex := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("<html><body>not a repository</body></html>\n"))
	}))
	t.Cleanup(notIndex.Close)

	// One repository is configured already: a failed add must keep it.
	e.mustBarge("repo", "add", "kept", plain.URL)
	before := e.config()

	tests := []struct {
		name string
		url  string
		args []string
		want []string // parts of the one-line error, in order
	}{
		{"unreachable", closedURL, nil,
			[]string{`repository "bad": GET ` + closedURL + `/index.yaml: `, "connection refused", "; cannot connect: check the URL, that the server is up"}},
		{"404", plain.URL + "/nope", nil,
			[]string{`repository "bad": GET ` + plain.URL + `/nope/index.yaml: 404 Not Found; is ` + plain.URL + `/nope a chart repository?`}},
		{"401 without credentials", auth.URL, nil,
			[]string{`repository "bad": GET ` + auth.URL + `/index.yaml: 401 Unauthorized; the repository needs credentials: pass --username and --password`}},
		{"401 wrong password", auth.URL, []string{"--username", "alice", "--password", "wrong-pw"},
			[]string{`repository "bad": GET ` + auth.URL + `/index.yaml: 401 Unauthorized; check --username/--password`}},
		{"TLS unknown CA", tlsSrv.URL, nil,
			[]string{`repository "bad": GET ` + tlsSrv.URL + `/index.yaml: `, "certificate signed by unknown authority", "pass --ca-file"}},
		{"TLS no client certificate", mtls.URL, []string{"--ca-file", pki.caFile},
			[]string{`repository "bad": GET ` + mtls.URL + `/index.yaml: `, "client certificate", "--cert-file and --key-file"}},
		{"not an index", notIndex.URL, nil,
			[]string{`repository "bad" (` + notIndex.URL + `/index.yaml)`, "not a valid index.yaml"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, err := e.barge(append([]string{"repo", "add", "bad", tc.url}, tc.args...)...)
			if err == nil {
				t.Fatalf("repo add succeeded: %s", out)
			}
			msg := err.Error()
			t.Log(msg)
			if strings.Contains(msg, "\n") || exitCode(err) != 1 {
				t.Errorf("error is not one line with exit 1 (exit %d): %q", exitCode(err), msg)
			}
			rest := msg
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("error %q\nlacks %q", msg, w)
				}
				rest = rest[i+len(w):]
			}
			if strings.Contains(out+errOut+msg, "wrong-pw") {
				t.Errorf("the password is printed: %q %q %q", out, errOut, msg)
			}
			if e.config() != before {
				t.Errorf("repositories.yaml changed:\n%s", e.config())
			}
			if _, err := os.Stat(filepath.Join(e.cacheDir(), "bad-index.yaml")); err == nil {
				t.Error("the cache holds an index for the repository not added")
			}
		})
	}
}

// TestRepoAddCredentials adds a repository behind basic authentication with
// --password and with --password-stdin, and checks that the password is
// never printed, nor logged with --debug.
func TestRepoAddCredentials(t *testing.T) {
	t.Parallel()
	e := newRepoEnv(t)
	charts := e.indexedCharts("")
	const pw = "s3cret-pw"
	srv := newRepoServer(t, charts, "alice", pw)

	out, errOut, err := e.barge("repo", "add", "private", srv.URL, "--username", "alice", "--password", pw, "--debug")
	if err != nil {
		t.Fatalf("repo add: %v\n%s", err, errOut)
	}
	if !strings.Contains(errOut, "credentials=true") {
		t.Errorf("--debug does not log the request with credentials:\n%s", errOut)
	}
	if strings.Contains(out+errOut, pw) {
		t.Errorf("the password is printed:\n%s%s", out, errOut)
	}
	if !strings.Contains(e.config(), "password: "+pw) {
		t.Errorf("the password is not saved in repositories.yaml (Helm's format):\n%s", e.config())
	}

	out, errOut, err = e.bargeIn(pw+"\n", "repo", "add", "stdin", srv.URL, "--username", "alice", "--password-stdin")
	if err != nil || out != "\"stdin\" has been added to your repositories\n" {
		t.Fatalf("repo add --password-stdin: %v\n%s%s", err, out, errOut)
	}
	if strings.Count(e.config(), "password: "+pw+"\n") != 2 {
		t.Errorf("--password-stdin: the password read is not saved as given (newline trimmed):\n%s", e.config())
	}

	_, _, err = e.barge("repo", "add", "noterm", srv.URL, "--username", "alice")
	if err == nil || !strings.Contains(err.Error(), "--password-stdin") {
		t.Errorf("--username without a password nor a terminal: %v", err)
	}

	out, errOut, err = e.barge("repo", "update", "--debug")
	if err != nil || strings.Contains(out+errOut, pw) {
		t.Errorf("repo update --debug: %v, or the password is printed:\n%s%s", err, out, errOut)
	}
	if out := e.mustBarge("repo", "list"); strings.Contains(out, pw) || strings.Contains(out, "alice") {
		t.Errorf("repo list shows credentials:\n%s", out)
	}
}

// TestRepoAddTLS adds repositories served over HTTPS with a CA made by the
// test (--ca-file), one of them asking for a client certificate
// (--cert-file, --key-file), and uses them: update, search and pull read the
// TLS settings saved with the repository.
func TestRepoAddTLS(t *testing.T) {
	t.Parallel()
	e := newRepoEnv(t)
	charts := e.indexedCharts("")
	pki := newTestPKI(t)
	srv := newTLSRepoServer(t, charts, pki, false)
	mtls := newTLSRepoServer(t, charts, pki, true)

	e.mustBarge("repo", "add", "tls", srv.URL, "--ca-file", pki.caFile)
	e.mustBarge("repo", "add", "mtls", mtls.URL, "--ca-file", pki.caFile, "--cert-file", pki.certFile, "--key-file", pki.keyFile)
	if c := e.config(); !strings.Contains(c, "caFile: "+pki.caFile) || !strings.Contains(c, "certFile: "+pki.certFile) {
		t.Errorf("repositories.yaml lacks the TLS files:\n%s", c)
	}
	e.mustBarge("repo", "update")
	if out := e.mustBarge("search", "repo", "mtls/db"); !tableHasRow(out, "mtls/db", "1.0.0") {
		t.Errorf("search repo mtls/db:\n%s", out)
	}
	dest := t.TempDir()
	e.mustBarge("pull", "mtls/web", "-d", dest)
	e.mustBarge("pull", "tls/db", "-d", dest, "--version", "0.9.0")
	if got := strings.Join(listFiles(t, dest), " "); got != "db-0.9.0.tgz web-1.2.0.tgz" {
		t.Errorf("pulled over TLS: %s", got)
	}
	// A relative --ca-file is kept absolute, so the repository works from
	// any directory.
	rel, err := filepath.Rel(mustGetwd(t), pki.caFile)
	if err != nil {
		t.Fatal(err)
	}
	e.mustBarge("repo", "add", "rel", srv.URL, "--ca-file", rel)
	if !strings.Contains(e.config(), "caFile: "+pki.caFile+"\n  certFile: \"\"\n  insecure_skip_tls_verify: false\n  keyFile: \"\"\n  name: rel") {
		t.Errorf("relative --ca-file not saved absolute:\n%s", e.config())
	}
	// --insecure-skip-tls-verify trusts any server certificate.
	e.mustBarge("repo", "add", "insecure", srv.URL, "--insecure-skip-tls-verify")
}

func mustGetwd(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}
