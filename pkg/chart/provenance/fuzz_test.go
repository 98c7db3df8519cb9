package provenance

import (
	"bytes"
	"context"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
)

// FuzzReadKeyring reads arbitrary bytes as a keyring: an error, never a
// panic.
func FuzzReadKeyring(f *testing.F) {
	e := newEntity(f, "Jane Doe", "jane@example.com", false)
	pub := publicKeys(f, e)
	f.Add(pub)
	f.Add(armored(f, openpgp.PublicKeyType, pub))
	f.Add(append(keyboxHeader(), kbxBlob(pub, 0)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ReadKeyring(bytes.NewReader(data), "fuzz.gpg")
		if err == nil && len(k.Keys()) == 0 {
			t.Error("a keyring with no keys")
		}
	})
}

// FuzzVerify verifies arbitrary provenance files: an error, never a panic,
// and nothing verifies that was not signed.
func FuzzVerify(f *testing.F) {
	e := newEntity(f, "Jane Doe", "jane@example.com", false)
	tgz := packageChart(f)
	prov := signArchive(f, tgz, secring(f, e), "Jane")
	ring := loadKeyring(f, pubring(f, e))
	f.Add(prov)
	f.Add(bytes.Replace(prov, []byte("\n...\n"), []byte("\n"), 1))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Verify(context.Background(), tgz, data, ring)
		if err == nil && v.FileHash == "" {
			t.Error("verified without a hash")
		}
	})
}
