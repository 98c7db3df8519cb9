// Package repo is barge's library for Helm chart repositories: the
// repositories.yaml Helm and barge share (Config, UpdateConfig and the lock
// Helm takes), the repository cache (Paths), index.yaml (ParseIndex,
// (*Index).Lookup), the cache of downloaded indexes with barge's compact form
// beside Helm's files (Cache: Update, Load, Search), index generation for a
// directory of packaged charts (IndexDirectory), and the resolution of a
// chart reference to a chart on disk (Resolver.Locate), downloading and
// caching archives by digest.
//
// It follows Helm's file formats, file names and rules, so that barge and
// Helm read each other's files; where it differs (bounded reads, entries of
// an index checked one by one, digests checked), the documentation of the
// function says so.
//
// HTTP is package getter's job; this package knows nothing of OCI
// registries, nor of command-line flags: the CLI binds flags to the types
// here.
package repo
