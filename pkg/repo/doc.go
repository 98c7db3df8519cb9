// Package repo is barge's library for Helm chart repositories, sharing
// Helm's files:
//
//   - Paths: where repositories.yaml and the repository cache are, resolved
//     from the environment as Helm resolves them (BARGE_* twins win).
//   - Config: repositories.yaml in Helm's format; UpdateConfig changes it
//     under the flock Helm's "repo add" takes, so that barge and Helm never
//     lose each other's entries.
//   - Index: index.yaml. ParseIndex checks each entry on its own and keeps
//     the good ones; (*Index).Lookup picks a version with Helm's rules.
//   - Cache: the downloaded indexes. Update writes Helm's <name>-index.yaml
//     and <name>-charts.txt and barge's compact form beside them; Load
//     reads the compact form in milliseconds (rebuilding it when Helm
//     rewrote the YAML); Search is "helm search repo".
//   - GenerateIndex and IndexDirectory: "repo index DIR --url --merge".
//   - Resolver: Locate turns a chart reference (a path, repo/chart, a name
//     with --repo, a URL) into a chart on disk, downloading archives once,
//     checking them against the index's digest and keeping them by digest.
//
// Where barge differs from Helm (bounded reads, entries checked one by one,
// digests checked, created times kept for unchanged archives), the function
// says so.
//
// HTTP is package getter's job (repo/getter), so that its rules on
// credentials, TLS, limits and errors are in one place. This package knows
// nothing of OCI registries nor of command-line flags: the CLI binds flags to
// the types here (Ref, Entry, SearchOptions, IndexOptions).
//
// Config and Index values are not safe for concurrent changes; an Index may
// be read (Lookup, SearchIndexes) by several goroutines at once. A Cache and
// a Resolver may be used by several goroutines at once, and several processes
// may share the cache directory.
package repo
