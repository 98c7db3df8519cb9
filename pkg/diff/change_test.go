package diff

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func obj(t *testing.T, y string) *unstructured.Unstructured {
	t.Helper()
	// Through JSON, as objects come from the API server: integers are int64.
	j, err := yaml.YAMLToJSON([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(j); err != nil {
		t.Fatal(err)
	}
	return u
}

const liveDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  uid: 1234
  resourceVersion: "77"
  generation: 3
  creationTimestamp: "2025-01-01T00:00:00Z"
  labels: {app: web}
  annotations: {deployment.kubernetes.io/revision: "3"}
  managedFields:
  - manager: barge
    operation: Apply
    apiVersion: apps/v1
    fieldsType: FieldsV1
    fieldsV1: {"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{},"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{},"f:name":{}}}}}}}
  - manager: kube-controller-manager-v1.37.2
    operation: Update
    apiVersion: apps/v1
    fieldsType: FieldsV1
    fieldsV1: {"f:metadata":{"f:annotations":{".":{},"f:deployment.kubernetes.io/revision":{}}}}
  - manager: kube-controller-manager
    operation: Update
    subresource: status
    apiVersion: apps/v1
    fieldsType: FieldsV1
    fieldsV1: {"f:status":{"f:replicas":{}}}
spec:
  replicas: 1
  template:
    spec:
      containers:
      - {name: web, image: "nginx:1.27", imagePullPolicy: IfNotPresent}
status:
  replicas: 1
`

func TestNormalizeDropsServerFields(t *testing.T) {
	got := Normalize(obj(t, liveDeployment))
	want := obj(t, `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
  annotations: {deployment.kubernetes.io/revision: "3"}
spec:
  replicas: 1
  template:
    spec:
      containers:
      - {name: web, image: "nginx:1.27", imagePullPolicy: IfNotPresent}
`)
	if diff := cmp.Diff(want.Object, got.Object); diff != "" {
		t.Errorf("Normalize (-want +got):\n%s", diff)
	}
}

func TestCompare(t *testing.T) {
	live := obj(t, liveDeployment)
	// As the server returns a dry-run apply: same identity fields, new
	// resourceVersion and generation, status as it was.
	scaled := live.DeepCopy()
	_ = unstructured.SetNestedField(scaled.Object, int64(3), "spec", "replicas")
	scaled.SetGeneration(4)
	scaled.SetResourceVersion("78")
	relabelled := live.DeepCopy()
	relabelled.SetLabels(map[string]string{"app": "web", "tier": "front"})
	bumped := live.DeepCopy()
	_ = unstructured.SetNestedSlice(bumped.Object, []any{map[string]any{"name": "web", "image": "nginx:1.28", "imagePullPolicy": "IfNotPresent"}}, "spec", "template", "spec", "containers")
	tests := []struct {
		name          string
		before, after *unstructured.Unstructured
		opts          Options
		action        Action
		paths         []PathChange
	}{
		{"same object after a dry run", live, func() *unstructured.Unstructured {
			u := live.DeepCopy()
			u.SetResourceVersion("99")
			u.SetManagedFields(nil)
			return u
		}(), Options{}, Unchanged, nil},
		{"replicas changed", live, scaled, Options{}, Change, []PathChange{{Path: ".spec.replicas", Before: int64(1), After: int64(3)}}},
		{"label added", live, relabelled, Options{}, Change, []PathChange{{Path: ".metadata.labels.tier", After: "front"}}},
		{"image in a list", live, bumped, Options{}, Change, []PathChange{{Path: ".spec.template.spec.containers[0].image", Before: "nginx:1.27", After: "nginx:1.28"}}},
		{"suppressed line makes it unchanged", live, bumped, Options{SuppressLines: []*regexp.Regexp{regexp.MustCompile(`image: nginx`)}}, Unchanged, nil},
		{"create", nil, live, Options{}, Create, nil},
		{"delete", live, nil, Options{}, Delete, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Compare(tt.before, tt.after, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if c.Action != tt.action {
				t.Errorf("action = %s, want %s", c.Action, tt.action)
			}
			if diff := cmp.Diff(tt.paths, c.Paths); diff != "" {
				t.Errorf("paths (-want +got):\n%s", diff)
			}
			if c.Kind != "Deployment" || c.Namespace != "shop" || c.Name != "web" || c.APIVersion != "apps/v1" {
				t.Errorf("identity = %s %s, want Deployment web in shop", c.APIVersion, c.Ref())
			}
		})
	}
}

const liveSecret = `
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"data":{"password":"c2VjcmV0LW9uZQ=="}}'
type: Opaque
data:
  password: c2VjcmV0LW9uZQ==
  user: YWRtaW4=
  old: b2xkLXZhbHVl
