// Package discovery asks a Kubernetes API server what it is: its version,
// and the API groups, versions and resources it serves.
//
// It reads the aggregated discovery documents of /api and /apis (one
// request each) when the server serves them, and falls back to the legacy
// documents otherwise: the group lists of /api and /apis, then one request
// per group version. It is a small replacement for client-go's discovery
// package that links neither client-go's typed clientset and its scheme
// nor the OpenAPI libraries, whose package initialisation every process
// would pay for.
//
// It does not cache: callers that want a cache keep the lists they were
// given (package kube keeps them on disk), and it does not map kinds to
// resources (package kube builds a REST mapper from the lists).
//
// A Client may be used by several goroutines at once.
package discovery
