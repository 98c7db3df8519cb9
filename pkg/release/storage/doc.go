// Package storage keeps release records where Helm keeps them, so that Helm
// v3, Helm v4 and barge read and write the same release history.
//
// Secrets stores each revision as a Secret named
// sh.helm.release.v1.<name>.v<revision> of type helm.sh/release.v1 in the
// release's namespace, labelled name, owner=helm, status and version, holding
// the record as base64(gzip(JSON)) under data.release, exactly as Helm's
// Secrets driver does. Records barge writes also carry their summary (what
// a list or history row shows) in the annotation SummaryAnnotation, which
// Helm ignores and drops when it rewrites a record. Listing and history are
// built for large clusters: they read the records' metadata only, take each
// summary from the annotation where it still matches the labels, and for
// the other records (those Helm wrote) fetch only the revisions needed,
// selected by label on the server, and decode only the fields a table
// shows, in parallel. They also carry a digest of their content
// (DigestAnnotation), which ListMeta returns where it can be trusted, so that
// a caller can tell from metadata alone whether a release is in a desired
// state. ListRecords lists whole records by label, their data left encoded
// until a caller decodes them.
//
// A record larger than a Secret holds (1 MiB) is stored in part Secrets
// behind a small stub in Helm's format that Helm lists and refuses to
// upgrade or roll back (see PartsAnnotation and docs/storage.md), up to
// MaxRecordSize; CheckRecord tells before an operation whether its record
// can be stored.
//
// Secrets talks to the API server through REST clients of its own, which
// know only Secrets, Leases and the options of requests, and exchange them
// as protobuf: it does not link client-go's clientset, whose package
// initialisation registers every API group.
//
// Secrets can compress a record on another goroutine ahead of its write
// (Precode), for the record an operation writes as it ends.
//
// Memory keeps records in process, for client-side dry runs and tests.
//
// Both stores guard a release with a lock (Lock): a coordination.k8s.io Lease
// per release for Secrets, an in-process lock for Memory.
//
// This package does not render, apply or wait; it stores records.
package storage