`

const desiredSecret = `
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"data":{"password":"c2VjcmV0LXR3bw=="}}'
type: Opaque
data:
  password: c2VjcmV0LXR3bw==
  user: YWRtaW4=
  token: dG9rZW4tdmFsdWU=
`

// secretValues are every value of the two Secrets, base64 and decoded.
var secretValues = []string{
	"c2VjcmV0LW9uZQ==", "c2VjcmV0LXR3bw==", "YWRtaW4=", "b2xkLXZhbHVl", "dG9rZW4tdmFsdWU=",
	"secret-one", "secret-two", "old-value", "token-value",
}

func TestSecretsMaskedInEveryFormat(t *testing.T) {
	before, after := obj(t, liveSecret), obj(t, desiredSecret)
	c, err := Compare(before, after, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cs := &ChangeSet{}
	cs.Add(c)
	var text, js bytes.Buffer
	if err := WriteText(&text, cs, TextOptions{Context: -1}); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&js, cs); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{text.String(), js.String()} {
		for _, v := range secretValues {
			if strings.Contains(out, v) {
				t.Errorf("output reveals %q:\n%s", v, out)
			}
		}
	}
	// Which keys were added, removed and changed still shows.
	wantPaths := []PathChange{
		{Path: ".data.old", Before: Masked},
		{Path: ".data.password", Before: MaskedBefore, After: MaskedAfter},
		{Path: ".data.token", After: Masked},
		{Path: `.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]`, Before: MaskedBefore, After: MaskedAfter},
	}
	if diff := cmp.Diff(wantPaths, c.Paths); diff != "" {
		t.Errorf("masked paths (-want +got):\n%s", diff)
	}
	for _, line := range []string{"-  old: '" + Masked + "'", "+  token: '" + Masked + "'", "-  password: '" + MaskedBefore + "'", "+  password: '" + MaskedAfter + "'", "   user: '" + Masked + "'"} {
		if !strings.Contains(text.String(), line+"\n") {
			t.Errorf("text lacks line %q:\n%s", line, text.String())
		}
	}

	shown, err := Compare(before, after, Options{ShowSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	text.Reset()
	cs = &ChangeSet{}
	cs.Add(shown)
	if err := WriteText(&text, cs, TextOptions{Context: -1}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"c2VjcmV0LW9uZQ==", "c2VjcmV0LXR3bw==", "dG9rZW4tdmFsdWU="} {
		if !strings.Contains(text.String(), v) {
			t.Errorf("ShowSecrets: output lacks %q:\n%s", v, text.String())
		}
	}
}

func TestSecretCreateMasked(t *testing.T) {
	c, err := Compare(nil, obj(t, desiredSecret), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WriteText(&out, &ChangeSet{Changes: []*ObjectChange{c}}, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, v := range secretValues {
		if strings.Contains(out.String(), v) {
			t.Errorf("output reveals %q:\n%s", v, out.String())
		}
	}
}

func TestForeign(t *testing.T) {
	live := obj(t, liveDeployment)
	mf := live.Object["metadata"].(map[string]any)["managedFields"].([]any)
	mf = append(mf,
		map[string]any{"manager": "kubectl-label", "operation": "Update", "apiVersion": "apps/v1", "fieldsType": "FieldsV1",
			"fieldsV1": map[string]any{"f:metadata": map[string]any{"f:labels": map[string]any{"f:team": map[string]any{}, "f:app": map[string]any{}}}}},
		map[string]any{"manager": "kubectl-edit", "operation": "Update", "apiVersion": "apps/v1", "fieldsType": "FieldsV1",
			"fieldsV1": map[string]any{"f:spec": map[string]any{"f:template": map[string]any{"f:spec": map[string]any{"f:containers": map[string]any{
				`k:{"name":"web"}`: map[string]any{"f:imagePullPolicy": map[string]any{}}}}}}}},
	)
	live.Object["metadata"].(map[string]any)["managedFields"] = mf
	live.SetLabels(map[string]string{"app": "web", "team": "payments"})
	tests := []struct {
		name   string
		owners []string
		want   []ForeignField
	}{
		{"other managers' fields, controllers left out", []string{"barge"}, []ForeignField{
			{Path: ".metadata.labels.team", Manager: "kubectl-label", Operation: "Update", Value: "payments"},
			{Path: `.spec.template.spec.containers[name="web"].imagePullPolicy`, Manager: "kubectl-edit", Operation: "Update", Value: "IfNotPresent"},
		}},
		{"a co-owner counts as the release's", []string{"barge", "kubectl-edit"}, []ForeignField{
			{Path: ".metadata.labels.team", Manager: "kubectl-label", Operation: "Update", Value: "payments"},
		}},
		{"no entry of the owners: nothing to compare with", []string{"helm"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Foreign(live, tt.owners, false)); diff != "" {
				t.Errorf("Foreign (-want +got):\n%s", diff)
			}
		})
	}
}

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

func TestFormatsGolden(t *testing.T) {
	live := obj(t, liveDeployment)
	scaled := live.DeepCopy()
	_ = unstructured.SetNestedField(scaled.Object, int64(3), "spec", "replicas")
	cs := &ChangeSet{Hooks: []Hook{{Kind: "Job", Name: "migrate", Events: []string{"pre-upgrade"}, Weight: -5}}}
	for _, pair := range [][2]*unstructured.Unstructured{
		{live, scaled},
		{nil, obj(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: new, namespace: shop}, data: {a: "1"}}`)},
		{obj(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: old, namespace: shop}, data: {b: "2"}}`), nil},
		{obj(t, `{apiVersion: v1, kind: Service, metadata: {name: web, namespace: shop}, spec: {ports: [{port: 80}]}}`),
			obj(t, `{apiVersion: v1, kind: Service, metadata: {name: web, namespace: shop}, spec: {ports: [{port: 80}]}}`)},
		{obj(t, liveSecret), obj(t, desiredSecret)},
	} {
		c, err := Compare(pair[0], pair[1], Options{Owners: []string{"barge"}})
		if err != nil {
			t.Fatal(err)
		}
		cs.Add(c)
	}
	cs.Add(NewKeep("v1", "PersistentVolumeClaim", "shop", "data"))
	tests := []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"text.golden", func(b *bytes.Buffer) error {
			return WriteText(b, cs, TextOptions{Context: 3, BeforeLabel: "live", AfterLabel: "upgrade"})
		}},
		{"text-color.golden", func(b *bytes.Buffer) error {
			return WriteText(b, cs, TextOptions{Context: 1, Color: true})
		}},
		{"summary.golden", func(b *bytes.Buffer) error { return WriteSummary(b, cs) }},
		{"changeset.json", func(b *bytes.Buffer) error { return WriteJSON(b, cs) }},
		{"nochange.golden", func(b *bytes.Buffer) error { return WriteText(b, &ChangeSet{}, TextOptions{}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.write(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, b.String())
		})
	}
}
