package provenance

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
)

// MaxKeyring bounds the bytes of a keyring file. GnuPG keyrings of a few
// hundred keys take a few MiB; a larger file is refused before it is read.
const MaxKeyring = 32 << 20

// Keyring is a set of OpenPGP keys read from one keyring file: public keys
// to verify provenance files with, and private keys to sign archives with.
// A Keyring is not changed once read, and may be used by several goroutines
// at once.
type Keyring struct {
	name     string
	entities openpgp.EntityList
}

// LoadKeyring reads the keyring file at path, in any of the formats
// ReadKeyring takes. A file over MaxKeyring is refused before it is read.
// Errors are *Error values naming path and the fix.
func LoadKeyring(ctx context.Context, path string) (*Keyring, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, keyringError(path, ErrKeyring, err, "no such file; %s", missingKeyringFix(path))
		}
		return nil, keyringError(path, ErrKeyring, err, "%v", unwrapPath(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, keyringError(path, ErrKeyring, err, "%v", unwrapPath(err))
	}
	if fi.IsDir() {
		return nil, keyringError(path, ErrKeyring, nil, "is a directory; give the keyring file in it, such as %s", filepath.Join(path, "pubring.gpg"))
	}
	if fi.Mode().IsRegular() && fi.Size() > MaxKeyring {
		return nil, keyringError(path, ErrTooLarge, nil, "the file is %d bytes, over the limit of %d for a keyring; export only the keys needed with gpg --export KEY... > keyring.gpg", fi.Size(), MaxKeyring)
	}
	return ReadKeyring(f, path)
}

// missingKeyringFix says how to make the keyring file a user named and
// that does not exist.
func missingKeyringFix(path string) string {
	if strings.HasSuffix(path, "secring.gpg") {
		return "GnuPG 2 keeps secret keys apart from its keyrings: export the signing key with gpg --export-secret-keys KEY > " + path
	}
	return "export the public keys to verify with into it with gpg --export KEY > " + path + ", or name another file with --keyring"
}

// unwrapPath returns the error of a *fs.PathError without the path, which
// the caller's message names already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ReadKeyring reads a keyring from r, which users know as name (a path),
// reading at most MaxKeyring bytes. It takes the formats GnuPG exports and
// keeps keyrings in:
//
//   - a binary OpenPGP keyring: GnuPG 1's pubring.gpg and secring.gpg, the
//     output of gpg --export or gpg --export-secret-keys;
//   - an ASCII-armored keyring, one "-----BEGIN PGP PUBLIC KEY BLOCK-----"
//     (or PRIVATE) block or several concatenated;
//   - a GnuPG 2 keybox, pubring.kbx, whose public keys are read (GnuPG 2
//     keeps private keys elsewhere).
//
// Keys of algorithms the OpenPGP library does not support are skipped, as
// long as one key is read. Errors are *Error values naming name and the fix.
func ReadKeyring(r io.Reader, name string) (*Keyring, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxKeyring+1))
	if err != nil {
		return nil, keyringError(name, ErrKeyring, err, "%v", unwrapPath(err))
	}
	if len(data) > MaxKeyring {
		return nil, keyringError(name, ErrTooLarge, nil, "over the limit of %d bytes for a keyring; export only the keys needed with gpg --export KEY... > keyring.gpg", MaxKeyring)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, keyringError(name, ErrKeyring, nil, "the file is empty; export keys into it with gpg --export KEY (public keys, to verify) or gpg --export-secret-keys KEY (to sign)")
	}
	var ring openpgp.EntityList
	switch {
	case isKeybox(data):
		keys, err := keyboxKeys(data)
		if err != nil {
			return nil, keyringError(name, ErrKeyring, err, "GnuPG keybox: %v; export the keys with gpg --export KEY > pubring.gpg and use that file", err)
		}
		ring, err = openpgp.ReadKeyRing(bytes.NewReader(keys))
		if err != nil {
			return nil, keyringError(name, ErrKeyring, err, "GnuPG keybox: %v; export the keys with gpg --export KEY > pubring.gpg and use that file", err)
		}
	case bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN PGP")):
		ring, err = readArmoredKeyring(data)
		if err != nil {
			return nil, keyringError(name, ErrKeyring, err, "armored keyring: %v; export it again with gpg --export --armor KEY", err)
		}
	default:
		ring, err = openpgp.ReadKeyRing(bytes.NewReader(data))
		if err != nil {
			return nil, keyringError(name, ErrKeyring, err, "not an OpenPGP keyring (%v); give a keyring written by gpg --export KEY (public keys) or gpg --export-secret-keys KEY (to sign)", err)
		}
	}
	if len(ring) == 0 {
		return nil, keyringError(name, ErrKeyring, nil, "holds no key; export keys into it with gpg --export KEY (public keys, to verify) or gpg --export-secret-keys KEY (to sign)")
	}
	return &Keyring{name: name, entities: ring}, nil
}

// readArmoredKeyring reads every armored key block of data, in order.
func readArmoredKeyring(data []byte) (openpgp.EntityList, error) {
	var ring openpgp.EntityList
	// One buffered reader for all the blocks: armor.Decode reads ahead
	// through a bufio.Reader, and uses this one rather than make its own.
	r := bufio.NewReader(bytes.NewReader(data))
	for n := 1; ; n++ {
		block, err := armor.Decode(r)
		if errors.Is(err, io.EOF) {
			if n == 1 {
				return nil, errors.New("no armored block found")
			}
			return ring, nil
		}
		if err != nil {
			return nil, fmt.Errorf("block %d: %w", n, err)
		}
		if block.Type != openpgp.PublicKeyType && block.Type != openpgp.PrivateKeyType {
			return nil, fmt.Errorf("block %d is a %q, not a public or private key block", n, block.Type)
		}
		keys, err := openpgp.ReadKeyRing(block.Body)
		if err != nil {
			return nil, fmt.Errorf("block %d: %w", n, err)
		}
		ring = append(ring, keys...)
	}
}

// Name returns the keyring's name, as it was given to LoadKeyring or
// ReadKeyring.
func (k *Keyring) Name() string { return k.name }

// Keys returns a description of each key of the keyring, in the keyring's
// order.
func (k *Keyring) Keys() []Key {
	keys := make([]Key, len(k.entities))
	for i, e := range k.entities {
		keys[i] = keyOf(e)
	}
	return keys
}

// Key describes an OpenPGP key: its primary key and user identities.
type Key struct {
	// Identities are the key's user IDs, "Name (comment) <email>", sorted.
	Identities []string
	// Fingerprint is the primary key's fingerprint in upper-case hex, as
	// `helm verify` prints it.
	Fingerprint string
	// KeyID is the primary key's long key ID: the last 16 hex digits of
	// Fingerprint.
	KeyID string
	// Private reports whether the keyring holds the private key too.
	Private bool
}

// keyOf describes e.
func keyOf(e *openpgp.Entity) Key {
	k := Key{
		Identities:  identities(e),
		Fingerprint: fmt.Sprintf("%X", e.PrimaryKey.Fingerprint),
		KeyID:       fmt.Sprintf("%016X", e.PrimaryKey.KeyId),
		Private:     e.PrivateKey != nil,
	}
	return k
}

// String returns the key's first identity and its key ID, or the key ID
// alone.
func (k Key) String() string {
	if len(k.Identities) == 0 {
		return k.KeyID
	}
	return fmt.Sprintf("%q (%s)", k.Identities[0], k.KeyID)
}
