package provenance

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Signer is a private key of a keyring, selected to sign archives with.
// Unlock it first if it is protected by a passphrase. Once unlocked, a
// Signer may sign from several goroutines at once.
type Signer struct {
	keyring string
	entity  *openpgp.Entity
	key     openpgp.Key
}

// Signer selects the key named key to sign with, as `helm package --sign
// --key` does: the key with a user ID equal to key, else the only key with
// a user ID containing it ("Jane", "jane@example.com"). barge takes a key
// ID or fingerprint too, in hex, as gpg does ("0x1234ABCD...", with or
// without 0x, any case, the last 8 or 16 digits or all of them). It is an
// error, naming the keyring and wrapping ErrNoKey, if no key matches, if
// several do, or if the keyring holds only the public part of the key or
// of its signing key.
func (k *Keyring) Signer(key string) (*Signer, error) {
	if key == "" {
		return nil, keyringError(k.name, ErrNoKey, nil, "no signing key named; name one of its keys by user ID, email or key ID (--key)")
	}
	var exact, partial []*openpgp.Entity
	for _, e := range k.entities {
		switch matchKey(e, key) {
		case matchExact:
			exact = append(exact, e)
		case matchPartial:
			partial = append(partial, e)
		}
	}
	candidates := dedupe(exact)
	if len(candidates) == 0 {
		candidates = dedupe(partial)
	}
	switch len(candidates) {
	case 0:
		return nil, keyringError(k.name, ErrNoKey, nil, "no key matches %q; list its keys with gpg --list-secret-keys, or name another keyring with --keyring", key)
	case 1:
	default:
		names := make([]string, len(candidates))
		for i, e := range candidates {
			names[i] = keyOf(e).String()
		}
		return nil, keyringError(k.name, ErrNoKey, nil, "more than one key contain the id %q: %s; name one by its full user ID or key ID", key, strings.Join(names, ", "))
	}
	e := candidates[0]
	if e.PrivateKey == nil {
		return nil, keyringError(k.name, ErrNoKey, nil, "holds only the public key of %s; provided key is not a private key. Try providing a keyring with secret keys: gpg --export-secret-keys %s > secring.gpg", keyOf(e), keyOf(e).KeyID)
	}
	sk, ok := e.SigningKey(time.Now())
	if !ok {
		return nil, keyringError(k.name, ErrNoKey, nil, "key %s cannot sign: it has expired or was revoked, or has no signing key; use another key", keyOf(e))
	}
	if sk.PrivateKey == nil || sk.PrivateKey.Dummy() {
		return nil, keyringError(k.name, ErrNoKey, nil, "holds only the public part of the signing key %016X of %s (it may be on a smartcard); export a keyring with the secret signing key: gpg --export-secret-keys %s > secring.gpg", sk.PublicKey.KeyId, keyOf(e), keyOf(e).KeyID)
	}
	return &Signer{keyring: k.name, entity: e, key: sk}, nil
}

// keyMatch is how well a key matches a --key name.
type keyMatch int

const (
	matchNone keyMatch = iota
	matchPartial
	matchExact
)

// matchKey returns how well e matches name: by a user ID equal to it or
// containing it, or by a key ID or fingerprint ending with it (exact).
func matchKey(e *openpgp.Entity, name string) keyMatch {
	best := matchNone
	for id := range e.Identities {
		if id == name {
			return matchExact
		}
		if strings.Contains(id, name) {
			best = matchPartial
		}
	}
	hex := strings.ToUpper(strings.TrimPrefix(strings.TrimPrefix(name, "0x"), "0X"))
	if len(hex) == 8 || len(hex) == 16 || len(hex) == 40 || len(hex) == 64 {
		fprs := []string{fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)}
		for _, s := range e.Subkeys {
			fprs = append(fprs, fmt.Sprintf("%X", s.PublicKey.Fingerprint))
		}
		for _, f := range fprs {
			if strings.HasSuffix(f, hex) {
				return matchExact
			}
		}
	}
	return best
}

// dedupe returns es with each primary key once, preferring the entities
// that hold the private key: a keyring concatenated from a public and a
// secret export holds a key twice.
func dedupe(es []*openpgp.Entity) []*openpgp.Entity {
	var out []*openpgp.Entity
	seen := map[string]int{}
	for _, e := range es {
		fpr := string(e.PrimaryKey.Fingerprint)
		i, ok := seen[fpr]
		switch {
		case !ok:
			seen[fpr] = len(out)
			out = append(out, e)
		case out[i].PrivateKey == nil && e.PrivateKey != nil:
			out[i] = e
		}
	}
	return out
}

// Key describes the signer's key.
func (s *Signer) Key() Key { return keyOf(s.entity) }

// Locked reports whether the signer's key is protected by a passphrase and
// not unlocked yet.
func (s *Signer) Locked() bool { return s.key.PrivateKey.Encrypted }

// Unlock decrypts the signer's key with passphrase. A key with no
// passphrase needs no unlocking: Unlock returns nil. It is an error,
// wrapping ErrPassphrase and naming the keyring, if the passphrase is
// wrong, or none is given (nil) for a protected key. Unlock changes the
// key of the Keyring the Signer came from, and must not be called while
// the Signer or the Keyring is in use by another goroutine.
func (s *Signer) Unlock(passphrase []byte) error {
	if !s.Locked() {
		return nil
	}
	if passphrase == nil {
		return keyringError(s.keyring, ErrPassphrase, nil, "key %s is protected by a passphrase; give it with --passphrase-file FILE (- reads it from stdin)", s.Key())
	}
	if err := s.entity.DecryptPrivateKeys(passphrase); err != nil {
		return keyringError(s.keyring, ErrPassphrase, err, "the passphrase does not unlock key %s (%v); check the passphrase file", s.Key(), err)
	}
	if s.key.PrivateKey.Encrypted {
		return keyringError(s.keyring, ErrPassphrase, nil, "the passphrase does not unlock the signing key of %s; check the passphrase file", s.Key())
	}
	return nil
}

// MaxPassphrase bounds the bytes read from a passphrase file.
const MaxPassphrase = 64 << 10

// ReadPassphrase reads a passphrase as `helm package --passphrase-file`
// does: the first line of the file at path, or of stdin when path is "-",
// without its line ending. At most MaxPassphrase bytes are read. An empty
// file or stdin is an error naming it.
func ReadPassphrase(path string, stdin io.Reader) ([]byte, error) {
	name := "passphrase file " + path
	var r io.Reader
	if path == "-" {
		if stdin == nil {
			return nil, errors.New("passphrase from stdin (--passphrase-file -): no standard input; pipe the passphrase in, or give a file")
		}
		name, r = "passphrase from stdin (--passphrase-file -)", stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, unwrapPath(err))
		}
		defer f.Close()
		r = f
	}
	line, err := bufio.NewReader(io.LimitReader(r, MaxPassphrase)).ReadBytes('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", name, unwrapPath(err))
	}
	if err != nil && len(line) == MaxPassphrase {
		return nil, fmt.Errorf("%s: no line ending in the first %d bytes; write the passphrase on the first line", name, MaxPassphrase)
	}
	line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
	if len(line) == 0 {
		return nil, fmt.Errorf("%s: empty; write the passphrase on its first line", name)
	}
	return line, nil
}

// identities returns the user IDs of e, sorted.
func identities(e *openpgp.Entity) []string {
	ids := make([]string, 0, len(e.Identities))
	for id := range e.Identities {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// pgpConfig is the configuration Helm signs and verifies with: SHA-512
// signatures.
func pgpConfig() *packet.Config {
	return &packet.Config{DefaultHash: cryptoSHA512}
}
