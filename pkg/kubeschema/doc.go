// Package kubeschema holds the object schemas of the Kubernetes API, embedded
// in barge, and checks rendered objects against them without a cluster.
//
// [Embedded] returns the schema of the Kubernetes release barge was built for;
// [Schema.WithCRDs] adds the custom resources defined by
// CustomResourceDefinition objects; [Schema.Validate], [Schema.ValidateDecoded]
// and [Schema.ValidateDocument] return the [Problem]s of one object (with
// their lines, for the last two; [FieldLine] finds the line of any field): a field of
// the wrong type, a required field missing, a field the API server does not
// know (and would drop), a value outside an enum. The checks are those of the
// schema alone: no defaulting, no admission, none of the API server's
// hand-written validation (names, label syntax, cross-field rules). A
// validator that errs is meant to err towards silence: an object a real API
// server accepts gives no problem.
//
// [LifecycleOf] tells when an apiVersion/kind was deprecated and removed, and
// what replaces it.
//
// The schema and the lifecycle table are generated from Kubernetes' own API
// definitions by hack/kubeschema; to regenerate them (the kubernetes module
// must be in the module cache):
//
//	go generate ./pkg/kubeschema
//
// Everything in this package may be used by several goroutines at once.
package kubeschema

//go:generate go run ../../hack/kubeschema -out .
