package provenance

import (
	"encoding/binary"
	"strings"
	"testing"
)

// kbxBlob returns a keybox OpenPGP blob holding key, with flags.
func kbxBlob(key []byte, flags uint16) []byte {
	const header = 20
	b := make([]byte, header, header+len(key))
	binary.BigEndian.PutUint32(b, uint32(header+len(key)))
	b[4] = kbxTypeOpenPGP
	b[5] = 1
	binary.BigEndian.PutUint16(b[6:], flags)
	binary.BigEndian.PutUint32(b[8:], header)
	binary.BigEndian.PutUint32(b[12:], uint32(len(key)))
	return append(b, key...)
}

// TestKeyboxKeys reads the keys of a keybox's OpenPGP blobs, skipping
// ephemeral ones, and refuses a damaged keybox with an error (gpg-made
// keyboxes are read in TestArmoredAndKeyboxKeyrings).
func TestKeyboxKeys(t *testing.T) {
	jane := publicKeys(t, newEntity(t, "Jane Doe", "jane@example.com", false))
	john := publicKeys(t, newEntity(t, "John Roe", "john@example.com", false))
	join := func(parts ...[]byte) []byte {
		var out []byte
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	t.Run("ephemeral skipped", func(t *testing.T) {
		data := join(keyboxHeader(), kbxBlob(jane, 0), kbxBlob(john, kbxEphemeral))
		if !isKeybox(data) {
			t.Fatal("not recognised as a keybox")
		}
		k, err := ReadKeyring(strings.NewReader(string(data)), "pubring.kbx")
		if err != nil {
			t.Fatal(err)
		}
		if keys := k.Keys(); len(keys) != 1 || keys[0].Identities[0] != "Jane Doe <jane@example.com>" {
			t.Errorf("keys %v, want Jane's only", keys)
		}
	})
	bad := kbxBlob(jane, 0)
	binary.BigEndian.PutUint32(bad[12:], uint32(len(bad)))
	for name, data := range map[string][]byte{
		"truncated":         join(keyboxHeader(), kbxBlob(jane, 0))[:60],
		"key outside blob":  join(keyboxHeader(), bad),
		"zero length":       join(keyboxHeader(), make([]byte, 8)),
		"short blob header": join(keyboxHeader(), []byte{0, 0, 0, 10, kbxTypeOpenPGP, 1, 0, 0, 0, 0}),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := keyboxKeys(data); err == nil {
				t.Error("no error")
			}
		})
	}
}
