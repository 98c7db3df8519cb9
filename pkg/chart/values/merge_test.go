package values

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestOptionsMerge(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"1.yaml":   "a: {x: 1, z: 1}\nlist: [1, 2]\nkeep: k\ngone: g\n",
		"2.yaml":   "a: {z: 2}\nlist: [3]\ngone: null\n",
		"cert.pem": "PEM\n",
	})
	p := func(n string) string { return filepath.Join(dir, n) }
	tests := []struct {
		name    string
		opts    Options
		stdin   string
		want    m
		wantErr string
	}{
		{
			name: "later files win, maps merge, lists and nulls replace",
			opts: Options{ValueFiles: []string{p("1.yaml"), p("2.yaml")}},
			want: m{"a": m{"x": 1.0, "z": 2.0}, "list": l{3.0}, "keep": "k", "gone": nil},
		},
		{
			name: "flags override files in Helm's order whatever their order on the command line",
			opts: Options{
				ValueFiles:    []string{p("1.yaml")},
				JSONValues:    []string{`a={"x":"json","z":true}`, `j=1`},
				Values:        []string{"a.x=set", "s=1"},
				StringValues:  []string{"s=1"},
				FileValues:    []string{"f=" + p("cert.pem"), "s=" + p("cert.pem")},
				LiteralValues: []string{"s=lit,eral"},
			},
			want: m{"a": m{"x": "set", "z": true}, "list": l{1.0, 2.0}, "keep": "k", "gone": "g", "j": 1.0, "f": "PEM\n", "s": "lit,eral"},
		},
		{
			name:  "stdin for a values file",
			opts:  Options{ValueFiles: []string{"-"}},
			stdin: "from: stdin\n",
			want:  m{"from": "stdin"},
		},
		{
			name:  "stdin for --set-file",
			opts:  Options{FileValues: []string{"k=-"}},
			stdin: "data",
			want:  m{"k": "data"},
		},
		{name: "missing file", opts: Options{ValueFiles: []string{p("nope.yaml")}}, wantErr: "nope.yaml: no such file or directory"},
		{name: "bad --set", opts: Options{Values: []string{"a.b"}}, wantErr: `failed parsing --set data "***": an item has no value`},
		{name: "bad --set-json", opts: Options{JSONValues: []string{"a={"}}, wantErr: "failed parsing --set-json data a=***: unexpected EOF"},
		{name: "bad --set-file", opts: Options{FileValues: []string{"a=" + p("none")}}, wantErr: "failed parsing --set-file data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.opts.Merge(strings.NewReader(tt.stdin))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Merge (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadFile(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"ok.yaml":    "num: 1000000\nb: true\ns: \"1\"\n",
		"yes.yaml":   "y: 1\n",
		"empty.yaml": "",
		"bad.yaml":   "a: 1\nb: [1, 2\nc: 3\n",
		"list.yaml":  "- 1\n",
	})
	tests := []struct {
		name    string
		file    string
		want    m
		wantErr []string
	}{
		{name: "numbers are float64 as in Helm", file: "ok.yaml", want: m{"num": 1e6, "b": true, "s": "1"}},
		{name: "YAML 1.1 boolean keys as in Helm", file: "yes.yaml", want: m{"true": 1.0}},
		{name: "empty file", file: "empty.yaml", want: m{}},
		{name: "syntax error names file and line", file: "bad.yaml", wantErr: []string{"bad.yaml", "line 2"}},
		{name: "not a map", file: "list.yaml", wantErr: []string{"list.yaml", "cannot unmarshal array"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadFile(filepath.Join(dir, tt.file))
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("no error, want one containing %q", tt.wantErr)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ReadFile (-want +got):\n%s", diff)
			}
		})
	}
}
