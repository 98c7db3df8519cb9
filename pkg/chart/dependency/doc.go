// Package dependency fetches the dependencies a chart directory declares
// into its charts/ directory, as "helm dependency update" and "helm
// dependency build" do, with Helm's files: the dependencies listed in
// Chart.yaml (apiVersion v2) or requirements.yaml (v1), locked in
// Chart.lock or requirements.lock, whose digest is Helm's (LockDigest), so
// that Helm builds from a lock barge wrote and barge from one Helm wrote.
//
// A dependency's repository is taken as Helm takes it:
//
//   - "" : the chart is unpacked in charts/NAME already; its version is
//     checked, nothing is fetched;
//   - "file://PATH": a chart directory, relative to the chart (or
//     absolute), packaged into charts/;
//   - "@NAME" or "alias:NAME": the repository NAME of repositories.yaml;
//   - an http:// or https:// URL: the configured repository with that URL
//     (its credentials and TLS settings are used), or else, for Update
//     only, the repository at that URL fetched directly, without
//     credentials, its index cached under Helm's own name for it
//     (helm-manager-<sha256 of the URL>). Build, like Helm's, takes
//     dependencies from configured repositories only.
//
// Update refreshes the indexes of the repositories involved, resolves each
// version constraint to the newest version that satisfies it, fetches the
// archives, and writes the lock; Build fetches the versions the lock names.
// Both fetch every archive through a repo.Resolver, which bounds downloads,
// checks them against the index's digest and caches them by digest, and load
// each archive (bounded, checked, with package archive) before it goes into
// charts/. Nothing reaches charts/ until every dependency is fetched: the
// new archives are then moved in, each by a rename, and the old archives
// of those dependencies removed. Nothing is written outside charts/ but the
// lock file and the repository cache.
//
// The package does not verify provenance files nor speak OCI. condition,
// tags, alias and import-values are left to the loader and the renderer:
// fetching ignores them, as Helm's does.
//
// Update, Build and UpdateIfMissing may be called from several goroutines
// at once for different charts; two calls on one chart at once are not
// coordinated (the last rename wins).
package dependency
