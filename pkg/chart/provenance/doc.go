// Package provenance signs chart archives and verifies their provenance
// files (.prov), in Helm's format, so that Helm verifies what barge signs
// and barge verifies what Helm signs.
//
// A provenance file is an OpenPGP clear-signed message. The message holds
// the chart's Chart.yaml metadata as YAML, a "..." line, then a YAML map
// `files:` from the archive's base name to "sha256:" and the hex SHA-256 of
// the archive. The signature is made with SHA-512, as Helm makes it. Sign
// writes one; Verify checks the signature against a keyring, then the
// archive's digest against the one signed.
//
// Keyrings are read as Helm v4 reads them: a binary OpenPGP keyring
// (GnuPG 1's pubring.gpg and secring.gpg, `gpg --export` and
// `gpg --export-secret-keys`), an ASCII-armored one (`gpg --export --armor`,
// several concatenated blocks too), or a GnuPG 2 keybox (pubring.kbx, which
// holds public keys only). Keyrings and provenance files are read
// bounded (see MaxKeyring and MaxProvenance), and archives as
// pkg/chart/archive reads them.
//
// The OpenPGP work is done by github.com/ProtonMail/go-crypto, the library
// Helm uses; this package only selects keys, builds and parses the message
// and turns failures into errors that name the file at fault and the fix.
// It does not fetch archives or provenance files, and does not prompt for
// passphrases: callers pass them in (see ReadPassphrase).
//
// Keyrings and Signers are safe for use by several goroutines at once once
// made, except Signer.Unlock, which must be called before the Signer is
// shared.
package provenance
