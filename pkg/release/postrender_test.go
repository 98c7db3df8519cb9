package release

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bargehq/barge/pkg/chart/render"
)

func TestFinishRender(t *testing.T) {
	const manifest = "---\n# Source: c/templates/secret.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  k: dg==\n" +
		"---\n# Source: c/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"
	label := func(_ context.Context, in []byte) ([]byte, error) {
		return []byte(strings.ReplaceAll(string(in), "metadata:\n", "metadata:\n  labels: {post: rendered}\n")), nil
	}
	tests := []struct {
		name    string
		opts    PostRenderOptions
		dry     DryRun
		want    string
		wantErr string
	}{
		{name: "nothing to do", dry: DryRunNone, want: manifest},
		{name: "post-renderer rewrites the manifest", opts: PostRenderOptions{PostRender: label},
			want: strings.ReplaceAll(manifest, "metadata:\n", "metadata:\n  labels: {post: rendered}\n")},
		{name: "post-renderer fails", opts: PostRenderOptions{PostRender: func(context.Context, []byte) ([]byte, error) { return nil, errors.New("boom") }},
			wantErr: `release "r": error while running post render on files: boom`},
		{name: "hide-secret on a dry run", opts: PostRenderOptions{HideSecret: true}, dry: DryRunClient,
			want: "---\n# Source: c/templates/secret.yaml\n# HIDDEN: The Secret output has been suppressed\n" +
				"---\n# Source: c/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"},
		{name: "hide-secret refused without a dry run", opts: PostRenderOptions{HideSecret: true}, dry: DryRunNone,
			wantErr: errHideSecret.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := &render.Result{Manifest: manifest}
			err := tt.opts.finishRender(t.Context(), "r", res, tt.dry)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, res.Manifest); diff != "" {
				t.Errorf("manifest (-want +got):\n%s", diff)
			}
		})
	}
}
