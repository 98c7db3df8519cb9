package oci

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bargehq/barge/internal/localregistry"
)

// credentialHelper installs docker-credential-bargetest, a Docker
// credential helper (a shell script speaking the helpers' protocol: get,
// store, erase on stdin/stdout) keeping its one credential in a file, on
// PATH for the test; it returns that file.
func credentialHelper(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	store := filepath.Join(dir, "stored.json")
	script := `#!/bin/sh
set -e
store='` + store + `'
case "$1" in
get)
  read -r server || true
  if [ ! -f "$store" ]; then echo "credentials not found in native keychain"; exit 1; fi
  cat "$store"
  ;;
store)
  cat > "$store"
  ;;
erase)
  rm -f "$store"
  ;;
*) exit 1 ;;
esac
`
	if err := os.WriteFile(filepath.Join(dir, "docker-credential-bargetest"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return store
}

// TestCredentialHelper checks that credentials kept by a Docker credential
// helper named in the registry config serve barge and helm, and that
// barge's Login and Logout go through the helper, never into the file.
func TestCredentialHelper(t *testing.T) {
	reg := startRegistry(t, localregistry.Options{Users: map[string]string{testUser: testPassword}})
	ctx := ctxFor(t)
	stored := credentialHelper(t)
	config := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(config, []byte(`{"credHelpers":{"`+reg.Host+`":"bargetest"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	chart := packageChart(t, "1.0.0")
	repo := "oci://" + reg.Host + "/charts"

	c := newClient(t, Options{PlainHTTP: true, CredentialsFile: config})
	if err := c.Login(ctx, reg.Host, testUser, testPassword); err != nil {
		t.Fatal(err)
	}
	var got struct{ ServerURL, Username, Secret string }
	b, err := os.ReadFile(stored)
	if err != nil {
		t.Fatalf("the helper stored nothing: %v", err)
	}
	if err := json.Unmarshal(b, &got); err != nil || got.Username != testUser || got.Secret != testPassword || got.ServerURL != reg.Host {
		t.Fatalf("the helper was given %s (%v)", b, err)
	}
	if b, _ := os.ReadFile(config); strings.Contains(string(b), `"auths"`) {
		t.Errorf("the credentials went into the file, not the helper: %s", b)
	}

	if _, err := newClient(t, Options{PlainHTTP: true, CredentialsFile: config}).Push(ctx, chart, repo, PushOptions{}); err != nil {
		t.Fatalf("push with the helper's credentials: %v", err)
	}
	for _, name := range helmVersions {
		h := newHelm(t, name)
		h.registryConfig = config
		h.path = os.Getenv("PATH")
		if _, err := h.run(t, "", "pull", repo+"/web", "--version", "1.0.0", "--plain-http", "-d", t.TempDir()); err != nil {
			t.Errorf("%s with the helper's credentials: %v", name, err)
		}
	}

	if err := c.Logout(ctx, reg.Host); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stored); !os.IsNotExist(err) {
		t.Errorf("the helper still holds the credentials after Logout: %v", err)
	}
}
