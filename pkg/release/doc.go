// Package release is barge's release engine and its record type.
//
// Release is one revision of a release in Helm's own record format, so that
// Helm v3, Helm v4 and barge can take turns on the same release. Storing
// records is the job of package storage; this package defines what a record
// is and the errors stores return (ErrNotFound, ErrExists, ErrNoDeployed,
// ErrLocked).
package release
