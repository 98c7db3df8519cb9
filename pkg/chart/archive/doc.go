// Package archive reads, unpacks and writes chart archives: the gzipped tar
// files (.tgz) that `helm package` makes and chart repositories serve.
//
// Everything in an archive is untrusted. Read checks every entry before it
// keeps it: the path must lie inside the chart's one top-level directory
// (no "..", no absolute paths, backslashes, NUL bytes or Windows drive
// letters), only regular files and directories are allowed (no links,
// devices or FIFOs), no entry may appear twice, and Limits bound the
// compressed size, the uncompressed size of each file and of the whole, and
// the number of entries, all counted while reading so that a decompression
// bomb stops at the limit. Subchart archives under charts/ are checked the
// same way, against the same limits, before Helm's loader ever sees them.
// A refused archive is reported as an *Error that names the archive, the
// entry at fault and what to do.
//
// Load and LoadFile turn an archive into a *chart.Chart with Helm's loader
// (helm.sh/helm/v3/pkg/chart/loader); Untar unpacks one into a directory as
// `helm pull --untar` does, all or nothing; Package and Write make archives
// that Helm accepts, as `helm package` does, byte for byte reproducible.
//
// The package does not fetch charts, verify provenance files or resolve
// dependencies; it works on bytes and directories already at hand. It holds
// no state: its functions may be called from several goroutines at once.
package archive
