package render

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConversionFuncs(t *testing.T) {
	tests := []struct {
		name string
		fn   func() any
		want any
	}{
		{"toYaml map sorts keys, lists not indented", func() any {
			return toYAML(map[string]any{"b": []any{1, "x"}, "a": map[string]any{"c": true}})
		}, "a:\n  c: true\nb:\n- 1\n- x"},
		{"toYaml nil", func() any { return toYAML(nil) }, "null"},
		{"toYaml string that looks like a number is quoted", func() any { return toYAML("1.0") }, `"1.0"`},
		{"toYaml unmarshallable is empty", func() any { return toYAML(map[string]any{"f": func() {}}) }, ""},
		{"mustToYaml unmarshallable fails", func() any {
			_, err := mustToYAML(map[string]any{"f": func() {}})
			return err != nil
		}, true},
		{"toYamlPretty indents lists", func() any {
			return toYAMLPretty(map[string]any{"b": []any{1, 2}})
		}, "b:\n  - 1\n  - 2"},
		{"fromYaml numbers become float64", func() any { return fromYAML("a: 1\nb: [x]") },
			map[string]any{"a": float64(1), "b": []any{"x"}}},
		{"fromYaml error goes under Error", func() any { return fromYAML("- a") },
			map[string]any{"Error": "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}"}},
		{"fromYamlArray", func() any { return fromYAMLArray("- a\n- 2") }, []any{"a", float64(2)}},
		{"fromYamlArray error is the only element", func() any { return len(fromYAMLArray("a: b")) }, 1},
		{"toJson", func() any { return toJSON(map[string]any{"b": 1, "a": "<x>"}) }, `{"a":"\u003cx\u003e","b":1}`},
		{"toJson unmarshallable is empty", func() any { return toJSON(func() {}) }, ""},
		{"mustToJson unmarshallable fails", func() any { _, err := mustToJSON(func() {}); return err != nil }, true},
		{"fromJson", func() any { return fromJSON(`{"a":[1]}`) }, map[string]any{"a": []any{float64(1)}}},
		{"fromJson error goes under Error", func() any { _, ok := fromJSON(`[`)["Error"]; return ok }, true},
		{"fromJsonArray", func() any { return fromJSONArray(`[1,"a"]`) }, []any{float64(1), "a"}},
		{"toToml", func() any { return toTOML(map[string]any{"a": 1, "t": map[string]any{"b": "c"}}) }, "a = 1\n\n[t]\n  b = \"c\"\n"},
		{"fromToml", func() any { return fromTOML("a = 1\n[t]\nb = \"c\"") }, map[string]any{"a": int64(1), "t": map[string]any{"b": "c"}}},
		{"fromToml error goes under Error", func() any { _, ok := fromTOML("a = ")["Error"]; return ok }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.fn()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRequiredAndFail(t *testing.T) {
	tests := []struct {
		name    string
		val     any
		wantErr bool
	}{
		{"nil fails", nil, true},
		{"empty string fails", "", true},
		{"zero is a value", 0, false},
		{"false is a value", false, false},
		{"empty map is a value", map[string]any{}, false},
		{"string", "x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := required("need it", tt.val)
			if (err != nil) != tt.wantErr {
				t.Fatalf("required(%v) error = %v, want error %v", tt.val, err, tt.wantErr)
			}
			if err != nil && err.Error() != errStart+"need it"+errEnd {
				t.Errorf("required error = %q, want the message between markers", err)
			}
			if err == nil && !cmp.Equal(got, tt.val) {
				t.Errorf("required returned %v, want %v", got, tt.val)
			}
		})
	}
	if _, err := fail("boom"); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("fail(boom) = %v, want an error with boom", err)
	}
}

func TestFiles(t *testing.T) {
	f := Files{
		"config/a.conf":    []byte("a=1\n"),
		"config/b.conf":    []byte("b=2"),
		"config/sub/c.ini": []byte("c"),
		"README.md":        []byte("line1\nline2\n"),
	}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"Get", f.Get("config/b.conf"), "b=2"},
		{"Get missing", f.Get("nope"), ""},
		{"GetBytes missing is empty, not nil", f.GetBytes("nope"), []byte{}},
		{"Glob star does not cross slash", len(f.Glob("config/*")), 2},
		{"Glob double star crosses slash", len(f.Glob("config/**")), 3},
		{"Glob alternatives", len(f.Glob("config/{a,b}.conf")), 2},
		{"Glob invalid pattern matches all", len(f.Glob("[")), 4},
		{"AsConfig uses base names, sorted", f.Glob("config/*").AsConfig(), "a.conf: |\n  a=1\nb.conf: b=2"},
		{"AsSecrets", f.Glob("config/b.conf").AsSecrets(), "b.conf: Yj0y"},
		{"Lines drops the final newline", f.Lines("README.md"), []string{"line1", "line2"}},
		{"Lines missing", f.Lines("nope"), []string{}},
		{"AsConfig nil", Files(nil).AsConfig(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseKubeVersion(t *testing.T) {
	tests := []struct {
		in      string
		want    KubeVersion
		wantErr bool
	}{
		{in: "1.30", want: KubeVersion{Version: "v1.30", Major: "1", Minor: "30"}},
		{in: "v1.30.2", want: KubeVersion{Version: "v1.30.2", Major: "1", Minor: "30"}},
		{in: "1.28.3-gke.1", want: KubeVersion{Version: "v1.28.3", Major: "1", Minor: "28"}},
		{in: "banana", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseKubeVersion(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseKubeVersion(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if err == nil {
				if diff := cmp.Diff(tt.want, *got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestDefaultCapabilities(t *testing.T) {
	c := DefaultCapabilities()
	if c.KubeVersion.String() != "v1.37.0" || c.KubeVersion.Major != "1" || c.KubeVersion.Minor != "37" {
		t.Errorf("KubeVersion = %+v, want v1.37.0", c.KubeVersion)
	}
	for _, v := range []string{"v1", "apps/v1", "batch/v1", "networking.k8s.io/v1", "apiextensions.k8s.io/v1", "policy/v1"} {
		if !c.APIVersions.Has(v) {
			t.Errorf("APIVersions.Has(%q) = false, want true", v)
		}
	}
	if c.APIVersions.Has("monitoring.coreos.com/v1") {
		t.Error("APIVersions.Has(monitoring.coreos.com/v1) = true, want false without a cluster")
	}
	c.APIVersions[0] = "changed"
	if DefaultCapabilities().APIVersions[0] != "v1" {
		t.Error("DefaultCapabilities shares its API versions between calls")
	}
}
