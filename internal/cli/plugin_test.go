package cli

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bargehq/barge/internal/helmbin"
)

// pluginEnv is a test's environment: a home of its own, plugins in a
// temporary directory.
type pluginTestEnv struct {
	home, plugins string
	env           []string
}

func newPluginTestEnv(t *testing.T) *pluginTestEnv {
	t.Helper()
	home := t.TempDir()
	plugins := filepath.Join(home, "plugins")
	return &pluginTestEnv{home: home, plugins: plugins, env: []string{
		"HOME=" + home, "PATH=" + os.Getenv("PATH"), "HELM_PLUGINS=" + plugins,
	}}
}

// barge runs barge with args and extra environment in e.
func (e *pluginTestEnv) barge(t *testing.T, extra []string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := NewRootCmd(strings.NewReader(""), &out, &errOut, append(append([]string{}, e.env...), extra...))
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// copyDir copies the fixture plugin name into a temporary directory.
func copyPlugin(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join("testdata", "plugins", name)
	dst := filepath.Join(t.TempDir(), name)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fi, _ := d.Info()
		return os.WriteFile(filepath.Join(dst, rel), b, fi.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestPluginCommandLifecycle(t *testing.T) {
	e := newPluginTestEnv(t)
	src := copyPlugin(t, "echo")

	out, _, err := e.barge(t, nil, "plugin", "install", src)
	if err != nil {
		t.Fatal(err)
	}
	if out != "install hook for echo\nInstalled plugin: echo\n" {
		t.Fatalf("install output %q", out)
	}
	if target, err := os.Readlink(filepath.Join(e.plugins, "echo")); err != nil || target != src {
		t.Fatalf("not symlinked as Helm does: %q %v", target, err)
	}

	tests := []struct {
		name     string
		extraEnv []string
		args     []string
		want     []string
		code     int
	}{
		{
			name: "args passed unparsed, global flags read",
			args: []string{"echo", "--namespace", "team", "a", "--flag", "-x", "--kube-context=kind", "b"},
			want: []string{"args: a --flag -x b\n", "HELM_PLUGIN_NAME=echo\n", "HELM_NAMESPACE=team\n", "HELM_KUBECONTEXT=kind\n",
				"HELM_PLUGINS=" + e.plugins + "\n", "HELM_PLUGIN_DIR=" + filepath.Join(e.plugins, "echo") + "\n", "HELM_DEBUG=false\n",
				"HELM_DATA_HOME=" + filepath.Join(e.home, ".local", "share", "helm") + "\n",
				"HELM_REPOSITORY_CONFIG=" + filepath.Join(e.home, ".config", "helm", "repositories.yaml") + "\n"},
		},
		{
			name:     "environment settings",
			extraEnv: []string{"HELM_NAMESPACE=from-env", "HELM_DEBUG=true"},
			args:     []string{"echo"},
			want:     []string{"args: \n", "HELM_NAMESPACE=from-env\n", "HELM_DEBUG=true\n"},
		},
		{name: "exit status propagated", extraEnv: []string{"ECHO_EXIT=3"}, args: []string{"echo", "x"}, want: []string{"args: x\n"}, code: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := e.barge(t, tt.extraEnv, tt.args...)
			var exit *ExitError
			switch {
			case tt.code == 0 && err != nil:
				t.Fatal(err)
			case tt.code != 0 && (!errors.As(err, &exit) || exit.Code != tt.code || exit.Err != nil):
				t.Fatalf("error = %#v, want a silent exit %d", err, tt.code)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if !strings.Contains(out, "HELM_BIN=/") {
				t.Errorf("HELM_BIN is not an absolute path:\n%s", out)
			}
		})
	}

	out, _, err = e.barge(t, nil, "plugin", "list")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "NAME\tVERSION\tDESCRIPTION") || !strings.Contains(out, "echo\t0.1.0  \tA plugin for barge's tests") || !strings.Contains(out, "cli/v1\tlegacy") {
		t.Fatalf("list:\n%s", out)
	}
	out, _, err = e.barge(t, nil, "plugin", "update", "echo")
	if err != nil || out != "update hook for echo\nUpdated plugin: echo\n" {
		t.Fatalf("update: %q %v", out, err)
	}
	out, _, err = e.barge(t, nil, "plugin", "uninstall", "echo", "nope")
	if out != "delete hook for echo\nUninstalled plugin: echo\n" || err == nil || err.Error() != "Plugin: nope not found" {
		t.Fatalf("uninstall: %q %v", out, err)
	}
	if _, err := os.Stat(src); err != nil {
		t.Fatalf("uninstall removed the plugin's source directory: %v", err)
	}
	if _, _, err := e.barge(t, nil, "echo"); err == nil || !strings.Contains(err.Error(), `unknown command "echo"`) {
		t.Fatalf("after uninstall: %v", err)
	}
}

// tgzDir returns a gzipped tar of dir, under top/.
func tgzDir(t *testing.T, dir, top string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		body, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fi, _ := d.Info()
		if err := tw.WriteHeader(&tar.Header{Name: top + "/" + filepath.ToSlash(rel), Mode: int64(fi.Mode().Perm()), Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err = tw.Write(body)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tw.Close()
	zw.Close()
	return b.Bytes()
}

func TestPluginInstallArchive(t *testing.T) {
	e := newPluginTestEnv(t)
	archive := tgzDir(t, filepath.Join("testdata", "plugins", "echo"), "echo")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/echo-0.1.0.tgz":
			w.Write(archive)
		case "/escape.tgz":
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			tw := tar.NewWriter(zw)
			tw.WriteHeader(&tar.Header{Name: "../../evil.sh", Mode: 0o755, Typeflag: tar.TypeReg})
			tw.Close()
			zw.Close()
			w.Write(b.Bytes())
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	out, _, err := e.barge(t, nil, "plugin", "install", srv.URL+"/echo-0.1.0.tgz")
	if err != nil || !strings.HasSuffix(out, "Installed plugin: echo\n") {
		t.Fatalf("install: %q %v", out, err)
	}
	out, _, err = e.barge(t, nil, "echo", "from-archive")
	if err != nil || !strings.Contains(out, "args: from-archive\n") {
		t.Fatalf("run: %q %v", out, err)
	}
	_, _, err = e.barge(t, nil, "plugin", "update", "echo")
	if err == nil || !strings.Contains(err.Error(), "Failed to update plugin echo") || !strings.Contains(err.Error(), "cannot be updated") || !strings.Contains(err.Error(), "uninstall it and install the new version") {
		t.Fatalf("update of an archive install: %v", err)
	}
	for _, tt := range []struct{ name, path, want string }{
		{"path escape refused", "/escape.tgz", `entry "../../evil.sh": ".." in the path`},
		{"404 names the URL", "/missing.tgz", "GET " + srv.URL + "/missing.tgz: 404 Not Found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := e.barge(t, nil, "plugin", "install", srv.URL+tt.path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(e.home, "evil.sh")); err == nil {
		t.Fatal("an archive wrote outside the plugins directory")
	}
}

func TestPluginInstallGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("this test needs git, which is not on $PATH")
	}
	e := newPluginTestEnv(t)
	src := copyPlugin(t, "echo")
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"}, args...)...)
		cmd.Dir = src
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	git("add", ".")
	git("commit", "-qm", "0.1.0")

	out, _, err := e.barge(t, nil, "plugin", "install", "file://"+src)
	if err != nil || !strings.HasSuffix(out, "Installed plugin: echo\n") {
		t.Fatalf("install: %q %v", out, err)
	}
	yaml, _ := os.ReadFile(filepath.Join(src, "plugin.yaml"))
	os.WriteFile(filepath.Join(src, "plugin.yaml"), bytes.Replace(yaml, []byte("version: 0.1.0"), []byte("version: 0.2.0"), 1), 0o644)
	git("commit", "-qam", "0.2.0")
	out, _, err = e.barge(t, nil, "plugin", "update", "echo")
	if err != nil || out != "update hook for echo\nUpdated plugin: echo\n" {
		t.Fatalf("update: %q %v", out, err)
	}
	out, _, _ = e.barge(t, nil, "plugin", "list")
	if !strings.Contains(out, "echo\t0.2.0") {
		t.Fatalf("list after update:\n%s", out)
	}
}

func TestPluginDownloaderValues(t *testing.T) {
	e := newPluginTestEnv(t)
	if _, _, err := e.barge(t, nil, "plugin", "install", copyPlugin(t, "testget")); err != nil {
		t.Fatal(err)
	}
	chart := filepath.Join("testdata", "plugins", "chart")
	out, _, err := e.barge(t, nil, "template", "r", chart, "-f", "test://values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `greeting: "from-the-downloader"`) {
		t.Fatalf("values from test:// not applied:\n%s", out)
	}
	_, errOut, err := e.barge(t, nil, "template", "r", chart, "-f", "test://missing.yaml")
	if err == nil || !strings.Contains(err.Error(), "test://missing.yaml") || !strings.Contains(errOut, "testget: no such file: test://missing.yaml") {
		t.Fatalf("missing: %v; stderr %q", err, errOut)
	}
	// A chart too: the downloader serves a packaged chart.
	plugDir := filepath.Join(e.plugins, "testget")
	if _, _, err := e.barge(t, nil, "package", chart, "-d", filepath.Join(plugDir, "values")); err != nil {
		t.Fatal(err)
	}
	out, _, err = e.barge(t, nil, "template", "r", "test://greet-0.1.0.tgz", "-f", "test://values.yaml")
	if err != nil || !strings.Contains(out, `greeting: "from-the-downloader"`) {
		t.Fatalf("chart from test://: %v\n%s", err, out)
	}
	_, _, err = e.barge(t, nil, "template", "r", chart, "-f", "nope://values.yaml")
	if err == nil || !strings.Contains(err.Error(), `unsupported URL scheme "nope"`) {
		t.Fatalf("unknown scheme: %v", err)
	}
}

func TestRemoteValues(t *testing.T) {
	e := newPluginTestEnv(t)
	var sawAuth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, _, ok := r.BasicAuth(); ok {
			sawAuth = append(sawAuth, r.URL.Path+":"+u)
		}
		switch r.URL.Path {
		case "/values.yaml":
			io.WriteString(w, "greeting: from-https\n")
		case "/big.yaml":
			w.Write(bytes.Repeat([]byte("#"), 17<<20))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, _, ok := r.BasicAuth(); ok {
			sawAuth = append(sawAuth, "other host")
		}
		http.Redirect(w, r, srv.URL+"/values.yaml", http.StatusFound)
	}))
	defer other.Close()
	chart := filepath.Join("testdata", "plugins", "chart")
	tests := []struct{ name, url, want, wantErr string }{
		{name: "applied", url: srv.URL + "/values.yaml", want: `greeting: "from-https"`},
		{name: "404 names the URL", url: srv.URL + "/nope.yaml", wantErr: "GET " + srv.URL + "/nope.yaml: 404 Not Found"},
		{name: "oversized", url: srv.URL + "/big.yaml", wantErr: "GET " + srv.URL + "/big.yaml: too large"},
		{name: "credentials not sent to another host", url: strings.Replace(other.URL, "http://", "http://me:pw@", 1) + "/r", want: `greeting: "from-https"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := e.barge(t, nil, "template", "r", chart, "-f", tt.url)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Count(err.Error(), "\n") > 0 {
					t.Fatalf("error = %v, want one line with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, tt.want) {
				t.Fatalf("output lacks %q:\n%s", tt.want, out)
			}
		})
	}
	if len(sawAuth) != 1 || sawAuth[0] != "other host" {
		t.Fatalf("credentials seen by %v, want by the URL's own host only", sawAuth)
	}
}

func TestPluginInstalledByHelm(t *testing.T) {
	helm := helmbin.Find(t, "helm-v3.22.0")
	e := newPluginTestEnv(t)
	src := copyPlugin(t, "echo")
	cmd := exec.Command(helm, "plugin", "install", src)
	cmd.Env = append(append([]string{}, e.env...), "HELM_DATA_HOME="+filepath.Join(e.home, "data"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("helm plugin install: %v\n%s", err, out)
	}
	out, _, err := e.barge(t, nil, "echo", "hi")
	if err != nil || !strings.Contains(out, "args: hi\n") || !strings.Contains(out, "HELM_PLUGIN_NAME=echo\n") {
		t.Fatalf("barge echo: %q %v", out, err)
	}
	// And the other way: Helm lists a plugin barge installed.
	e2 := newPluginTestEnv(t)
	if _, _, err := e2.barge(t, nil, "plugin", "install", copyPlugin(t, "testget")); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(helm, "plugin", "list")
	cmd.Env = e2.env
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "testget") {
		t.Fatalf("helm plugin list: %v\n%s", err, out)
	}
}

func TestPluginNameClash(t *testing.T) {
	e := newPluginTestEnv(t)
	if _, _, err := e.barge(t, nil, "plugin", "install", copyPlugin(t, "clash")); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	root := NewRootCmd(strings.NewReader(""), &out, &errOut, append(append([]string{}, e.env...), "HELM_DEBUG=true"))
	n := 0
	for _, c := range root.Commands() {
		if c.Name() == "template" {
			n++
			if c.Annotations["plugin"] != "" {
				t.Fatal("the plugin replaced barge's template command")
			}
		}
	}
	if n != 1 || !strings.Contains(errOut.String(), `plugin "template" (`+filepath.Join(e.plugins, "clash")+`) is not a command: barge has a command of that name`) {
		t.Fatalf("%d template commands; stderr %q", n, errOut.String())
	}
}

// TestPluginPostRenderer renders with a Helm 4 postrenderer plugin named by
// --post-renderer, its arguments from --post-renderer-args.
func TestPluginPostRenderer(t *testing.T) {
	e := newPluginTestEnv(t)
	if _, _, err := e.barge(t, nil, "plugin", "install", copyPlugin(t, "labeler")); err != nil {
		t.Fatal(err)
	}
	chart := filepath.Join("testdata", "plugins", "chart")
	out, _, err := e.barge(t, nil, "template", "r", chart, "--post-renderer", "labeler", "--post-renderer-args", "barge-test")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "rendered-by: barge-test") {
		t.Fatalf("the postrenderer plugin did not run:\n%s", out)
	}
	if _, _, err := e.barge(t, nil, "template", "r", chart, "--post-renderer", "nosuch"); err == nil || !strings.Contains(err.Error(), "installed postrenderer plugin") {
		t.Fatalf("an unknown post-renderer: %v", err)
	}
}
