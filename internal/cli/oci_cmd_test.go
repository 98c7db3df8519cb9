package cli

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bargehq/barge/internal/localregistry"
)

// startRegistry starts the real registry on loopback, with users if not
// nil, and stops it when the test ends.
func startRegistry(t *testing.T, users map[string]string) *localregistry.Registry {
	t.Helper()
	r, err := localregistry.Start(context.Background(), localregistry.Options{Users: users})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	return r
}

// TestOCICommands runs the OCI commands against the real registry with
// basic authentication, with Helm 3.22 and 4.3 on the other side: barge
// logs in, pushes (a signed chart: its provenance goes along), and Helm
// pulls; Helm pushes and barge pulls, templates by version range and
// verifies; errors are one line naming the reference.
func TestOCICommands(t *testing.T) {
	t.Parallel()
	reg := startRegistry(t, map[string]string{"alice": "s3cret-pw"})
	e := newRepoEnv(t)
	host := reg.Host
	keys := newSigningKeys(t, filepath.Join(e.dir, "keys"), "Jane Doe", "jane@example.com", "")
	tgz := signedChart(t, e, keys)

	// Not logged in: refused, naming the reference and the fix.
	_, _, err := e.barge("push", tgz, "oci://"+host+"/charts", "--plain-http")
	if err == nil || !strings.Contains(err.Error(), host+"/charts/demo") || !strings.Contains(err.Error(), "registry login") || exitCode(err) != 1 {
		t.Errorf("push without login: %v", err)
	}
	_, _, err = e.barge("registry", "login", host, "-u", "alice", "-p", "wrong-pw", "--plain-http")
	if err == nil || strings.Contains(err.Error(), "wrong-pw") {
		t.Errorf("login with a wrong password: %v", err)
	}
	if out, _, err := e.bargeIn("s3cret-pw\n", "registry", "login", host, "-u", "alice", "--password-stdin", "--plain-http"); err != nil || out != "Login Succeeded\n" {
		t.Fatalf("registry login: %q, %v", out, err)
	}

	out := e.mustBarge("push", tgz, "oci://"+host+"/charts", "--plain-http")
	if !regexp.MustCompile(`^Pushed: ` + regexp.QuoteMeta(host) + `/charts/demo:0\.1\.0\nDigest: sha256:[0-9a-f]{64}\n$`).MatchString(out) {
		t.Errorf("push printed %q", out)
	}
	digest := strings.TrimSpace(strings.SplitN(out, "Digest: ", 2)[1])
	for _, v := range []string{"v3.22.0", "v4.3.1"} {
		dest := t.TempDir()
		e.mustHelm(v, "pull", "oci://"+host+"/charts/demo", "--version", "0.1.0", "--plain-http", "-d", dest, "--verify", "--keyring", keys.pubring)
		if _, err := os.Stat(filepath.Join(dest, "demo-0.1.0.tgz")); err != nil {
			t.Errorf("helm %s pull of barge's push: %v", v, err)
		}
	}

	// Helm pushes 0.2.0; barge pulls it as the newest, by range.
	src := filepath.Join(t.TempDir(), "demo")
	writeChart(t, src, "demo", "0.2.0", "pushed by helm", "")
	helmDir := t.TempDir()
	e.mustHelm("v3.22.0", "package", src, "-d", helmDir)
	e.mustHelm("v3.22.0", "push", filepath.Join(helmDir, "demo-0.2.0.tgz"), "oci://"+host+"/charts", "--plain-http")

	dest := t.TempDir()
	out = e.mustBarge("pull", "oci://"+host+"/charts/demo", "--version", "^0.1", "--plain-http", "-d", dest, "--verify", "--keyring", keys.pubring)
	if !strings.HasPrefix(out, "Pulled: "+host+"/charts/demo:0.1.0\nDigest: "+digest+"\nSigned by: Jane Doe <jane@example.com>\n") {
		t.Errorf("pull --verify printed %q", out)
	}
	for _, f := range []string{"demo-0.1.0.tgz", "demo-0.1.0.tgz.prov"} {
		if _, err := os.Stat(filepath.Join(dest, f)); err != nil {
			t.Errorf("pull --verify: %v", err)
		}
	}
	if out := e.mustBarge("template", "x", "oci://"+host+"/charts/demo", "--plain-http"); !strings.Contains(out, "kind: ConfigMap") {
		t.Errorf("template of the newest version:\n%s", out)
	}
	out = e.mustBarge("show", "chart", "oci://"+host+"/charts/demo", "--plain-http")
	if !strings.Contains(out, "version: 0.2.0") || !strings.Contains(out, "description: pushed by helm") {
		t.Errorf("show chart of the newest version, Helm's push:\n%s", out)
	}
	if out := e.mustBarge("template", "x", "oci://"+host+"/charts/demo@"+digest, "--plain-http"); !strings.Contains(out, "kind: ConfigMap") {
		t.Errorf("template by digest:\n%s", out)
	}

	if out := e.mustBarge("show", "versions", "oci://"+host+"/charts/demo", "--plain-http"); out != "0.2.0\n0.1.0\n" {
		t.Errorf("show versions: %q", out)
	}
	if out := e.mustBarge("show", "versions", "oci://"+host+"/charts/demo", "--plain-http", "-o", "json"); out != `["0.2.0","0.1.0"]`+"\n" {
		t.Errorf("show versions -o json: %q", out)
	}

	// A dependency from the registry: locked by barge, built by barge and
	// by Helm from barge's lock.
	parent := depParent(t, "- name: demo\n  version: ^0.1\n  repository: oci://"+host+"/charts\n")
	e.mustBarge("dependency", "update", parent, "--plain-http")
	lock, err := os.ReadFile(filepath.Join(parent, "Chart.lock"))
	if err != nil || !strings.Contains(string(lock), "- name: demo\n  repository: oci://"+host+"/charts\n  version: 0.1.0\n") {
		t.Errorf("Chart.lock (%v):\n%s", err, lock)
	}
	for _, build := range [][]string{{"barge"}, {"v3.22.0"}, {"v4.3.1"}} {
		if err := os.RemoveAll(filepath.Join(parent, "charts")); err != nil {
			t.Fatal(err)
		}
		if build[0] == "barge" {
			e.mustBarge("dependency", "build", parent, "--plain-http")
		} else {
			e.mustHelm(build[0], "dependency", "build", parent, "--plain-http")
		}
		if _, err := os.Stat(filepath.Join(parent, "charts", "demo-0.1.0.tgz")); err != nil {
			t.Errorf("dependency build by %s: %v", build[0], err)
		}
	}

	refuse := func(what string, wants []string, args ...string) {
		t.Helper()
		if err := e.refuse(what, wants, args...); err != nil && strings.Contains(err.Error(), "s3cret-pw") {
			t.Errorf("%s: the error holds the password: %v", what, err)
		}
	}
	refuse("unknown tag", []string{host + "/charts/demo", "9.9.9"}, "template", "x", "oci://"+host+"/charts/demo", "--version", "9.9.9", "--plain-http")
	refuse("unknown digest", []string{host + "/charts/demo"}, "template", "x", "oci://"+host+"/charts/demo@sha256:"+strings.Repeat("0", 64), "--plain-http")
	refuse("unsigned chart", []string{"not signed"}, "template", "x", "oci://"+host+"/charts/demo", "--version", "0.2.0", "--plain-http", "--verify", "--keyring", keys.pubring)

	if out := e.mustBarge("registry", "logout", host); out != "Removing login credentials for "+host+"\n" {
		t.Errorf("logout printed %q", out)
	}
	refuse("after logout", []string{host + "/charts/demo", "registry login"}, "template", "x", "oci://"+host+"/charts/demo", "--version", "0.2.0", "--plain-http")
	// Explicit credentials, for this registry only.
	e.mustBarge("template", "x", "oci://"+host+"/charts/demo", "--version", "0.2.0", "--plain-http", "--username", "alice", "--password", "s3cret-pw")
}

