package cli

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestE2ETalkCommandsFromRepository runs the talk's three commands as
// written (Helm 2's --name and --f included) against a chart repository
// named stable, served on loopback, that holds a chart packaged by Helm
// v3.22 and one packaged by barge; then Helm v3.22 and v4.3 install the
// chart barge packaged, from the same repository.
func TestE2ETalkCommandsFromRepository(t *testing.T) {
	e := newE2E(t)
	dir := t.TempDir()
	repoDir := filepath.Join(dir, "repo")
	if err := os.Mkdir(repoDir, 0o755); err != nil {
		t.Fatal(err)
	}
	chartDir, err := filepath.Abs(fixture("web"))
	if err != nil {
		t.Fatal(err)
	}
	// 0.1.0 packaged by barge, 0.2.0 (the newest) by Helm.
	e.mustBarge("package", chartDir, "-d", repoDir)
	e.mustHelm("v3.22.0", "package", chartDir, "--version", "0.2.0", "-d", repoDir)
	e.mustBarge("repo", "index", repoDir)
	srv := httptest.NewServer(http.FileServer(http.Dir(repoDir)))
	t.Cleanup(srv.Close)

	repos := []string{"--repository-config", filepath.Join(dir, "repositories.yaml"), "--repository-cache", filepath.Join(dir, "cache")}
	barge := func(args ...string) result {
		t.Helper()
		return e.mustBarge(append(args, repos...)...)
	}
	barge("repo", "add", "stable", srv.URL)
	work := t.TempDir()
	config := filepath.Join(work, "config.yaml")
	if err := os.WriteFile(config, []byte("message: from the talk\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	r := barge("install", "--name", "joomla1", "--f", config, "stable/web")
	for _, want := range []string{"Note: --name is Helm 2's spelling", "Note: --f is Helm 2's spelling; use -f (or --values)"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("install stderr does not say %q:\n%s", want, r.stderr)
		}
	}
	if m := e.configMapData("joomla1-config")["message"]; m != "from the talk" {
		t.Errorf("after install, message = %q", m)
	}
	if got := barge("get", "values", "joomla1", "-o", "json").stdout; got != `{"message":"from the talk"}`+"\n" {
		t.Errorf("values = %q", got)
	}
	hist := barge("history", "joomla1", "-o", "json").stdout
	if !strings.Contains(hist, `"chart":"web-0.2.0"`) {
		t.Errorf("install did not take the newest version, 0.2.0 (packaged by Helm):\n%s", hist)
	}

	barge("upgrade", "joomla1", "--f", config, "stable/web", "--version", "0.1.0", "--set", "message=upgraded")
	if m := e.configMapData("joomla1-config")["message"]; m != "upgraded" {
		t.Errorf("after upgrade, message = %q", m)
	}
	hist = barge("history", "joomla1", "-o", "json").stdout
	if !strings.Contains(hist, `"chart":"web-0.1.0"`) {
		t.Errorf("upgrade --version 0.1.0 did not take barge's package:\n%s", hist)
	}

	barge("delete", "--purge", "joomla1")
	if s := e.releaseSecrets(); len(s) != 0 {
		t.Errorf("records left after delete --purge: %v", s)
	}

	for _, v := range []string{"v3.22.0", "v4.3.1"} {
		helmRepos := []string{"--repository-config", filepath.Join(dir, "helm-"+v+".yaml"), "--repository-cache", filepath.Join(dir, "helm-cache-"+v)}
		e.mustHelm(v, append([]string{"repo", "add", "stable", srv.URL}, helmRepos...)...)
		name := "h" + strings.ReplaceAll(strings.TrimPrefix(v, "v"), ".", "")
		e.mustHelm(v, append([]string{"install", name, "stable/web", "--version", "0.1.0", "--set", "message=helm"}, helmRepos...)...)
		if m := e.configMapData(name + "-config")["message"]; m != "helm" {
			t.Errorf("helm-%s install of barge's package: message = %q", v, m)
		}
	}
}
