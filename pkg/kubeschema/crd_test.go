package kubeschema

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

const widgetCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            metadata:
              type: object
              properties:
                name: {type: string, maxLength: 20}
            spec:
              type: object
              required: [size]
              properties:
                size: {type: integer, minimum: 1}
                mode: {type: string, enum: [fast, slow]}
                port: {x-kubernetes-int-or-string: true}
                tags: {type: array, items: {type: string}}
                labels: {type: object, additionalProperties: {type: string}}
                config: {type: object, x-kubernetes-preserve-unknown-fields: true}
                template:
                  type: object
                  x-kubernetes-embedded-resource: true
                  properties:
                    spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
                choice:
                  anyOf: [{type: integer}, {type: string}]
                  x-kubernetes-int-or-string: true
                nullable: {type: string, nullable: true}
            status:
              type: object
              x-kubernetes-preserve-unknown-fields: true
    - name: v1alpha1
      served: false
      storage: false
      schema:
        openAPIV3Schema: {type: object}
`

func decodeYAML(t *testing.T, doc string) map[string]any {
	t.Helper()
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

func TestWithCRDs(t *testing.T) {
	base := embeddedSchema(t)
	s, errs := base.WithCRDs([]map[string]any{decodeYAML(t, widgetCRD), decodeYAML(t, "apiVersion: v1\nkind: ConfigMap\n")})
	if errs != nil {
		t.Fatal(errs)
	}
	if base.Known("example.com/v1", "Widget") {
		t.Error("WithCRDs changed the schema it was called on")
	}
	if s.Known("example.com/v1alpha1", "Widget") {
		t.Error("a version that is not served is known")
	}
	tests := []struct {
		name string
		doc  string
		want []Problem
	}{
		{
			name: "good",
			doc: `apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
  labels: {a: b}
spec:
  size: 2.0
  mode: fast
  port: http
  tags: [a]
  labels: {x: z}
  config: {anything: [1, {a: b}]}
  template:
    apiVersion: v1
    kind: Pod
    metadata: {name: p}
    spec: {containers: []}
  choice: 3
  nullable: null
status: {ready: true}
`,
		},
		{
			name: "bad type",
			doc: `apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
spec:
  size: "2"
  tags: [1]
  port: 1.5
`,
			want: []Problem{
				{Path: "spec.size", Kind: TypeMismatch, Message: `spec.size: expected integer, got string "2"`, Line: 5},
				{Path: "spec.tags[0]", Kind: TypeMismatch, Message: "spec.tags[0]: expected string, got number 1", Line: 6},
				{Path: "spec.port", Kind: TypeMismatch, Message: "spec.port: expected integer or string, got number 1.5", Line: 7},
			},
		},
		{
			name: "unknown field",
			doc: `apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
spec:
  size: 1
  sise: 2
  template: {kind: Pod, extra: 1}
`,
			want: []Problem{
				{Path: "spec.sise", Kind: UnknownField, Message: `spec.sise: unknown field (did you mean "size"?)`, Line: 6},
				{Path: "spec.template.extra", Kind: UnknownField, Message: "spec.template.extra: unknown field", Line: 7},
			},
		},
		{
			name: "missing required, enum, metadata",
			doc: `apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
  labels: {a: 1}
spec:
  mode: medium
`,
			want: []Problem{
				{Path: "metadata.labels.a", Kind: TypeMismatch, Message: "metadata.labels.a: expected string, got number 1", Line: 5},
				{Path: "spec", Kind: MissingRequired, Message: `spec: missing required field "size"`, Line: 6},
				{Path: "spec.mode", Kind: NotInEnum, Message: `spec.mode: "medium" is not one of "fast", "slow"`, Line: 7},
			},
		},
		{
			name: "list of custom resources",
			doc: `apiVersion: example.com/v1
kind: WidgetList
items:
  - metadata: {name: w}
    spec: {size: x}
`,
			want: []Problem{
				{Path: "items[0].spec.size", Kind: TypeMismatch, Message: `items[0].spec.size: expected integer, got string "x"`, Line: 5},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, known, err := s.ValidateDocument(tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			if !known {
				t.Fatal("not known")
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWithCRDsV1beta1(t *testing.T) {
	crd := func(extra string) map[string]any {
		return decodeYAML(t, `apiVersion: apiextensions.k8s.io/v1beta1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  version: v1
  names: {kind: Gadget, plural: gadgets}
  validation:
    openAPIV3Schema:
      properties:
        spec:
          properties:
            size: {type: integer}
`+extra)
	}
	doc := `apiVersion: example.com/v1
kind: Gadget
spec: {size: "1", other: 2}
`
	tests := []struct {
		name string
		crd  map[string]any
		want []ProblemKind
	}{
		{"unknown fields kept by default", crd(""), []ProblemKind{TypeMismatch}},
		{"unknown fields pruned", crd("  preserveUnknownFields: false\n"), []ProblemKind{UnknownField, TypeMismatch}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, errs := embeddedSchema(t).WithCRDs([]map[string]any{tt.crd})
			if errs != nil {
				t.Fatal(errs)
			}
			problems, known, err := s.ValidateDocument(doc)
			if err != nil || !known {
				t.Fatal(err, known)
			}
			var got []ProblemKind
			for _, p := range problems {
				got = append(got, p.Kind)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problem kinds (-want +got):\n%s\n%v", diff, problems)
			}
		})
	}
}

func TestWithCRDsErrors(t *testing.T) {
	tests := []struct {
		name    string
		crd     string
		wantErr string
	}{
		{
			name: "unknown type",
			crd: `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: bad.example.com}
spec:
  group: example.com
  names: {kind: Bad}
  versions:
    - name: v1
      served: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: {type: map}
`,
			wantErr: `crd bad.example.com: version v1: spec.versions[0].schema.openAPIV3Schema.properties.spec.type: unknown type "map"`,
		},
		{
			name: "no schema",
			crd: `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: bad.example.com}
spec:
  group: example.com
  names: {kind: Bad}
  versions: [{name: v1, served: true}]
`,
			wantErr: "crd bad.example.com: version v1: spec.versions[0].schema.openAPIV3Schema is missing",
		},
		{
			name: "no kind",
			crd: `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: bad.example.com}
spec: {group: example.com}
`,
			wantErr: "crd bad.example.com: spec.group and spec.names.kind are required",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, errs := embeddedSchema(t).WithCRDs([]map[string]any{decodeYAML(t, tt.crd)})
			var msgs []string
			for _, err := range errs {
				msgs = append(msgs, err.Error())
			}
			if got := strings.Join(msgs, "\n"); got != tt.wantErr {
				t.Errorf("errors:\n%s\nwant:\n%s", got, tt.wantErr)
			}
			if s.Known("example.com/v1", "Bad") {
				t.Error("the kind of an unusable CRD is known")
			}
		})
	}
}
