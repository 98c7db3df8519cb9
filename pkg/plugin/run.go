package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// ErrNoCommand is wrapped by the error of a plugin that has no command
// for this operating system and architecture.
var ErrNoCommand = errors.New("no plugin command for this platform")

// waitDelay bounds how long a plugin's output is read after it exits or
// is killed (a child it started may hold its output open).
const waitDelay = 5 * time.Second

// ExitError is a plugin process that exited with a non-zero status.
type ExitError struct {
	// Plugin is the plugin's name.
	Plugin string
	// What is what was run: "", "install hook", "downloader"...
	What string
	// Code is the exit status (-1 if killed by a signal).
	Code int
}

// Error says which plugin failed, as Helm does.
func (e *ExitError) Error() string {
	if e.What != "" {
		return fmt.Sprintf("plugin %q %s exited with status %d", e.Plugin, e.What, e.Code)
	}
	return fmt.Sprintf("plugin %q exited with error", e.Plugin)
}

// Environ returns the environment of the plugin's processes: base (the
// process's own environment), then settings (Helm's HELM_* variables, as
// the caller computes them: see Helm's `helm env`), then HELM_PLUGIN_NAME
// and HELM_PLUGIN_DIR. A later entry wins over an earlier one of the same
// name, which is dropped.
func (p *Plugin) Environ(base []string, settings map[string]string) []string {
	extra := make([]string, 0, len(settings)+2)
	for k, v := range settings {
		extra = append(extra, k+"="+v)
	}
	extra = append(extra, "HELM_PLUGIN_NAME="+p.Name, "HELM_PLUGIN_DIR="+p.Dir)
	return mergeEnv(base, extra)
}

// mergeEnv returns base with extra laid over it, one entry per name.
func mergeEnv(base, extra []string) []string {
	all := append(append([]string{}, base...), extra...)
	last := map[string]int{}
	for i, kv := range all {
		k, _, _ := strings.Cut(kv, "=")
		last[k] = i
	}
	out := make([]string, 0, len(last))
	for i, kv := range all {
		k, _, _ := strings.Cut(kv, "=")
		if last[k] == i {
			out = append(out, kv)
		}
	}
	return out
}

// lookup returns a function that expands $NAME and ${NAME} from env.
func lookup(env []string) func(string) string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

// selectCommand picks the command for goos and goarch among cmds, with
// Helm's rules: an entry for both wins; else the first for the OS alone
// (no arch); else the first for any platform (neither). It returns nil if
// none applies.
func selectCommand(cmds []PlatformCommand, goos, goarch string) *PlatformCommand {
	var osOnly, any *PlatformCommand
	for i := range cmds {
		c := &cmds[i]
		osMatch := strings.EqualFold(c.OS, goos)
		switch {
		case osMatch && strings.EqualFold(c.Arch, goarch):
			return c
		case c.Arch != "":
		case c.OS != "" && !osMatch:
		case c.OS != "":
			if osOnly == nil {
				osOnly = c
			}
		default:
			if any == nil {
				any = c
			}
		}
	}
	if osOnly != nil {
		return osOnly
	}
	return any
}

// prepare returns the program and arguments of the command among cmds for
// this platform, with extra appended: the command is split on spaces, its
// program expanded against env, and its arguments too when expand.
func prepare(cmds []PlatformCommand, env []string, expand bool, extra []string) (string, []string, error) {
	c := selectCommand(cmds, runtime.GOOS, runtime.GOARCH)
	if c == nil {
		return "", nil, fmt.Errorf("%w (%s/%s)", ErrNoCommand, runtime.GOOS, runtime.GOARCH)
	}
	parts := strings.Split(c.Command, " ")
	if parts[0] == "" {
		return "", nil, fmt.Errorf("%w (%s/%s): the command is empty", ErrNoCommand, runtime.GOOS, runtime.GOARCH)
	}
	get := lookup(env)
	main := os.Expand(parts[0], get)
	args := make([]string, 0, len(parts)-1+len(c.Args)+len(extra))
	for _, a := range append(parts[1:], c.Args...) {
		if expand {
			a = os.Expand(a, get)
		}
		args = append(args, a)
	}
	return main, append(args, extra...), nil
}

// CommandLine returns the program and arguments that run the plugin's
// command with args (dropped if IgnoreFlags), expanded against env (see
// Environ) as Helm expands them: $HELM_PLUGIN_DIR and every other
// variable, in the program and in the plugin's own arguments, never in
// args.
func (p *Plugin) CommandLine(env, args []string) (string, []string, error) {
	if p.IgnoreFlags {
		args = nil
	}
	main, argv, err := prepare(p.Command, env, true, args)
	if err != nil {
		return "", nil, fmt.Errorf("plugin %q (%s): %w", p.Name, p.File(), err)
	}
	return main, argv, nil
}

