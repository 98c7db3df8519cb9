package kubeschema_test

import (
	"fmt"

	"github.com/bargehq/barge/pkg/kubeschema"
)

func ExampleSchema_ValidateDocument() {
	schema, err := kubeschema.Embedded()
	if err != nil {
		panic(err)
	}
	problems, known, err := schema.ValidateDocument(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicass: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - image: nginx
          env:
            - {name: DEBUG, value: yes}
`)
	if err != nil {
		panic(err)
	}
	fmt.Println("known:", known)
	for _, p := range problems {
		fmt.Printf("line %d: %s (%s)\n", p.Line, p.Message, p.Kind)
	}
	// Output:
	// known: true
	// line 6: spec.replicass: unknown field (did you mean "replicas"?) (UnknownField)
	// line 14: spec.template.spec.containers[0]: missing required field "name" (MissingRequired)
	// line 16: spec.template.spec.containers[0].env[0].value: expected string, got boolean true (TypeMismatch)
}

func ExampleLifecycleOf() {
	l, ok := kubeschema.LifecycleOf("extensions/v1beta1", "Ingress")
	target, _ := kubeschema.ParseVersion("v1.37.2")
	fmt.Println(ok, l.Deprecated, l.Removed, l.RemovedIn(target), l.Replacement)
	// Output:
	// true 1.14 1.22 true networking.k8s.io/v1 Ingress
}
