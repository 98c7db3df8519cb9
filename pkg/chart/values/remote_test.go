package values

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMergeContextFetch(t *testing.T) {
	files := map[string]string{
		"https://example.com/values.yaml": "a: 1\nb: {c: 2}\n",
		"secrets://values.yaml":           "b: {d: 3}\n",
		"https://example.com/key.txt":     "s3cret",
	}
	fetch := func(_ context.Context, u string) ([]byte, error) {
		if s, ok := files[u]; ok {
			return []byte(s), nil
		}
		return nil, errors.New("GET " + u + ": 404 Not Found")
	}
	tests := []struct {
		name    string
		opts    Options
		want    map[string]any
		wantErr string
	}{
		{
			name: "https and plugin schemes, merged in order",
			opts: Options{ValueFiles: []string{"https://example.com/values.yaml", "secrets://values.yaml"}, Fetch: fetch},
			want: map[string]any{"a": float64(1), "b": map[string]any{"c": float64(2), "d": float64(3)}},
		},
		{
			name: "--set-file from a URL",
			opts: Options{FileValues: []string{"key=https://example.com/key.txt"}, Fetch: fetch},
			want: map[string]any{"key": "s3cret"},
		},
		{
			name:    "not found names the URL",
			opts:    Options{ValueFiles: []string{"https://example.com/nope.yaml"}, Fetch: fetch},
			wantErr: "values file GET https://example.com/nope.yaml: 404 Not Found",
		},
		{
			name:    "no Fetch refuses a URL",
			opts:    Options{ValueFiles: []string{"https://example.com/values.yaml"}},
			wantErr: "https://example.com/values.yaml: remote values files are not supported here",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.opts.MergeContext(context.Background(), nil)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Fatalf("values (-want +got):\n%s", d)
			}
		})
	}
}

func TestIsURL(t *testing.T) {
	for name, want := range map[string]bool{
		"https://h/v.yaml": true, "secrets://v.yaml": true, "s3://b/v.yaml": true,
		"values.yaml": false, `C:\dir\v.yaml`: false, "c://x": false, "./a://b": false, "-": false,
	} {
		t.Run(name, func(t *testing.T) {
			if got := IsURL(name); got != want {
				t.Fatalf("IsURL(%q) = %v, want %v", name, got, want)
			}
		})
	}
}
