// Package storage keeps release records where Helm keeps them, so that Helm
// v3, Helm v4 and barge read and write the same release history.
//
// Secrets stores each revision as a Secret named
// sh.helm.release.v1.<name>.v<revision> of type helm.sh/release.v1 in the
// release's namespace, labelled name, owner=helm, status and version, holding
// the record as base64(gzip(JSON)) under data.release, exactly as Helm's
// Secrets driver does. Listing and history are built for large clusters:
// they select records by label on the server, read metadata only where
// labels suffice, and decode only the revisions and fields a table needs,
// in parallel.
//
// Memory keeps records in process, for client-side dry runs and tests.
//
// Both stores guard a release with a lock (Lock): a coordination.k8s.io Lease
// per release for Secrets, an in-process lock for Memory.
//
// This package does not render, apply or wait; it stores records.
package storage
