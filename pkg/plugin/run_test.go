package plugin

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// writePlugin makes a plugin directory with plugin.yaml and executable
// files.
func writePlugin(t *testing.T, dir, yaml string, files map[string]string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestRunAndHooks(t *testing.T) {
	dir := writePlugin(t, filepath.Join(t.TempDir(), "echo"), `name: echo
version: 0.1.0
command: "$HELM_PLUGIN_DIR/run.sh"
hooks:
  install: "echo hook $HELM_PLUGIN_NAME > \"$HELM_PLUGIN_DIR/hooked\""
`, map[string]string{"run.sh": "#!/bin/sh\necho \"args:$*\"\necho \"ns:$HELM_NAMESPACE\"\nexit ${EXIT:-0}\n"})
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tests := []struct {
		name, exit, want string
		code             int
	}{
		{name: "success", want: "args:a --b\nns:team\n"},
		{name: "exit status propagated", exit: "7", want: "args:a --b\nns:team\n", code: 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			env := p.Environ([]string{"PATH=" + os.Getenv("PATH"), "EXIT=" + tt.exit}, map[string]string{"HELM_NAMESPACE": "team"})
			err := p.Run(ctx, Invocation{Env: env, Args: []string{"a", "--b"}, Stdout: &out})
			if out.String() != tt.want {
				t.Fatalf("output %q, want %q", out.String(), tt.want)
			}
			var ee *ExitError
			switch {
			case tt.code == 0 && err != nil:
				t.Fatal(err)
			case tt.code != 0 && (!errors.As(err, &ee) || ee.Code != tt.code):
				t.Fatalf("error = %v, want exit status %d", err, tt.code)
			}
		})
	}
	t.Run("install hook", func(t *testing.T) {
		if err := p.RunHook(ctx, HookInstall, Invocation{Env: p.Environ([]string{"PATH=" + os.Getenv("PATH")}, nil)}); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "hooked"))
		if err != nil || string(b) != "hook echo\n" {
			t.Fatalf("hook wrote %q, %v", b, err)
		}
		if err := p.RunHook(ctx, HookDelete, Invocation{}); err != nil {
			t.Fatalf("no delete hook: %v", err)
		}
	})
}

func TestDownload(t *testing.T) {
	dir := writePlugin(t, filepath.Join(t.TempDir(), "dl"), `name: dl
version: 0.1.0
downloaders:
  - command: "bin/get.sh --mode plain"
    protocols: [test, big]
`, map[string]string{"bin/get.sh": `#!/bin/sh
# args: --mode plain cert key ca url
case "$6" in
big://*) yes xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx ;;
*fail*) echo "no such secret" >&2; exit 3 ;;
*) echo "args: $*"; echo "user: $HELM_PLUGIN_USERNAME dir: $HELM_PLUGIN_DIR" ;;
esac
`})
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	env := p.Environ([]string{"PATH=" + os.Getenv("PATH")}, nil)
	tests := []struct {
		name, url, want, wantErr string
		is                       error
	}{
		{name: "Helm's arguments", url: "test://values.yaml",
			want: "args: --mode plain c.pem k.pem ca.pem test://values.yaml\nuser: me dir: " + dir + "\n"},
		{name: "plugin fails", url: "test://fail", wantErr: `plugin "dl" downloader exited with status 3`},
		{name: "output bounded", url: "big://x", is: ErrTooLarge, wantErr: "over the 1024-byte limit"},
		{name: "no downloader", url: "s3://x", wantErr: `plugin "dl" has no downloader for s3:// URLs`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := p.Download(context.Background(), tt.url, DownloadOptions{Env: env, CertFile: "c.pem", KeyFile: "k.pem", CAFile: "ca.pem", Username: "me", Limit: 1024, Stderr: &errOut}, &out)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || (tt.is != nil && !errors.Is(err, tt.is)) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Fatalf("output %q, want %q", out.String(), tt.want)
			}
		})
	}
}

