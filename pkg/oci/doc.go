// Package oci is barge's client for charts in OCI registries, in Helm's
// format, on oras-go (oras.land/oras-go/v2):
//
//   - ParseReference reads oci://HOST[:PORT]/PATH/CHART[:TAG][@DIGEST].
//   - Client.Tags, Client.Versions and Client.ResolveVersion list a chart's
//     tags, as SemVer versions newest first (Helm writes '+' as '_' in a
//     tag), and pick the one a version or range asks for.
//   - Client.Pull fetches a chart by tag, by version range or by digest: the
//     manifest, the config and the chart layer are bounded in size and
//     checked against their digests, and the archive is kept in a cache by
//     digest, fetched once however many callers ask for it at once.
//   - Client.Push uploads a chart archive (and its .prov) with exactly the
//     media types, manifest and annotations Helm writes, so that Helm v3
//     and v4 pull what barge pushes, and the reverse.
//   - Client.Login and Client.Logout keep credentials where Helm keeps them,
//     a Docker config.json (HELM_REGISTRY_CONFIG), with Docker's credential
//     helpers, so a `helm registry login` serves barge and the reverse.
//
// Every error a registry causes is an *Error: one line naming the reference,
// what went wrong and the fix, wrapping one of the Err* values of this
// package. Nothing from the network is trusted: sizes are bounded before a
// byte is read, digests are checked before anything is cached, and
// credentials are neither logged nor sent to another host than the one they
// are for (redirects included).
//
// The package knows nothing of command-line flags, chart repositories
// (package repo) or signatures (package provenance): a .prov is carried as
// bytes. A Client may be used by several goroutines at once.
package oci
