package render

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// OutputOptions choose what WriteTemplate prints, as the flags of
// `helm template` do.
type OutputOptions struct {
	// IncludeCRDs prints the files of the crds/ folders first.
	IncludeCRDs bool
	// SkipTests leaves out test hooks.
	SkipTests bool
	// DisableHooks leaves out every hook.
	DisableHooks bool
	// ShowOnly keeps only the documents rendered from templates matching
	// these patterns (paths relative to the top chart's directory, e.g.
	// "templates/service.yaml", with filepath.Match wildcards).
	ShowOnly []string
	// PostRender, when not nil, is given the manifests (CRDs included, hooks
	// not) and returns what replaces them, as Helm's --post-renderer.
	PostRender func(manifests []byte) ([]byte, error)
}

// ManifestWithCRDs returns the release manifest preceded by the CRDs, each as
// "---\n# Source: <path>\n<content>\n", as `helm template --include-crds`
// prints it.
func (res *Result) ManifestWithCRDs() string {
	var b strings.Builder
	for _, c := range res.CRDs {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", c.Source, c.Content)
	}
	b.WriteString(res.Manifest)
	return b.String()
}

// TemplateOutput returns the output of `helm template` for this render:
// the CRDs (with IncludeCRDs) and the manifests, post-rendered, then the
// hooks, each document headed by "---\n# Source: <template>\n".
func (res *Result) TemplateOutput(opts OutputOptions) (string, error) {
	manifest := res.Manifest
	if opts.IncludeCRDs {
		manifest = res.ManifestWithCRDs()
	}
	if opts.PostRender != nil {
		out, err := opts.PostRender([]byte(manifest))
		if err != nil {
			return "", fmt.Errorf("error while running post render on files: %w", err)
		}
		manifest = string(out)
	}
	var b strings.Builder
	b.WriteString(strings.TrimSpace(manifest))
	b.WriteString("\n")
	if !opts.DisableHooks {
		for _, h := range res.Hooks {
			if opts.SkipTests && h.IsTest() {
				continue
			}
			fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", h.Source, h.Content)
		}
	}
	if len(opts.ShowOnly) == 0 {
		return b.String(), nil
	}
	return ShowOnly(b.String(), opts.ShowOnly)
}

// sourceLine finds the template of a document from its "# Source:" line,
// without the chart's name.
var sourceLine = regexp.MustCompile("# Source: [^/]+/(.+)")

// ShowOnly keeps the documents of a `helm template` output that were rendered
// from templates matching the patterns, in the order of the patterns, as
// --show-only does. A pattern matching nothing is an error.
func ShowOnly(out string, patterns []string) (string, error) {
	docs := SplitDocuments(out)
	var b strings.Builder
	for _, p := range patterns {
		p = filepath.ToSlash(p)
		missing := true
		for _, d := range docs {
			m := sourceLine.FindStringSubmatch(d)
			if m == nil {
				continue
			}
			if ok, _ := filepath.Match(p, m[1]); !ok {
				continue
			}
			fmt.Fprintf(&b, "---\n%s\n", d)
			missing = false
		}
		if missing {
			return "", fmt.Errorf("could not find template %s in chart", p)
		}
	}
	return b.String(), nil
}
