package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCreateCmd(t *testing.T) {
	dir := t.TempDir()
	taken := filepath.Join(dir, "taken")
	if err := os.MkdirAll(taken, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(taken, "keep.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		arg     string
		wantOut string
		wantErr string
	}{
		{"new chart", filepath.Join(dir, "webapp"), "Creating " + filepath.Join(dir, "webapp") + "\n", ""},
		{"non-empty directory", taken, "", "already exists"},
		{"bad name", filepath.Join(dir, "Web_App"), "", `chart name "Web_App"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := execBarge("create", tt.arg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out != tt.wantOut {
				t.Errorf("output = %q, want %q", out, tt.wantOut)
			}
			got, err := execBarge("show", "chart", tt.arg)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(got, "name: webapp\n") {
				t.Errorf("show chart of the new chart:\n%s", got)
			}
		})
	}
}
