package provenance

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/google/go-cmp/cmp"
)

// TestLoadKeyring reads each format of keyring and checks the keys read.
func TestLoadKeyring(t *testing.T) {
	jane := newEntity(t, "Jane Doe", "jane@example.com", false)
	john := newEntity(t, "John Roe", "john@example.com", true)
	var secret bytes.Buffer
	if err := john.SerializePrivateWithoutSigning(&secret, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    []byte
		want    []string
		private []bool
	}{
		{"binary public", publicKeys(t, jane, john), []string{"Jane Doe <jane@example.com>", "John Roe <john@example.com>"}, []bool{false, false}},
		{"binary secret", secret.Bytes(), []string{"John Roe <john@example.com>"}, []bool{true}},
		{"armored", armored(t, openpgp.PublicKeyType, publicKeys(t, jane)), []string{"Jane Doe <jane@example.com>"}, []bool{false}},
		{"armored, several blocks", append(append([]byte("\n"), armored(t, openpgp.PublicKeyType, publicKeys(t, jane))...), armored(t, openpgp.PrivateKeyType, secret.Bytes())...), []string{"Jane Doe <jane@example.com>", "John Roe <john@example.com>"}, []bool{false, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "keyring", tt.data)
			k := loadKeyring(t, path)
			if k.Name() != path {
				t.Errorf("name %q, want %q", k.Name(), path)
			}
			var got []string
			var private []bool
			for _, key := range k.Keys() {
				got = append(got, key.Identities...)
				private = append(private, key.Private)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("identities (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.private, private); diff != "" {
				t.Errorf("private keys (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLoadKeyringErrors checks each refused keyring's one-line error,
// naming the file and the fix.
func TestLoadKeyringErrors(t *testing.T) {
	jane := newEntity(t, "Jane Doe", "jane@example.com", false)
	dir := t.TempDir()
	big := writeFile(t, "big.gpg", nil)
	if err := os.Truncate(big, MaxKeyring+1); err != nil {
		t.Fatal(err)
	}
	sig := writeFile(t, "sig.asc", armored(t, "PGP SIGNATURE", []byte{1, 2, 3}))
	tests := []struct {
		name, path string
		is         error
		want       []string
	}{
		{"missing public keyring", filepath.Join(dir, "pubring.gpg"), os.ErrNotExist, []string{"no such file", "gpg --export KEY >"}},
		{"missing secret keyring", filepath.Join(dir, "secring.gpg"), os.ErrNotExist, []string{"no such file", "gpg --export-secret-keys KEY >"}},
		{"directory", dir, ErrKeyring, []string{"is a directory", filepath.Join(dir, "pubring.gpg")}},
		{"empty", writeFile(t, "empty.gpg", nil), ErrKeyring, []string{"the file is empty"}},
		{"blank", writeFile(t, "blank.gpg", []byte(" \n\n")), ErrKeyring, []string{"the file is empty"}},
		{"garbage", writeFile(t, "junk.gpg", []byte("this is not a keyring\n")), ErrKeyring, []string{"not an OpenPGP keyring", "gpg --export"}},
		{"too large", big, ErrTooLarge, []string{"over the limit"}},
		{"armored signature", sig, ErrKeyring, []string{`"PGP SIGNATURE", not a public or private key block`}},
		{"armored, broken", writeFile(t, "broken.asc", []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n!!!!\n")), ErrKeyring, []string{"armored keyring"}},
		{"truncated", writeFile(t, "cut.gpg", publicKeys(t, jane)[:40]), ErrKeyring, []string{"not an OpenPGP keyring"}},
		{"keybox without keys", writeFile(t, "pubring.kbx", keyboxHeader()), ErrKeyring, []string{"GnuPG keybox: it holds no OpenPGP key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := LoadKeyring(context.Background(), tt.path)
			if err == nil {
				t.Fatalf("loaded %v", k.Keys())
			}
			t.Log(err)
			if !strings.HasPrefix(err.Error(), "keyring "+tt.path+": ") {
				t.Errorf("error does not start with the keyring's name: %v", err)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("error is not %v: %v", tt.is, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

// keyboxHeader returns the header blob of a keybox and nothing else.
func keyboxHeader() []byte {
	b := make([]byte, 32)
	b[3] = 32
	b[4] = kbxTypeHeader
	b[5] = 1
	copy(b[8:], "KBXf")
	return b
}

// TestSigner selects signing keys as helm package --key does, and by key
// ID or fingerprint.
func TestSigner(t *testing.T) {
	jane := newEntity(t, "Jane Doe", "jane@example.com", false)
	janet := newEntity(t, "Janet Doe", "janet@example.com", false)
	jan := newEntity(t, "Jan", "jan@example.org", false)
	pub := newEntity(t, "Public Only", "pub@example.com", false)
	var ring bytes.Buffer
	for _, e := range []*openpgp.Entity{jane, janet, jan} {
		if err := e.SerializePrivateWithoutSigning(&ring, nil); err != nil {
			t.Fatal(err)
		}
	}
	// A key both public and secret, as a concatenated export holds it.
	ring.Write(publicKeys(t, jane))
	ring.Write(publicKeys(t, pub))
	k := loadKeyring(t, writeFile(t, "secring.gpg", ring.Bytes()))
	tests := []struct {
		key  string
		want *openpgp.Entity
		err  string
	}{
		{key: "Jane Doe <jane@example.com>", want: jane},
		{key: "jane@example.com", want: jane},
		{key: "Janet", want: janet},
		{key: "Jan <jan@example.org>", want: jan},
		{key: keyOf(janet).KeyID, want: janet},
		{key: "0x" + strings.ToLower(keyOf(janet).KeyID[8:]), want: janet},
		{key: keyOf(jan).Fingerprint, want: jan},
		{key: "Jan", err: `more than one key contain the id "Jan"`},
		{key: "example.com", err: "more than one key"},
		{key: "nobody", err: `no key matches "nobody"`},
		{key: "", err: "no signing key named"},
		{key: "Public Only", err: "holds only the public key"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			s, err := k.Signer(tt.key)
			if tt.err != "" {
				if err == nil {
					t.Fatalf("selected %s", s.Key())
				}
				if !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrNoKey) || !strings.HasPrefix(err.Error(), "keyring "+k.Name()) {
					t.Errorf("error %q, want one with %q naming the keyring", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := s.Key().Fingerprint, keyOf(tt.want).Fingerprint; got != want {
				t.Errorf("selected %s, want %s", s.Key(), keyOf(tt.want))
			}
		})
	}
}

// TestUnlock signs with a key protected by a passphrase once it is
// unlocked, and refuses a wrong passphrase or none.
func TestUnlock(t *testing.T) {
	jane := newEntity(t, "Jane Doe", "jane@example.com", false)
	if err := jane.EncryptPrivateKeys([]byte("s3cret"), nil); err != nil {
		t.Fatal(err)
	}
	path := secring(t, jane)
	tgz := packageChart(t)
	signer := func() *Signer {
		s, err := loadKeyring(t, path).Signer("Jane")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	s := signer()
	if !s.Locked() {
		t.Fatal("the key is not locked")
	}
	if _, err := Sign(context.Background(), tgz, s); !errors.Is(err, ErrPassphrase) || !strings.Contains(err.Error(), "--passphrase-file") {
		t.Errorf("Sign with a locked key: %v", err)
	}
	if err := s.Unlock(nil); !errors.Is(err, ErrPassphrase) {
		t.Errorf("Unlock(nil): %v", err)
	}
	if err := signer().Unlock([]byte("wrong")); !errors.Is(err, ErrPassphrase) || !strings.Contains(err.Error(), "keyring "+path+": the passphrase does not unlock key") {
		t.Errorf("Unlock with a wrong passphrase: %v", err)
	}
	s = signer()
	if err := s.Unlock([]byte("s3cret")); err != nil {
		t.Fatal(err)
	}
	prov, err := Sign(context.Background(), tgz, s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(context.Background(), tgz, prov, loadKeyring(t, pubring(t, jane))); err != nil {
		t.Fatal(err)
	}
}

// TestReadPassphrase reads the first line of a file or of stdin.
func TestReadPassphrase(t *testing.T) {
	tests := []struct {
		name, path, stdin string
		want              string
		err               string
	}{
		{name: "file", path: writeFile(t, "pass", []byte("s3cret\nsecond line\n")), want: "s3cret"},
		{name: "no newline", path: writeFile(t, "pass", []byte("s3cret")), want: "s3cret"},
		{name: "crlf", path: writeFile(t, "pass", []byte("s3cret\r\n")), want: "s3cret"},
		{name: "spaces kept", path: writeFile(t, "pass", []byte(" a b \n")), want: " a b "},
		{name: "stdin", path: "-", stdin: "s3cret\n", want: "s3cret"},
		{name: "empty file", path: writeFile(t, "pass", nil), err: "empty; write the passphrase on its first line"},
		{name: "empty stdin", path: "-", err: "passphrase from stdin (--passphrase-file -): empty"},
		{name: "missing", path: "/nonexistent/pass", err: "passphrase file /nonexistent/pass: no such file"},
		{name: "no line ending", path: writeFile(t, "pass", bytes.Repeat([]byte("x"), MaxPassphrase+10)), err: "no line ending"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadPassphrase(tt.path, strings.NewReader(tt.stdin))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("passphrase %q, want %q", got, tt.want)
			}
		})
	}
}
