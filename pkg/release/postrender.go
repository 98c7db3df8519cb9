package release

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/bargehq/barge/pkg/chart/render"
)

// PostRenderer rewrites a release's rendered manifest, as Helm's
// --post-renderer does: it is given the manifest (the documents that are
// not hooks, as Helm 3 passes them) and returns what replaces it. The
// result is what the release stores and applies.
type PostRenderer func(ctx context.Context, manifest []byte) ([]byte, error)

// PostRenderOptions change the rendered manifest of an install or upgrade
// before it is planned.
type PostRenderOptions struct {
	// PostRender, when not nil, rewrites the manifest (--post-renderer).
	PostRender PostRenderer
	// HideSecret shows each v1 Secret of the manifest as a comment in the
	// release a dry run returns, as Helm's --hide-secret; it is refused
	// outside dry runs.
	HideSecret bool
}

// errHideSecret refuses HideSecret outside a dry run, as Helm does.
var errHideSecret = errors.New("--hide-secret: hiding Kubernetes secrets requires a dry-run mode: add --dry-run")

// hiddenSecret replaces a Secret's document under HideSecret, as Helm
// words it.
const hiddenSecret = "# HIDDEN: The Secret output has been suppressed"

// ExecPostRenderer returns the post-renderer that runs the executable at
// path with args, the manifest on its standard input, and takes its
// standard output instead, as Helm's --post-renderer does.
func ExecPostRenderer(path string, args []string) PostRenderer {
	return func(ctx context.Context, in []byte) ([]byte, error) {
		cmd := exec.CommandContext(ctx, path, args...)
		cmd.Stdin = bytes.NewReader(in)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("error while running command %s. error output:\n%s: %w", path, stderr.String(), err)
		}
		return stdout.Bytes(), nil
	}
}

// ApplyPostRender rewrites the manifest of res, a render of release name,
// with pr, as install and upgrade do before they plan: for callers that
// compare a render with a stored manifest (fleets) to see what was
// stored. A nil pr leaves res as it is.
func ApplyPostRender(ctx context.Context, name string, res *render.Result, pr PostRenderer) error {
	return PostRenderOptions{PostRender: pr}.finishRender(ctx, name, res, DryRunClient)
}

// finishRender applies the post-render options to a render of release
// name: the post-renderer first, then, on a dry run, HideSecret.
func (o PostRenderOptions) finishRender(ctx context.Context, name string, res *render.Result, dry DryRun) error {
	if o.HideSecret && dry == DryRunNone {
		return errHideSecret
	}
	if o.PostRender != nil {
		out, err := o.PostRender(ctx, []byte(res.Manifest))
		if err != nil {
			return fmt.Errorf("release %q: error while running post render on files: %w", name, err)
		}
		res.Manifest = string(out)
	}
	if o.HideSecret {
		res.Manifest = HideSecrets(res.Manifest)
	}
	return nil
}

// HideSecrets returns manifest with the content of each v1 Secret document
// replaced by a comment, keeping its "# Source:" line: what Helm's
// --hide-secret prints.
func HideSecrets(manifest string) string {
	docs := render.SplitDocuments(manifest)
	var b strings.Builder
	for _, d := range docs {
		if strings.TrimSpace(d) == "" {
			continue
		}
		if isV1Secret(d) {
			src := ""
			for _, line := range strings.Split(d, "\n") {
				if strings.HasPrefix(line, "# Source:") {
					src = line + "\n"
					break
				}
			}
			fmt.Fprintf(&b, "---\n%s%s\n", src, hiddenSecret)
			continue
		}
		fmt.Fprintf(&b, "---\n%s\n", strings.TrimSpace(d))
	}
	return b.String()
}

// isV1Secret reports whether the YAML document doc is a v1 Secret, from
// its top-level apiVersion and kind lines.
func isV1Secret(doc string) bool {
	var apiVersion, kind string
	for _, line := range strings.Split(doc, "\n") {
		if v, ok := strings.CutPrefix(line, "apiVersion:"); ok {
			apiVersion = strings.Trim(strings.TrimSpace(v), `"'`)
		}
		if v, ok := strings.CutPrefix(line, "kind:"); ok {
			kind = strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return apiVersion == "v1" && kind == "Secret"
}
