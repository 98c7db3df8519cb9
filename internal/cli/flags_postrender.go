package cli

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/bargehq/barge/pkg/release"
)

// postRendererFlags are --post-renderer and --post-renderer-args, as
// install, upgrade and template take them.
type postRendererFlags struct {
	bin  string
	args []string
}

// Bind registers the flags on fs.
func (p *postRendererFlags) Bind(fs *pflag.FlagSet) {
	fs.StringVar(&p.bin, "post-renderer", "", "the path to an executable to be used for post rendering. If it exists in $PATH, the binary will be used, otherwise it will try to look for the executable at the given path")
	fs.StringArrayVar(&p.args, "post-renderer-args", []string{}, "an argument to the post-renderer (can specify multiple)")
}

// check finds the executable, so that a wrong path fails before anything
// is done.
func (p *postRendererFlags) check() error {
	if p.bin == "" {
		return nil
	}
	_, err := p.path()
	return err
}

// path returns the absolute path of the executable.
func (p *postRendererFlags) path() (string, error) {
	full, err := exec.LookPath(p.bin)
	if err != nil {
		return "", fmt.Errorf("--post-renderer: unable to find binary at %s: %w (give a path, or a name in $PATH)", p.bin, err)
	}
	if full, err = filepath.Abs(full); err != nil {
		return "", fmt.Errorf("--post-renderer %s: %w", p.bin, err)
	}
	return full, nil
}

// renderer returns the engine's post-renderer: the executable is given the
// manifest on stdin and prints what replaces it. Nil without
// --post-renderer.
func (p *postRendererFlags) renderer() release.PostRenderer {
	if p.bin == "" {
		return nil
	}
	return func(ctx context.Context, in []byte) ([]byte, error) {
		full, err := p.path()
		if err != nil {
			return nil, err
		}
		cmd := exec.CommandContext(ctx, full, p.args...)
		cmd.Stdin = bytes.NewReader(in)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			return nil, &postRenderError{fmt.Errorf("error while running command %s. error output:\n%s: %w", full, stderr.String(), err)}
		}
		return stdout.Bytes(), nil
	}
}