// tgz returns a gzipped tar of entries.
func tgz(t *testing.T, entries []tar.Header, bodies map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	for _, h := range entries {
		body := bodies[h.Name]
		h.Size = int64(len(body))
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, body); err != nil {
			t.Fatal(err)
		}
	}
	tw.Close()
	zw.Close()
	return b.Bytes()
}

func TestInstallArchive(t *testing.T) {
	good := tgz(t, []tar.Header{
		{Name: "arch/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "arch/plugin.yaml", Typeflag: tar.TypeReg},
		{Name: "arch/run.sh", Typeflag: tar.TypeReg, Mode: 0o755},
	}, map[string]string{"arch/plugin.yaml": "name: arch\nversion: 1.0.0\ncommand: $HELM_PLUGIN_DIR/run.sh\n", "arch/run.sh": "#!/bin/sh\necho hi\n"})
	tests := []struct {
		name    string
		archive []byte
		limits  Limits
		wantErr string
	}{
		{name: "plugin in a top directory", archive: good},
		{name: "path escape", archive: tgz(t, []tar.Header{{Name: "../evil", Typeflag: tar.TypeReg}}, nil), wantErr: `entry "../evil": ".." in the path`},
		{name: "absolute path", archive: tgz(t, []tar.Header{{Name: "/etc/evil", Typeflag: tar.TypeReg}}, nil), wantErr: "absolute path"},
		{name: "symlink", archive: tgz(t, []tar.Header{{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}}, nil), wantErr: `entry "link" is a link`},
		{name: "too big", archive: good, limits: Limits{MaxSize: 10}, wantErr: "the files unpack to more than 10 bytes"},
		{name: "too many entries", archive: good, limits: Limits{MaxEntries: 2}, wantErr: "more than 2 entries"},
		{name: "not gzip", archive: []byte("<html>"), wantErr: "not a gzipped tar archive"},
		{name: "no plugin.yaml", archive: tgz(t, []tar.Header{{Name: "README", Typeflag: tar.TypeReg}}, nil), wantErr: "no plugin.yaml at its top nor in its one top-level directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			i := &Installer{Dir: dir, Limits: tt.limits, Fetch: func(_ context.Context, _ string, w io.Writer) error {
				_, err := w.Write(tt.archive)
				return err
			}}
			p, err := i.Install(context.Background(), "https://example.com/arch-1.0.0.tgz", "")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				if left, _ := os.ReadDir(dir); len(left) != 0 {
					t.Fatalf("left behind: %v", left)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Dir != filepath.Join(dir, "arch") {
				t.Fatalf("installed in %s", p.Dir)
			}
			fi, err := os.Stat(filepath.Join(p.Dir, "run.sh"))
			if err != nil || fi.Mode().Perm()&0o100 == 0 {
				t.Fatalf("run.sh not executable: %v %v", fi, err)
			}
			if _, err := i.Install(context.Background(), "https://example.com/arch-1.0.0.tgz", ""); !errors.Is(err, ErrExists) {
				t.Fatalf("second install: %v, want ErrExists", err)
			}
			if _, err := i.Update(context.Background(), p); !errors.Is(err, ErrNotUpdatable) || !strings.Contains(err.Error(), "uninstall it and install the new version") {
				t.Fatalf("update: %v, want ErrNotUpdatable", err)
			}
		})
	}
}

func TestInstallLocalAndGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is needed by this test and is not on $PATH")
	}
	ctx := context.Background()
	src := writePlugin(t, filepath.Join(t.TempDir(), "src", "myplug"), "name: myplug\nversion: 0.1.0\ncommand: $HELM_PLUGIN_DIR/run.sh\n", map[string]string{"run.sh": "#!/bin/sh\necho v1\n"})
	plugins := t.TempDir()
	i := &Installer{Dir: plugins}

	t.Run("local directory is symlinked", func(t *testing.T) {
		p, err := i.Install(ctx, src, "")
		if err != nil {
			t.Fatal(err)
		}
		target, err := os.Readlink(filepath.Join(plugins, "myplug"))
		if err != nil || target != src {
			t.Fatalf("link to %q, %v", target, err)
		}
		if _, err := i.Update(ctx, p); err != nil {
			t.Fatalf("update of a local plugin: %v", err)
		}
		if err := Uninstall(p); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(src); err != nil {
			t.Fatalf("uninstall removed the source: %v", err)
		}
	})

	git := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git(src, "init", "-q")
	git(src, "add", ".")
	git(src, "commit", "-qm", "v1")
	git(src, "tag", "v0.1.0")

	t.Run("git clone, update with git pull", func(t *testing.T) {
		p, err := i.Install(ctx, "file://"+src, "")
		if err != nil {
			t.Fatal(err)
		}
		if p.Dir != filepath.Join(plugins, "myplug") || p.Version != "0.1.0" {
			t.Fatalf("installed %s %s", p.Dir, p.Version)
		}
		os.WriteFile(filepath.Join(src, FileName), []byte("name: myplug\nversion: 0.2.0\ncommand: $HELM_PLUGIN_DIR/run.sh\n"), 0o644)
		git(src, "commit", "-qam", "v2")
		git(src, "tag", "v0.2.0")
		up, err := i.Update(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if up.Version != "0.2.0" {
			t.Fatalf("updated to %s, want 0.2.0", up.Version)
		}
		os.WriteFile(filepath.Join(p.Dir, "run.sh"), []byte("#!/bin/sh\necho changed\n"), 0o755)
		if _, err := i.Update(ctx, p); !errors.Is(err, ErrNotUpdatable) || !strings.Contains(err.Error(), "modified") {
			t.Fatalf("update of a modified clone: %v", err)
		}
		if err := Uninstall(p); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("git --version picks a tag", func(t *testing.T) {
		p, err := i.Install(ctx, "file://"+src, "~0.1")
		if err != nil {
			t.Fatal(err)
		}
		if p.Version != "0.1.0" {
			t.Fatalf("version %s, want 0.1.0", p.Version)
		}
		if _, err := i.Update(ctx, p); !errors.Is(err, ErrNotUpdatable) || !strings.Contains(err.Error(), "pinned to a tag") {
			t.Fatalf("update of a pinned clone: %v", err)
		}
		Uninstall(p)
		if _, err := i.Install(ctx, "file://"+src, ">=5"); err == nil || !strings.Contains(err.Error(), `no tag of file://`+src+` meets it`) {
			t.Fatalf("no matching tag: %v", err)
		}
	})

	t.Run("not a repository", func(t *testing.T) {
		_, err := i.Install(ctx, "file:///nonexistent/plug", "")
		if err == nil || !strings.Contains(err.Error(), "cloning it as a git repository failed") {
			t.Fatalf("error = %v", err)
		}
	})
}

func TestDirsFromEnv(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"HELM_PLUGINS list", map[string]string{"HELM_PLUGINS": "/a" + string(filepath.ListSeparator) + "/b", "HOME": "/h"}, []string{"/a", "/b"}},
		{"BARGE_PLUGINS wins", map[string]string{"BARGE_PLUGINS": "/x", "HELM_PLUGINS": "/a"}, []string{"/x"}},
		{"HELM_DATA_HOME", map[string]string{"HELM_DATA_HOME": "/d", "HOME": "/h"}, []string{"/d/plugins"}},
		{"XDG_DATA_HOME", map[string]string{"XDG_DATA_HOME": "/xdg", "HOME": "/h"}, []string{"/xdg/helm/plugins"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DirsFromEnv(func(k string) string { return tt.env[k] })
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
	get := func(k string) string { return map[string]string{"HOME": "/h", "APPDATA": `C:\A`, "TEMP": `C:\T`}[k] }
	for goos, want := range map[string]Homes{
		"linux":  {Data: "/h/.local/share/helm", Config: "/h/.config/helm", Cache: "/h/.cache/helm"},
		"darwin": {Data: "/h/Library/helm", Config: "/h/Library/Preferences/helm", Cache: "/h/Library/Caches/helm"},
	} {
		t.Run(goos, func(t *testing.T) {
			if got := homesFromEnv(goos, get); got != want {
				t.Fatalf("got %+v, want %+v", got, want)
			}
		})
	}
}
