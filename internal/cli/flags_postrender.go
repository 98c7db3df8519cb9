package cli

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/bargehq/barge/pkg/plugin"
	"github.com/bargehq/barge/pkg/release"
)

// postRendererFlags are --post-renderer and --post-renderer-args, as
// install, upgrade, diff upgrade and template take them.
type postRendererFlags struct {
	bin  string
	args []string
	// resolved is what resolve found: a plugin or an executable.
	resolved release.PostRenderer
}

// Bind registers the flags on fs.
func (p *postRendererFlags) Bind(fs *pflag.FlagSet) {
	fs.StringVar(&p.bin, "post-renderer", "", "the name of a postrenderer plugin (Helm 4), or the path to an executable to be used for post rendering. If it exists in $PATH, the binary will be used, otherwise it will try to look for the executable at the given path")
	fs.StringArrayVar(&p.args, "post-renderer-args", []string{}, "an argument to the post-renderer (can specify multiple)")
}

// resolve finds the post-renderer, so that a wrong name fails before
// anything is done: an installed plugin of type postrenderer/v1 of that
// name, as Helm 4 takes it, else an executable, as Helm 3 does. Its error
// names the program; callers say which flag or field gave it.
func (p *postRendererFlags) resolve(cfg *Config) error {
	if p.bin == "" {
		return nil
	}
	plugins, _ := cfg.plugins() // plugins that do not load are `plugin list`'s to report
	for _, pl := range plugins {
		if pl.Name == p.bin && pl.Type == plugin.TypePostRenderer {
			p.resolved = pluginPostRenderer(cfg, pl, p.args)
			return nil
		}
	}
	full, err := exec.LookPath(p.bin)
	if err != nil {
		return fmt.Errorf("unable to find binary at %s: %w (give a path, a name in $PATH, or the name of an installed postrenderer plugin)", p.bin, err)
	}
	if full, err = filepath.Abs(full); err != nil {
		return fmt.Errorf("%s: %w", p.bin, err)
	}
	run := release.ExecPostRenderer(full, p.args)
	p.resolved = func(ctx context.Context, in []byte) ([]byte, error) {
		out, err := run(ctx, in)
		if err != nil {
			return nil, &postRenderError{err}
		}
		return out, nil
	}
	return nil
}

// pluginPostRenderer runs the postrenderer plugin pl with args, the
// manifest on its stdin, as Helm 4 runs one.
func pluginPostRenderer(cfg *Config, pl *plugin.Plugin, args []string) release.PostRenderer {
	return func(ctx context.Context, in []byte) ([]byte, error) {
		var stdout, stderr bytes.Buffer
		err := pl.Run(ctx, plugin.Invocation{Env: cfg.pluginEnv(pl), Args: args, Stdin: bytes.NewReader(in), Stdout: &stdout, Stderr: &stderr})
		if err != nil {
			return nil, &postRenderError{fmt.Errorf("error while running post-renderer plugin %s. error output:\n%s: %w", pl.Name, stderr.String(), err)}
		}
		return stdout.Bytes(), nil
	}
}

// renderer returns the post-renderer resolve found; nil without
// --post-renderer, or before resolve.
func (p *postRendererFlags) renderer() release.PostRenderer {
	return p.resolved
}

// postRenderError is a failure of the post-renderer.
type postRenderError struct{ err error }

func (e *postRenderError) Error() string { return e.err.Error() }
func (e *postRenderError) Unwrap() error { return e.err }
