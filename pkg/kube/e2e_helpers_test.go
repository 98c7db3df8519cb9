package kube_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/bargehq/barge/internal/localcluster"
	"github.com/bargehq/barge/pkg/kube"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// newClient returns a Client on the local cluster whose default namespace
// is a fresh one for t, with its discovery cache in a temporary directory.
func newClient(t testing.TB) (*kube.Client, string) {
	t.Helper()
	c := localcluster.Get(t)
	ns := c.Namespace(t)
	kc, err := kube.NewForRESTConfig(c.RESTConfig(), kube.WithNamespace(ns), kube.WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	return kc, ns
}

// manifest parses one YAML object.
func manifest(t testing.TB, s string) *unstructured.Unstructured {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(j); err != nil {
		t.Fatalf("manifest: %v\n%s", err, s)
	}
	return u
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func deployment(name string, replicas int) string {
	return `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ` + name + `
spec:
  replicas: ` + strconv.Itoa(replicas) + `
  selector:
    matchLabels: {app: ` + name + `}
  template:
    metadata:
      labels: {app: ` + name + `}
    spec:
      containers:
      - name: web
        image: nginx:1.27
`
}
