package plugin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// ErrExists is wrapped by the error of Install when the plugin is already
// installed.
var ErrExists = errors.New("plugin already exists")

// ErrNotUpdatable is wrapped by the error of Update for a plugin that
// was not installed from a git repository nor a local directory.
var ErrNotUpdatable = errors.New("plugin cannot be updated")

// Installer installs and updates plugins in a plugins directory, as
// `helm plugin install` and `helm plugin update` do. Its fields must not
// change once it is in use.
type Installer struct {
	// Dir is the plugins directory new plugins go into (the first of
	// DirsFromEnv).
	Dir string
	// Fetch downloads the archive at an http:// or https:// URL into w,
	// bounded; nil refuses archive URLs.
	Fetch func(ctx context.Context, rawURL string, w io.Writer) error
	// Git is the git program; "" is "git" on $PATH.
	Git string
	// Env is the environment of git; nil is the process's.
	Env []string
	// Limits bound what an archive unpacks to.
	Limits Limits
}

// IsArchiveURL reports whether source is the URL of a plugin archive: an
// http:// or https:// URL whose path ends in .tgz or .tar.gz.
func IsArchiveURL(source string) bool {
	u, err := url.Parse(source)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return strings.HasSuffix(u.Path, ".tgz") || strings.HasSuffix(u.Path, ".tar.gz")
}

// Install installs the plugin at source, as Helm does:
//
//   - an existing local directory is symlinked into Dir, under its own
//     name (so it is "updated" by editing it);
//   - an http(s) URL of a .tgz or .tar.gz archive is fetched with Fetch,
//     unpacked with every entry checked (see Limits), and moved into Dir
//     under the plugin's name; the archive may hold plugin.yaml at its
//     top or in its one top-level directory;
//   - anything else is a git repository, cloned with git into Dir under
//     the last element of its URL (".git" dropped); version, if not "",
//     is a SemVer constraint the tag checked out must meet (the newest
//     that does).
//
// The plugin must load (see Load) before it is installed: nothing is left
// in Dir on error. It returns the installed plugin; its install hook is
// the caller's to run (see RunHook).
func (i *Installer) Install(ctx context.Context, source, version string) (*Plugin, error) {
	if err := os.MkdirAll(i.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("plugins directory %s: %w", i.Dir, err)
	}
	if fi, err := os.Stat(source); err == nil {
		if !fi.IsDir() {
			return nil, fmt.Errorf("plugin source %s is a file: install a plugin directory, a .tgz URL or a git repository", source)
		}
		return i.installLocal(source)
	}
	tmp, err := os.MkdirTemp(i.Dir, ".install-")
	if err != nil {
		return nil, fmt.Errorf("plugins directory %s: %w", i.Dir, err)
	}
	defer os.RemoveAll(tmp)
	var root, name string
	if IsArchiveURL(source) {
		root, err = i.unpack(ctx, source, tmp)
	} else {
		root, err = i.clone(ctx, source, version, tmp)
		name = strings.TrimSuffix(lastElem(source), ".git")
	}
	if err != nil {
		return nil, err
	}
	p, err := Load(root)
	if err != nil {
		return nil, fmt.Errorf("%s does not hold a usable plugin: %w", source, err)
	}
	if name == "" {
		name = p.Name
	}
	final := filepath.Join(i.Dir, name)
	if _, err := os.Lstat(final); err == nil {
		return nil, fmt.Errorf("%s: %w (%s); uninstall it first, or update it", p.Name, ErrExists, final)
	}
	if err := os.Rename(root, final); err != nil {
		return nil, fmt.Errorf("plugins directory %s: %w", i.Dir, err)
	}
	p.Dir = final
	return p, nil
}

// lastElem returns the last element of a source URL or path.
func lastElem(source string) string {
	s := strings.TrimRight(source, "/")
	if k := strings.LastIndexAny(s, "/:"); k >= 0 {
		s = s[k+1:]
	}
	return s
}

func (i *Installer) installLocal(source string) (*Plugin, error) {
	src, err := filepath.Abs(source)
	if err != nil {
		return nil, fmt.Errorf("plugin source %s: %w", source, err)
	}
	p, err := Load(src)
	if err != nil {
		return nil, err
	}
	final := filepath.Join(i.Dir, filepath.Base(src))
	if _, err := os.Lstat(final); err == nil {
		return nil, fmt.Errorf("%s: %w (%s); uninstall it first", p.Name, ErrExists, final)
	}
	if err := os.Symlink(src, final); err != nil {
		return nil, fmt.Errorf("plugins directory %s: %w", i.Dir, err)
	}
	p.Dir = final
	return p, nil
}

