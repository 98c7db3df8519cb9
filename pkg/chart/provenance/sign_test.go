package provenance

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/google/go-cmp/cmp"
)

// TestSignFormat checks the message of a provenance file, byte for byte:
// Chart.yaml's metadata as Helm marshals it, "...", the archive's digest;
// clear-signed with SHA-512.
func TestSignFormat(t *testing.T) {
	e := newEntity(t, "Jane Doe", "jane@example.com", false)
	tgz := packageChart(t)
	prov := signArchive(t, tgz, secring(t, e), "Jane")

	data, err := os.ReadFile(tgz)
	if err != nil {
		t.Fatal(err)
	}
	want := `annotations:
  example.com/note: '--- not a document start'
apiVersion: v2
appVersion: 1.16.0
description: A chart to sign
keywords:
- signing
- test
maintainers:
- email: jane@example.com
  name: Jane
name: demo
version: 0.1.0

...
files:
  demo-0.1.0.tgz: sha256:` + fmt.Sprintf("%x", sha256.Sum256(data)) + "\n"
	block, rest := clearsign.Decode(prov)
	if block == nil {
		t.Fatalf("no clear-signed message:\n%s", prov)
	}
	if diff := cmp.Diff(want, string(block.Plaintext)); diff != "" {
		t.Errorf("message (-want +got):\n%s", diff)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		t.Errorf("text after the signature: %q", rest)
	}
	if !bytes.HasPrefix(prov, []byte("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n")) {
		t.Errorf("header is not Helm's:\n%s", prov)
	}
	if !bytes.Contains(prov, []byte("\n- - signing\n")) {
		t.Errorf("lines starting with - are not dash-escaped:\n%s", prov)
	}
}

// TestSignErrors checks what Sign refuses, each with a message naming the
// file at fault.
func TestSignErrors(t *testing.T) {
	e := newEntity(t, "Jane Doe", "jane@example.com", false)
	s, err := loadKeyring(t, secring(t, e)).Signer("Jane")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	notChart := writeFile(t, "junk.tgz", []byte("not gzip"))
	big := writeFile(t, "big.tgz", nil)
	if err := os.Truncate(big, maxArchive+1); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		want       []string
		is         error
	}{
		{"missing", dir + "/nothing.tgz", []string{"chart archive " + dir + "/nothing.tgz: no such file"}, os.ErrNotExist},
		{"directory", dir, []string{"chart archive " + dir + ": is a directory", "barge package"}, os.ErrInvalid},
		{"not a chart", notChart, []string{"chart archive " + notChart}, nil},
		{"too large", big, []string{"chart archive " + big + ": over the limit"}, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Sign(context.Background(), tt.path, s)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %v", err, tt.is)
			}
		})
	}
}

// TestSignCancelled stops reading the archive when the context is done.
func TestSignCancelled(t *testing.T) {
	e := newEntity(t, "Jane Doe", "jane@example.com", false)
	s, err := loadKeyring(t, secring(t, e)).Signer("Jane")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Sign(ctx, packageChart(t), s); !errors.Is(err, context.Canceled) {
		t.Errorf("Sign with a cancelled context: %v", err)
	}
}

// TestSignWithSubkey signs with a key's signing subkey when it has one, as
// gpg does, and the signature verifies against the primary key's identity.
func TestSignWithSubkey(t *testing.T) {
	e := newEntity(t, "Jane Doe", "jane@example.com", false)
	if err := e.AddSigningSubkey(nil); err != nil {
		t.Fatal(err)
	}
	tgz := packageChart(t)
	prov := signArchive(t, tgz, secring(t, e), "jane@example.com")
	v, err := Verify(context.Background(), tgz, prov, loadKeyring(t, pubring(t, e)))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := v.SignedBy.Fingerprint, fmt.Sprintf("%X", e.PrimaryKey.Fingerprint); got != want {
		t.Errorf("signed by %s, want the primary key %s", got, want)
	}
	if got, want := issuer(prov), fmt.Sprintf("%X", e.Subkeys[len(e.Subkeys)-1].PublicKey.Fingerprint); got != want {
		t.Errorf("signature issuer %s, want the signing subkey %s", got, want)
	}
}
