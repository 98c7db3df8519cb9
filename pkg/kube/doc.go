// Package kube is barge's door to a Kubernetes cluster: client
// configuration, discovery and REST mapping, server-side apply, deletion,
// live reads, and waiting with kstatus for objects to be ready, deleted or
// complete.
//
// It knows nothing of charts or releases: callers hand it
// *unstructured.Unstructured objects and decide the order (SortForInstall,
// SortForUninstall give Helm's) and the ownership rules.
//
// A Client is made once per cluster with New and shared: its methods may be
// called from many goroutines at once, and a fleet of releases uses a single
// Client, with one discovery cache (one file per API server under
// $XDG_CACHE_HOME/barge/discovery, filled by package discovery), one REST
// mapper and one client-side rate limiter. Waits watch objects with
// informers of their own and compute readiness with kstatus.
// Requests the server refuses for load (429, API priority and fairness) or
// fails transiently are retried with backoff.
//
// The usual sequence for an install is:
//
//	kube.SortForInstall(objs)
//	c.ApplyCRDs(ctx, crds, opts) then c.WaitEstablished(ctx, crds, timeout)
//	c.Apply(ctx, objs, opts)
//	c.Wait(ctx, objs, kube.WaitOptions{Timeout: timeout})
package kube
