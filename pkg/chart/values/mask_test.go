package values

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
)

// secret is planted in values; no error may show it, nor a piece of it.
const secret = "Zq7SecretPw"

// leaks reports whether msg shows the secret or a piece of it.
func leaks(msg string) bool {
	return strings.Contains(msg, secret) || strings.Contains(msg, "Zq7") || strings.Contains(msg, "Pw")
}

func TestMergeMasksValues(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	s := secret
	tests := []struct {
		name    string
		opts    Options
		wantErr string // the error must contain it too
	}{
		{"--set unbalanced index", Options{Values: []string{"joomlaPassword=" + s + ",a[=1"}}, `failed parsing --set data "joomlaPassword=***,a[=***"`},
		{"--set comma in value", Options{Values: []string{"password=ab," + s}}, `"password=***,***": an item has no value`},
		{"--set comma in value then key", Options{Values: []string{"password=ab," + s + ".x"}}, `an item has no value`},
		{"--set index text", Options{Values: []string{"a[0=" + s + "]=1"}}, "the index is not a whole number"},
		{"--set data after index", Options{Values: []string{"a[0]x=" + s}}, "unexpected data at end of array index"},
		{"--set list", Options{Values: []string{"a={x," + s}}, "list must terminate"},
		{"--set escaped comma", Options{Values: []string{`p=a\,` + s + ",b"}}, `"p=***,***"`},
		{"--set over a scalar", Options{Values: []string{"a=" + s, "a.b=1"}}, "interface conversion"},
		{"--set-string", Options{StringValues: []string{"p=" + s + ",x[y]=1"}}, `failed parsing --set-string data "p=***,x[y]=***"`},
		{"--set-string no key", Options{StringValues: []string{s}}, `"***"`},
		{"--set-json syntax", Options{JSONValues: []string{`p="` + s + `",q={"a":` + s + `}`}}, "invalid JSON at byte"},
		{"--set-json bare word", Options{JSONValues: []string{"p=" + s}}, "--set-json data p=***: invalid JSON at byte 1"},
		{"--set-json unterminated", Options{JSONValues: []string{`p={"k":"` + s}}, "unexpected EOF"},
		{"--set-literal", Options{LiteralValues: []string{s}}, "--set-literal"},
		{"--set-literal index", Options{LiteralValues: []string{"a[x]=" + s}}, `"a[x]=***"`},
		{"--set-file path", Options{FileValues: []string{"p=" + write("pw.txt", s) + ",q[z]=1"}}, "--set-file"},
		{"values file map key", Options{ValueFiles: []string{write("key.yaml", "{"+s+": x}: y\n")}}, "invalid map key"},
		{"values file tag", Options{ValueFiles: []string{write("tag.yaml", "a: !!int "+s+"\n")}}, "tag.yaml"},
		{"values file anchor", Options{ValueFiles: []string{write("anchor.yaml", "a: *"+s+"\n")}}, "unknown anchor"},
		{"values file flow key", Options{ValueFiles: []string{write("flow.yaml", "? ["+s+"]\n: v\n")}}, "flow.yaml"},
		{"values file syntax", Options{ValueFiles: []string{write("syntax.yaml", "a: "+s+"\n b: c\n")}}, "line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.opts.Merge(nil)
			if err == nil {
				t.Fatal("no error")
			}
			if leaks(err.Error()) {
				t.Errorf("the error shows the secret: %v", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestSchemaErrorMasksValues(t *testing.T) {
	ch := &chart.Chart{
		Metadata: &chart.Metadata{Name: "c", Version: "1.0.0", APIVersion: "v2"},
		Schema:   []byte(`{"properties":{"p":{"type":"string","pattern":"^x$"},"n":{"type":"integer"},"e":{"enum":["a"]}}}`),
	}
	_, _, err := Resolve(ch, map[string]any{"p": secret, "n": secret, "e": secret})
	if err == nil {
		t.Fatal("no error")
	}
	if leaks(err.Error()) {
		t.Errorf("the error shows the secret: %v", err)
	}
	for _, want := range []string{"at '/p': '***' does not match pattern '^x$'", "at '/n': got string, want integer", "at '/e': value must be 'a'"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q, want it to contain %q", err, want)
		}
	}
}

func TestMaskArg(t *testing.T) {
	tests := []struct {
		in      string
		literal bool
		want    string
	}{
		{in: "a=1,b.c=2", want: "a=***,b.c=***"},
		{in: "a={x,y},b=2", want: "a=***,b=***"},
		{in: `a=x\,y,b=2`, want: "a=***,b=***"},
		{in: `a\=b=1`, want: `a\=b=***`},
		{in: `j={"a":"x,y"},k=[1,2]`, want: "j=***,k=***"},
		{in: "a=1,stray", want: "a=***,***"},
		{in: "a[0].b=1", want: "a[0].b=***"},
		{in: "a=1,b=x,y", literal: true, want: "a=***"},
		{in: "a,b", literal: true, want: "***"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := maskArg(tt.in, tt.literal); got != tt.want {
				t.Errorf("maskArg(%q, %v) = %q, want %q", tt.in, tt.literal, got, tt.want)
			}
		})
	}
}
