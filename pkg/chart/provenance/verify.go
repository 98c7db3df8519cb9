package provenance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"sigs.k8s.io/yaml"
)

// Verification is what Verify found: who signed an archive, and its
// digest.
type Verification struct {
	// SignedBy is the key that signed the provenance file (its primary
	// key, when a subkey signed).
	SignedBy Key
	// FileName is the archive's name as the provenance file lists it.
	FileName string
	// FileHash is the archive's digest, "sha256:HEX", as signed.
	FileHash string
	// Chart and Version are the chart's name and version from the signed
	// Chart.yaml.
	Chart, Version string
}

// Verify checks that prov, the provenance file of the chart archive at
// path, is signed by a key of k and signs the archive as it is, listed
// under its base name: what `helm verify` checks. See VerifyAs.
func Verify(ctx context.Context, path string, prov []byte, k *Keyring) (*Verification, error) {
	return VerifyAs(ctx, path, filepath.Base(path), prov, k)
}

// VerifyAs is Verify for an archive kept under another name than the one
// it was signed as (a download cached by digest): name is the file name
// the provenance file must list, such as "mychart-1.0.0.tgz".
//
// The signature is checked first, then the archive's SHA-256. Each way of
// failing is an *Error naming path, wrapping ErrTooLarge, ErrMalformed,
// ErrUnknownKey, ErrKeyInvalid, ErrBadSignature, ErrOtherFile or
// ErrTampered: a provenance file over MaxProvenance bytes, one that is not
// Helm's clear-signed message, one signed by a key not in k, or by an
// expired or revoked key, one changed after it was signed, one for another
// archive, and an archive changed after it was signed. The archive is
// hashed as it is read; ctx stops the read.
func VerifyAs(ctx context.Context, path, name string, prov []byte, k *Keyring) (*Verification, error) {
	if len(prov) > MaxProvenance {
		return nil, archiveError(path, ErrTooLarge, nil, "its provenance file is %d bytes, over the limit of %d; it is not a provenance file Helm or barge wrote", len(prov), MaxProvenance)
	}
	block, _ := clearsign.Decode(prov)
	if block == nil || block.ArmoredSignature == nil {
		return nil, archiveError(path, ErrMalformed, nil, "its provenance file holds no PGP signed message (signature block not found); fetch %s.prov again, or sign the archive again", name)
	}
	signer, err := block.VerifySignature(k.entities, pgpConfig())
	if err != nil {
		return nil, signatureError(path, name, k, prov, err)
	}
	v := &Verification{SignedBy: keyOf(signer), FileName: name}

	meta, files, ok := bytes.Cut(block.Plaintext, []byte("\n...\n"))
	if !ok {
		return nil, archiveError(path, ErrMalformed, nil, "its provenance file is signed by %s but its message has no \"...\" line between Chart.yaml and the files' digests; sign the archive again", v.SignedBy)
	}
	var s sums
	if err := yaml.Unmarshal(files, &s); err != nil {
		return nil, archiveError(path, ErrMalformed, err, "its provenance file is signed by %s but its files' digests do not parse (%v); sign the archive again", v.SignedBy, err)
	}
	var chart struct{ Name, Version string }
	if err := yaml.Unmarshal(meta, &chart); err == nil {
		v.Chart, v.Version = chart.Name, chart.Version
	}
	want, ok := s.Files[name]
	if !ok {
		if len(s.Files) == 0 {
			return nil, archiveError(path, ErrMalformed, nil, "its provenance file, signed by %s, lists no file's digest; sign the archive again", v.SignedBy)
		}
		return nil, archiveError(path, ErrOtherFile, nil, "provenance does not contain a SHA for a file named %q: it signs %s; it is the provenance file of another archive: fetch %s.prov", name, strings.Join(sortedKeys(s.Files), ", "), name)
	}
	got, err := hashFile(ctx, path)
	if err != nil {
		return nil, err
	}
	if got != want {
		return nil, archiveError(path, ErrTampered, nil, "sha256 sum does not match its provenance file: the archive is %s, %s signed %s; the archive changed after it was signed: download it again from its source", got, v.SignedBy, want)
	}
	v.FileHash = got
	return v, nil
}

// signatureError explains why the signature of prov, the provenance file
// of the archive at path, did not verify with k.
func signatureError(path, name string, k *Keyring, prov []byte, err error) error {
	var sigErr pgperrors.SignatureError
	switch {
	case errors.Is(err, pgperrors.ErrUnknownIssuer):
		return archiveError(path, ErrUnknownKey, err, "its provenance file is signed by key %s, which keyring %s does not hold (signature made by unknown entity); import the signer's public key (gpg --import KEY.asc, then gpg --export KEY >> %s) or name the keyring holding it with --keyring", issuer(prov), k.name, k.name)
	case errors.Is(err, pgperrors.ErrKeyExpired), errors.Is(err, pgperrors.ErrKeyRevoked), errors.Is(err, pgperrors.ErrSignatureExpired):
		return archiveError(path, ErrKeyInvalid, err, "its provenance file is signed by key %s of keyring %s, but %v; ask the publisher for an archive signed with a valid key", issuer(prov), k.name, err)
	case errors.As(err, &sigErr):
		return archiveError(path, ErrBadSignature, err, "the signature of its provenance file does not match the file (%v): the provenance file changed after it was signed; fetch %s.prov again", err, name)
	}
	return archiveError(path, ErrMalformed, err, "the signature of its provenance file cannot be checked (%v); fetch %s.prov again, or sign the archive again", err, name)
}

// issuer returns the key ID that signed prov, in hex, or "(unknown)".
func issuer(prov []byte) string {
	block, _ := clearsign.Decode(prov)
	if block == nil || block.ArmoredSignature == nil {
		return "(unknown)"
	}
	p, err := packet.NewReader(block.ArmoredSignature.Body).Next()
	if err != nil {
		return "(unknown)"
	}
	sig, ok := p.(*packet.Signature)
	switch {
	case !ok:
		return "(unknown)"
	case sig.IssuerFingerprint != nil:
		return fmt.Sprintf("%X", sig.IssuerFingerprint)
	case sig.IssuerKeyId != nil:
		return fmt.Sprintf("%016X", *sig.IssuerKeyId)
	}
	return "(unknown)"
}

// sortedKeys returns the keys of m, sorted.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
