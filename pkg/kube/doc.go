// Package kube is barge's door to a Kubernetes cluster: client configuration,
// discovery and REST mapping, server-side apply, deletion, live reads and
// waiting for readiness with kstatus.
//
// It knows nothing of charts or releases: callers hand it unstructured objects.
package kube
