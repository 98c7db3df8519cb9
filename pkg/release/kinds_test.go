package release

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestDefinesKind(t *testing.T) {
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "sprockets.example.com"},
		"spec": map[string]any{
			"group":    "example.com",
			"names":    map[string]any{"kind": "Sprocket", "plural": "sprockets"},
			"versions": []any{map[string]any{"name": "v1"}, map[string]any{"name": "v2"}},
		},
	}}
	crds := []*unstructured.Unstructured{crd}
	for _, tc := range []struct {
		name string
		gvk  schema.GroupVersionKind
		want bool
	}{
		{"served version", schema.GroupVersionKind{Group: "example.com", Version: "v2", Kind: "Sprocket"}, true},
		{"version the CRD lacks", schema.GroupVersionKind{Group: "example.com", Version: "v3", Kind: "Sprocket"}, false},
		{"other group", schema.GroupVersionKind{Group: "example.org", Version: "v1", Kind: "Sprocket"}, false},
		{"other kind", schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Gear"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := definesKind(crds, tc.gvk); got != tc.want {
				t.Errorf("definesKind(%v) = %v, want %v", tc.gvk, got, tc.want)
			}
		})
	}
}

func TestMissingKindsError(t *testing.T) {
	manifest := "---\n# Source: app/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n" +
		"---\n# Source: app/templates/sprocket.yaml\napiVersion: example.com/v1\nkind: Sprocket\nmetadata:\n  name: s1\n  namespace: ns\n"
	objs, err := parseObjects("manifest", manifest, "ns")
	if err != nil {
		t.Fatal(err)
	}
	err = &MissingKindsError{Errs: []error{unknownKind(manifest, objs[1])}}
	want := `Sprocket "s1" (from app/templates/sprocket.yaml): the cluster serves no kind Sprocket in example.com/v1 and the chart ships no CustomResourceDefinition for it: install the CustomResourceDefinition that defines it first (or ship it in the chart's crds/), or fix its apiVersion; nothing was changed`
	if got := err.Error(); got != want {
		t.Errorf("message:\n got %s\nwant %s", got, want)
	}
}
