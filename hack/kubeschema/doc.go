// Command kubeschema generates the data embedded by package
// github.com/bargehq/barge/pkg/kubeschema: a compact form of the Kubernetes
// API's object schemas, read from the swagger.json that the kubernetes module
// ships, and the table of API lifecycles (deprecation, removal, replacement),
// read from the prerelease-lifecycle methods of the types in k8s.io/api plus a
// few facts for APIs that k8s.io/api no longer has.
//
// It is run by go generate in pkg/kubeschema:
//
//	go generate ./pkg/kubeschema
//
// The kubernetes module must be in the module cache
// (go mod download k8s.io/kubernetes@v1.37.2); the build of barge itself never
// needs it, because the generated files are committed.
package main