// unpack fetches the archive at source and unpacks it into tmp, returning
// the directory that holds plugin.yaml.
func (i *Installer) unpack(ctx context.Context, source, tmp string) (string, error) {
	if i.Fetch == nil {
		return "", fmt.Errorf("plugin archive %s: barge cannot download archives here", source)
	}
	var buf bytes.Buffer
	if err := i.Fetch(ctx, source, &buf); err != nil {
		return "", err
	}
	root := filepath.Join(tmp, "plugin")
	if err := os.Mkdir(root, 0o755); err != nil {
		return "", err
	}
	if err := untar(&buf, source, root, i.Limits); err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(root, FileName)); err == nil {
		return root, nil
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return "", err
	}
	if len(entries) == 1 && entries[0].IsDir() {
		sub := filepath.Join(root, entries[0].Name())
		if _, err := os.Stat(filepath.Join(sub, FileName)); err == nil {
			return sub, nil
		}
	}
	return "", fmt.Errorf("plugin archive %s: no plugin.yaml at its top nor in its one top-level directory: it is not a plugin archive", source)
}

// git runs git with args in dir, returning its output.
func (i *Installer) git(ctx context.Context, dir string, args ...string) (string, error) {
	prog := i.Git
	if prog == "" {
		prog = "git"
	}
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Dir = dir
	env := i.Env
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = mergeEnv(env, []string{"GIT_TERMINAL_PROMPT=0"})
	cmd.WaitDelay = waitDelay
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return "", fmt.Errorf("git is needed to install or update plugins from a repository, and is not on $PATH: install git, or install the plugin from a directory or a .tgz URL")
		}
		msg := strings.TrimSpace(errOut.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("git %s: %s", args[0], msg)
	}
	return out.String(), nil
}

// clone clones source into tmp/repo and checks out the newest tag that
// meets version, returning the clone.
func (i *Installer) clone(ctx context.Context, source, version, tmp string) (string, error) {
	root := filepath.Join(tmp, "repo")
	if _, err := i.git(ctx, tmp, "clone", "--quiet", "--", source, root); err != nil {
		return "", fmt.Errorf("plugin source %s: not a local directory nor a .tgz URL, and cloning it as a git repository failed: %w", source, err)
	}
	if version == "" {
		return root, nil
	}
	c, err := semver.NewConstraint(version)
	if err != nil {
		return "", fmt.Errorf("--version %q: %w", version, err)
	}
	tags, err := i.git(ctx, root, "tag", "--list")
	if err != nil {
		return "", err
	}
	var best *semver.Version
	var bestTag string
	for _, t := range strings.Fields(tags) {
		v, err := semver.NewVersion(t)
		if err != nil || !c.Check(v) {
			continue
		}
		if best == nil || v.GreaterThan(best) {
			best, bestTag = v, t
		}
	}
	if best == nil {
		return "", fmt.Errorf("--version %q: no tag of %s meets it; its tags: %s", version, source, strings.Join(strings.Fields(tags), ", "))
	}
	if _, err := i.git(ctx, root, "-c", "advice.detachedHead=false", "checkout", "--quiet", bestTag); err != nil {
		return "", err
	}
	return root, nil
}

// Update updates p as Helm does: a plugin installed from a local
// directory (a symbolic link) is that directory, always current; one
// cloned from git is pulled, unless it was modified or is pinned to a
// tag. Any other (from an archive, or copied by hand) cannot be updated:
// the error wraps ErrNotUpdatable and says what to do. It returns the
// plugin as loaded after the update; its update hook is the caller's to
// run.
func (i *Installer) Update(ctx context.Context, p *Plugin) (*Plugin, error) {
	fi, err := os.Lstat(p.Dir)
	if err != nil {
		return nil, fmt.Errorf("plugin %q: %w", p.Name, err)
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		return Load(p.Dir) // a local directory: nothing to fetch
	}
	if _, err := os.Stat(filepath.Join(p.Dir, ".git")); err != nil {
		return nil, fmt.Errorf("plugin %q (%s): %w: it was not installed from a git repository nor a local directory (an archive, or copied by hand); uninstall it and install the new version", p.Name, p.Dir, ErrNotUpdatable)
	}
	if st, err := i.git(ctx, p.Dir, "status", "--porcelain"); err != nil {
		return nil, fmt.Errorf("plugin %q: %w", p.Name, err)
	} else if strings.TrimSpace(st) != "" {
		return nil, fmt.Errorf("plugin %q (%s): %w: its files were modified since it was installed; commit or discard the changes (git -C %s status)", p.Name, p.Dir, ErrNotUpdatable, p.Dir)
	}
	if _, err := i.git(ctx, p.Dir, "symbolic-ref", "-q", "HEAD"); err != nil {
		return nil, fmt.Errorf("plugin %q (%s): %w: it is pinned to a tag (installed with --version); uninstall it and install the version you want", p.Name, p.Dir, ErrNotUpdatable)
	}
	if _, err := i.git(ctx, p.Dir, "pull", "--quiet", "--ff-only"); err != nil {
		return nil, fmt.Errorf("plugin %q: %w", p.Name, err)
	}
	return Load(p.Dir)
}

// Uninstall removes p's directory (for a plugin installed from a local
// directory, only the symbolic link to it). Its delete hook is the
// caller's to run, before.
func Uninstall(p *Plugin) error {
	if err := os.RemoveAll(p.Dir); err != nil {
		return fmt.Errorf("plugin %q: %w", p.Name, err)
	}
	return nil
}