// TestOCICommandsTLS pushes to and installs from a registry serving
// HTTPS with a certificate of its own authority: refused without
// --ca-file, with the fix; accepted with it, and with
// --insecure-skip-tls-verify.
func TestOCICommandsTLS(t *testing.T) {
	t.Parallel()
	reg, err := localregistry.Start(context.Background(), localregistry.Options{TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(reg.Stop)
	e := newRepoEnv(t)
	dir := filepath.Join(t.TempDir(), "demo")
	writeChart(t, dir, "demo", "0.3.0", "over TLS", "")
	dest := t.TempDir()
	e.mustBarge("package", dir, "-d", dest)
	tgz := filepath.Join(dest, "demo-0.3.0.tgz")
	remote := "oci://" + reg.Host + "/charts"

	_, _, err = e.barge("push", tgz, remote)
	if err == nil || !strings.Contains(err.Error(), reg.Host+"/charts/demo") || !strings.Contains(err.Error(), "--ca-file") || exitCode(err) != 1 {
		t.Errorf("push to an untrusted registry: %v", err)
	}
	e.mustBarge("push", tgz, remote, "--ca-file", reg.CAFile)
	if out := e.mustBarge("template", "x", remote+"/demo", "--ca-file", reg.CAFile); !strings.Contains(out, "kind: ConfigMap") {
		t.Errorf("template over TLS:\n%s", out)
	}
	if out := e.mustBarge("show", "versions", remote+"/demo", "--insecure-skip-tls-verify"); out != "0.3.0\n" {
		t.Errorf("show versions --insecure-skip-tls-verify: %q", out)
	}
}
