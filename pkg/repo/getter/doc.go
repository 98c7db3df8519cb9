// Package getter fetches chart repository files, indexes and chart
// archives, over HTTP and HTTPS, as Helm's HTTP getter does: basic
// authentication, a client certificate, a CA bundle, skipping the server
// certificate check, a timeout and a proxy from the environment.
//
// On top of Helm's behaviour it bounds every body (an index and an archive
// each have a size limit), sends credentials only to the repository's own
// scheme, host and port (unless Repo.PassCredentialsAll), redirects included,
// names the repository, the URL and the fix in every error, and can report
// each request, without credentials, to a debug log.
//
// URLs of other schemes go to the Client's Downloaders (Helm's downloader
// plugins, given by the caller), bounded by the same limits.
//
// It knows nothing of repositories.yaml, indexes or charts: package repo does
// that, on top of this package. It does not speak OCI.
//
// A Client may be used by several goroutines at once.
package getter
