package provenance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestVerify checks a good provenance file, and each way of refusing one
// with its one-line error naming the archive.
func TestVerify(t *testing.T) {
	jane := newEntity(t, "Jane Doe", "jane@example.com", false)
	mallory := newEntity(t, "Mallory", "mallory@example.com", false)
	tgz := packageChart(t)
	prov := signArchive(t, tgz, secring(t, jane), "Jane Doe")
	ring := loadKeyring(t, pubring(t, jane))
	archiveBytes, err := os.ReadFile(tgz)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("good", func(t *testing.T) {
		v, err := Verify(context.Background(), tgz, prov, ring)
		if err != nil {
			t.Fatal(err)
		}
		want := &Verification{
			SignedBy: Key{
				Identities:  []string{"Jane Doe <jane@example.com>"},
				Fingerprint: fmt.Sprintf("%X", jane.PrimaryKey.Fingerprint),
				KeyID:       fmt.Sprintf("%016X", jane.PrimaryKey.KeyId),
			},
			FileName: "demo-0.1.0.tgz",
			FileHash: mustHash(t, tgz),
			Chart:    "demo",
			Version:  "0.1.0",
		}
		if diff := cmp.Diff(want, v); diff != "" {
			t.Errorf("verification (-want +got):\n%s", diff)
		}
	})

	tampered := writeFile(t, "demo-0.1.0.tgz", append(bytes.Clone(archiveBytes), 0))
	renamed := writeFile(t, "other-0.1.0.tgz", archiveBytes)
	tests := []struct {
		name    string
		path    string
		prov    []byte
		ring    *Keyring
		is      error
		message []string
	}{
		{"tampered archive", tampered, prov, ring, ErrTampered, []string{"chart archive " + tampered + ": sha256 sum does not match", "download it again"}},
		{"tampered provenance", tgz, bytes.Replace(prov, []byte("name: demo"), []byte("name: evil"), 1), ring, ErrBadSignature, []string{"chart archive " + tgz + ": the signature of its provenance file does not match", "fetch demo-0.1.0.tgz.prov again"}},
		{"tampered digest", tgz, bytes.Replace(prov, []byte("sha256:"), []byte("sha256:0"), 1), ring, ErrBadSignature, []string{"does not match"}},
		{"unknown key", tgz, prov, loadKeyring(t, pubring(t, mallory)), ErrUnknownKey, []string{"signed by key " + fmt.Sprintf("%X", jane.PrimaryKey.Fingerprint), "does not hold", "--keyring"}},
		{"another archive", renamed, prov, ring, ErrOtherFile, []string{"chart archive " + renamed + `: provenance does not contain a SHA for a file named "other-0.1.0.tgz": it signs demo-0.1.0.tgz`}},
		{"not signed", tgz, []byte("files:\n  demo-0.1.0.tgz: sha256:00\n"), ring, ErrMalformed, []string{"signature block not found"}},
		{"empty", tgz, nil, ring, ErrMalformed, []string{"no PGP signed message"}},
		{"signature garbled", tgz, garble(prov), ring, ErrMalformed, []string{"chart archive " + tgz}},
		{"too large", tgz, make([]byte, MaxProvenance+1), ring, ErrTooLarge, []string{"over the limit"}},
		{"missing archive", filepath.Join(t.TempDir(), "demo-0.1.0.tgz"), prov, ring, os.ErrNotExist, []string{"no such file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Verify(context.Background(), tt.path, tt.prov, tt.ring)
			if err == nil {
				t.Fatalf("verified: %+v", v)
			}
			t.Log(err)
			if !errors.Is(err, tt.is) {
				t.Errorf("error is not %v: %v", tt.is, err)
			}
			var e *Error
			if !errors.As(err, &e) || e.File != tt.path {
				t.Errorf("error does not name the archive %s: %v", tt.path, err)
			}
			for _, m := range tt.message {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not contain %q", err, m)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

// TestVerifyAs verifies an archive cached under another name by the name it
// was signed as.
func TestVerifyAs(t *testing.T) {
	jane := newEntity(t, "Jane Doe", "jane@example.com", false)
	tgz := packageChart(t)
	prov := signArchive(t, tgz, secring(t, jane), "Jane Doe")
	data, err := os.ReadFile(tgz)
	if err != nil {
		t.Fatal(err)
	}
	cached := writeFile(t, "sha256-abc.tgz", data)
	v, err := VerifyAs(context.Background(), cached, "demo-0.1.0.tgz", prov, loadKeyring(t, pubring(t, jane)))
	if err != nil {
		t.Fatal(err)
	}
	if v.FileName != "demo-0.1.0.tgz" {
		t.Errorf("file name %q", v.FileName)
	}
}

// TestVerifyRevokedKey refuses a signature by a key revoked since.
func TestVerifyRevokedKey(t *testing.T) {
	jane := newEntity(t, "Jane Doe", "jane@example.com", false)
	tgz := packageChart(t)
	prov := signArchive(t, tgz, secring(t, jane), "Jane Doe")
	if err := jane.RevokeKey(0, "compromised", nil); err != nil {
		t.Fatal(err)
	}
	_, err := Verify(context.Background(), tgz, prov, loadKeyring(t, pubring(t, jane)))
	if !errors.Is(err, ErrKeyInvalid) {
		t.Fatalf("verify with a revoked key: %v", err)
	}
}

// garble changes a character of the armored signature of prov.
func garble(prov []byte) []byte {
	i := bytes.Index(prov, []byte("-----BEGIN PGP SIGNATURE-----\n\n")) + len("-----BEGIN PGP SIGNATURE-----\n\n")
	out := bytes.Clone(prov)
	copy(out[i:], "!!!!")
	return out
}

// mustHash returns "sha256:HEX" of the file at path.
func mustHash(t testing.TB, path string) string {
	t.Helper()
	h, err := hashFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
