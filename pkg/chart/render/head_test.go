package render

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// slowHeadOf returns what readHead's slow path, Helm's way, reads of doc.
func slowHeadOf(doc string) (head, error) {
	var h head
	var err error
	h.apiVersion, h.kind, h.name, h.namespace, h.annotations, err = slowHead(doc)
	return h, err
}

// checkFastHead fails t if fastHead answers doc differently from Helm's way.
func checkFastHead(t *testing.T, doc string) (fast bool) {
	t.Helper()
	got, ok := fastHead(doc)
	if !ok {
		return false
	}
	want, err := slowHeadOf(doc)
	if err != nil {
		t.Errorf("fastHead read %q, which Helm's way refuses: %v", doc, err)
		return true
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(head{})); diff != "" {
		t.Errorf("fastHead(%q) (-helm +fast):\n%s", doc, diff)
	}
	return true
}

func TestFastHead(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		fast bool
	}{
		{"plain object", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: b\n  annotations:\n    x: z\ndata:\n  k: v", true},
		{"YAML 1.1 boolean annotation value", "kind: A\nmetadata: {annotations: {x: y}}", false},
		{"no metadata", "apiVersion: v1\nkind: List", true},
		{"null fields", "apiVersion: ~\nkind:\nmetadata:\n  name: ~\n  annotations: ~", true},
		{"empty annotations", "kind: A\nmetadata: {annotations: {}}", true},
		{"number name is coerced by Helm's way", "kind: A\nmetadata: {name: 123}", false},
		{"number annotation value", "kind: A\nmetadata: {annotations: {helm.sh/hook-weight: 5}}", false},
		{"case-folded key", "Kind: A\nmetadata: {name: a}", false},
		{"case-folded metadata key", "kind: A\nmetadata: {Name: a}", false},
		{"metadata not a map", "kind: A\nmetadata: x", false},
		{"namespace not a string", "kind: A\nmetadata: {name: a, namespace: {x: 1}}", false},
		{"NaN value elsewhere", "kind: A\nspec: {x: .nan}", false},
		{"null map key elsewhere", "kind: A\nspec: {~: 1}", false},
		{"not a map", "- a\n- b", false},
		{"invalid YAML", "kind: A\n  b: : c", false},
		{"anchors and merge keys", "base: &b {name: a}\nkind: A\nmetadata:\n  <<: *b", true},
		{"float and bool keys elsewhere", "kind: A\nspec: {1.5: a, true: b, 3: c}", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := checkFastHead(t, tt.doc); got != tt.fast {
				t.Errorf("fastHead answered: %v, want %v", got, tt.fast)
			}
		})
	}
}

// TestFastHeadCorpus checks fastHead against Helm's way on every document
// Helm rendered for the conformance corpus.
func TestFastHeadCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "..", "shared", "corpus", "cases", "*", "expected*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("the corpus must sit beside the repository (%v)", err)
	}
	docs, fast := 0, 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range SplitDocuments(string(b)) {
			docs++
			if checkFastHead(t, doc) {
				fast++
			}
		}
	}
	if fast < docs*9/10 {
		t.Errorf("fastHead answered %d of %d corpus documents; most should take the fast way", fast, docs)
	}
}

// FuzzFastHead checks that whatever fastHead answers, Helm's way answers too.
func FuzzFastHead(f *testing.F) {
	for _, s := range []string{"kind: A", "apiVersion: v1\nkind: B\nmetadata: {name: a, annotations: {x: y}}", "Kind: a", "metadata: {name: 1}", "a: .inf", "kind: A\nmetadata:\n  annotations:\n    k: |\n      x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) { checkFastHead(t, doc) })
}

func TestDecodeObjectAsSigsYAML(t *testing.T) {
	docs := map[string]string{
		"plain":          "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n",
		"yaml 1.1 bools": "a: yes\nb: on\nc: \"yes\"\nd: n\non: 1\n",
		"numbers":        "i: 3\nf: 3.5\ne: 1e3\nbig: 9007199254740993\nneg: -7\noct: 0777\nhex: 0x1F\n",
		"number keys":    "1: a\n2.5: b\ntrue: c\n",
		"nulls":          "a: ~\nb: null\nc:\n",
		"lists":          "a: [1, two, {b: 3}]\n",
		"anchors":        "base: &b {x: 1}\nuse: *b\n",
		"timestamp":      "t: 2001-12-14\n",
	}
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			var want map[string]any
			if err := yaml.Unmarshal([]byte(doc), &want); err != nil {
				t.Fatal(err)
			}
			got, err := DecodeObject(doc)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("DecodeObject differs from sigs.k8s.io/yaml (-sigs +got):\n%s", diff)
			}
		})
	}
}