// Invocation is one run of a plugin's command.
type Invocation struct {
	// Env is the environment (see Environ).
	Env []string
	// Args are the arguments given on the command line.
	Args []string
	// Stdin, Stdout and Stderr are the process's streams; nil is empty
	// input, discarded output.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// Run runs the plugin's command. A non-zero exit is an *ExitError
// carrying the status, for the caller to exit with. Cancelling ctx kills
// the process.
func (p *Plugin) Run(ctx context.Context, inv Invocation) error {
	if err := p.runnable(); err != nil {
		return err
	}
	main, argv, err := p.CommandLine(inv.Env, inv.Args)
	if err != nil {
		return err
	}
	return p.exec(ctx, "", main, argv, inv)
}

// RunHook runs the plugin's hook for event (HookInstall, HookUpdate or
// HookDelete), if it has one; inv.Args is ignored. Helm 3's string hooks
// run with sh -c.
func (p *Plugin) RunHook(ctx context.Context, event string, inv Invocation) error {
	cmds := p.Hooks[event]
	if len(cmds) == 0 {
		return nil
	}
	if err := p.runnable(); err != nil {
		return err
	}
	main, argv, err := prepare(cmds, inv.Env, p.expandHooks, nil)
	if errors.Is(err, ErrNoCommand) {
		return nil // Helm skips a hook with no command for the platform
	}
	if err != nil {
		return err
	}
	return p.exec(ctx, event+" hook", main, argv, inv)
}

func (p *Plugin) runnable() error {
	if p.Runtime != RuntimeSubprocess {
		return fmt.Errorf("plugin %q (%s): runtime %q is not one barge runs: only subprocess plugins run", p.Name, p.File(), p.Runtime)
	}
	return nil
}

func (p *Plugin) exec(ctx context.Context, what, main string, argv []string, inv Invocation) error {
	cmd := exec.CommandContext(ctx, main, argv...)
	cmd.Env = inv.Env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inv.Stdin, inv.Stdout, inv.Stderr
	cmd.WaitDelay = waitDelay
	return p.wait(ctx, what, main, cmd.Run())
}

// wait turns the result of a process into this package's errors.
func (p *Plugin) wait(ctx context.Context, what, main string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("plugin %q: %w", p.Name, context.Cause(ctx))
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return &ExitError{Plugin: p.Name, What: what, Code: ee.ExitCode()}
	}
	return fmt.Errorf("plugin %q: running %s: %w; check the command in %s", p.Name, main, err, p.File())
}

// DownloadOptions are what a downloader is given besides the URL.
type DownloadOptions struct {
	// Env is the environment (see Environ).
	Env []string
	// CertFile, KeyFile and CAFile are the client certificate, its key and
	// the CA bundle, passed as arguments ("" if unset), as Helm does.
	CertFile, KeyFile, CAFile string
	// Username, Password and PassCredentialsAll are passed as
	// HELM_PLUGIN_USERNAME, HELM_PLUGIN_PASSWORD and
	// HELM_PLUGIN_PASS_CREDENTIALS_ALL.
	Username, Password string
	PassCredentialsAll bool
	// Limit bounds the content read; a downloader writing more is killed
	// and the download fails with ErrTooLarge. Zero or less means
	// DefaultDownloadLimit.
	Limit int64
	// Stderr receives the downloader's standard error (nil discards it).
	Stderr io.Writer
}

// DefaultDownloadLimit bounds a download when DownloadOptions.Limit is 0.
const DefaultDownloadLimit int64 = 20 << 20

// ErrTooLarge is wrapped by the error of a download over its limit.
var ErrTooLarge = errors.New("too large")

// Download runs the plugin's downloader for rawURL's scheme as Helm does,
// COMMAND ARGS... certFile keyFile caFile URL with COMMAND relative to the
// plugin's directory, and copies what it writes on its standard output to
// w. The output is bounded by o.Limit; on error w may hold part of it.
func (p *Plugin) Download(ctx context.Context, rawURL string, o DownloadOptions, w io.Writer) error {
	if err := p.runnable(); err != nil {
		return err
	}
	scheme, _, ok := strings.Cut(rawURL, "://")
	if !ok {
		return fmt.Errorf("plugin %q: %q is not a URL", p.Name, rawURL)
	}
	var cmds []PlatformCommand
	for _, d := range p.Downloaders {
		for _, proto := range d.Protocols {
			if strings.EqualFold(proto, scheme) && cmds == nil {
				cmds = d.Command
			}
		}
	}
	if cmds == nil {
		return fmt.Errorf("plugin %q has no downloader for %s:// URLs; check its %s", p.Name, scheme, p.File())
	}
	env := mergeEnv(o.Env, []string{
		"HELM_PLUGIN_USERNAME=" + o.Username,
		"HELM_PLUGIN_PASSWORD=" + o.Password,
		"HELM_PLUGIN_PASS_CREDENTIALS_ALL=" + strconv.FormatBool(o.PassCredentialsAll),
	})
	main, argv, err := prepare(cmds, env, false, []string{o.CertFile, o.KeyFile, o.CAFile, rawURL})
	if err != nil {
		return fmt.Errorf("plugin %q (%s) downloader: %w", p.Name, p.File(), err)
	}
	if !filepath.IsAbs(main) {
		main = filepath.Join(p.Dir, main)
	}
	limit := o.Limit
	if limit <= 0 {
		limit = DefaultDownloadLimit
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(ctx, main, argv...)
	cmd.Env = env
	cmd.Stderr = o.Stderr
	cmd.WaitDelay = waitDelay
	out, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("plugin %q downloader: %w", p.Name, err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("plugin %q downloader: running %s: %w; check the downloader command in %s", p.Name, main, err, p.File())
	}
	n, cerr := io.Copy(w, io.LimitReader(out, limit+1))
	if cerr != nil || n > limit {
		// Stop a plugin that writes too much, or whose output we cannot
		// write: closing the pipe stops its children too (SIGPIPE).
		out.Close()
		cancel()
	}
	werr := cmd.Wait()
	switch {
	case n > limit:
		return fmt.Errorf("plugin %q downloader for %s: %w: the content is over the %d-byte limit", p.Name, rawURL, ErrTooLarge, limit)
	case cerr != nil:
		return fmt.Errorf("plugin %q downloader for %s: %w", p.Name, rawURL, cerr)
	}
	return p.wait(ctx, "downloader", main, werr)
}
