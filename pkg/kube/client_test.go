package kube

import "testing"

func TestHostDir(t *testing.T) {
	tests := []struct{ host, want string }{
		{"https://127.0.0.1:6443", "127.0.0.1_6443"},
		{"http://localhost:8080", "localhost_8080"},
		{"https://api.example.com/prefix/path", "api.example.com_prefix_path"},
		{"https://[::1]:6443", "___1__6443"},
		{"", "_"},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			if got := hostDir(tt.host); got != tt.want {
				t.Errorf("hostDir(%q) = %q, want %q", tt.host, got, tt.want)
			}
		})
	}
}

func TestParsePropagation(t *testing.T) {
	tests := []struct {
		in      string
		want    Propagation
		wantErr string
	}{
		{"background", PropagationBackground, ""},
		{"Foreground", PropagationForeground, ""},
		{"orphan", PropagationOrphan, ""},
		{"", PropagationBackground, ""},
		{"cascade", "", `cascade "cascade": must be background, foreground or orphan`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePropagation(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParsePropagation(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestObjectRefString(t *testing.T) {
	tests := []struct {
		name string
		ref  ObjectRef
		want string
	}{
		{"namespaced", ObjectRef{Kind: "ConfigMap", Namespace: "demo", Name: "cfg"}, "ConfigMap/cfg in namespace demo"},
		{"cluster-scoped", ObjectRef{Kind: "Namespace", Name: "demo"}, "Namespace/demo"},
		{"empty", ObjectRef{}, "<no kind>/<no name>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ref.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}
