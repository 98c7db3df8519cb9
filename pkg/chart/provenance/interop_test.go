package provenance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/google/go-cmp/cmp"

	"github.com/bargehq/barge/internal/helmbin"
)

// The reference Helm binaries, as `make tools` builds them.
var helms = []string{"helm-v3.22.0", "helm-v4.3.1"}

// helm runs the reference Helm binary bin with args in a private home and
// returns its stdout, stderr and exit code. A missing binary fails the
// test (and skips it under -short).
func helm(t testing.TB, bin string, args ...string) (string, string, int) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(helmbin.Find(t, bin), args...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"GNUPGHOME=" + filepath.Join(home, "gnupg"),
		"HELM_CACHE_HOME=" + filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME=" + filepath.Join(home, "config"),
		"HELM_DATA_HOME=" + filepath.Join(home, "data"),
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return stdout.String(), stderr.String(), exit.ExitCode()
	case err != nil:
		t.Fatalf("%s %s: %v", bin, strings.Join(args, " "), err)
	}
	return stdout.String(), stderr.String(), 0
}

// mustHelm runs helm and fails the test unless it succeeds.
func mustHelm(t testing.TB, bin string, args ...string) string {
	t.Helper()
	out, errOut, code := helm(t, bin, args...)
	if code != 0 {
		t.Fatalf("%s %s: exit %d\n%s%s", bin, strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// TestHelmSignsBargeVerifies signs with `helm package --sign` of both
// versions, with a GnuPG 1 secring.gpg, and verifies with barge's Verify
// and a pubring.gpg. barge signs the same archive with the same message,
// byte for byte.
func TestHelmSignsBargeVerifies(t *testing.T) {
	keys := map[string]*openpgp.Entity{
		"ed25519":       newEntity(t, "Jane Doe", "jane@example.com", false),
		"rsa":           newEntity(t, "John Roe", "john@example.com", true),
		"ed25519, lock": newEntity(t, "Locked Key", "locked@example.com", false),
	}
	locked := keys["ed25519, lock"]
	if err := locked.EncryptPrivateKeys([]byte("s3cret"), nil); err != nil {
		t.Fatal(err)
	}
	secret := secring(t, keys["ed25519"], keys["rsa"], locked)
	pub := loadKeyring(t, pubring(t, keys["ed25519"], keys["rsa"], locked))
	passFile := writeFile(t, "pass", []byte("s3cret\n"))
	dir := chartDir(t)
	for _, bin := range helms {
		for name, e := range keys {
			t.Run(bin+" "+name, func(t *testing.T) {
				id := keyOf(e).Identities[0]
				dest := t.TempDir()
				args := []string{"package", dir, "-d", dest, "--sign", "--key", id, "--keyring", secret}
				if e == locked {
					args = append(args, "--passphrase-file", passFile)
				}
				mustHelm(t, bin, args...)
				tgz := filepath.Join(dest, "demo-0.1.0.tgz")
				prov, err := os.ReadFile(tgz + ".prov")
				if err != nil {
					t.Fatal(err)
				}
				v, err := Verify(context.Background(), tgz, prov, pub)
				if err != nil {
					t.Fatal(err)
				}
				if v.SignedBy.Fingerprint != keyOf(e).Fingerprint || v.FileHash != mustHash(t, tgz) {
					t.Errorf("verification %+v, want signed by %s with hash %s", v, keyOf(e), mustHash(t, tgz))
				}

				// barge signs Helm's archive with the same message.
				s, err := loadKeyring(t, secret).Signer(id)
				if err != nil {
					t.Fatal(err)
				}
				if e == locked {
					if err := s.Unlock([]byte("s3cret")); err != nil {
						t.Fatal(err)
					}
				}
				ours, err := Sign(context.Background(), tgz, s)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(cleartext(t, prov), cleartext(t, ours)); diff != "" {
					t.Errorf("provenance file before the signature (-helm +barge):\n%s", diff)
				}

				// A tampered archive is refused.
				tampered := writeFile(t, "demo-0.1.0.tgz", append(mustRead(t, tgz), '\n'))
				if _, err := Verify(context.Background(), tampered, prov, pub); !errors.Is(err, ErrTampered) {
					t.Errorf("tampered archive: %v", err)
				}
			})
		}
	}
}

// TestBargeSignsHelmVerifies signs with barge and verifies with `helm
// verify --keyring pubring.gpg` of both versions, which print who signed
// it; a tampered archive, a tampered provenance file and an unknown key
// are refused by both.
func TestBargeSignsHelmVerifies(t *testing.T) {
	jane := newEntity(t, "Jane Doe", "jane@example.com", false)
	john := newEntity(t, "John Roe", "john@example.com", true)
	mallory := newEntity(t, "Mallory", "mallory@example.com", false)
	secret := secring(t, jane, john)
	pub := pubring(t, jane, john)
	for _, e := range []*openpgp.Entity{jane, john} {
		tgz := packageChart(t)
		prov := signArchive(t, tgz, secret, keyOf(e).Identities[0])
		if err := os.WriteFile(tgz+".prov", prov, 0o644); err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("Signed by: %s\nUsing Key With Fingerprint: %s\nChart Hash Verified: %s\n", keyOf(e).Identities[0], keyOf(e).Fingerprint, mustHash(t, tgz))

		dir := t.TempDir()
		tamperedTgz := filepath.Join(dir, "demo-0.1.0.tgz")
		if err := os.WriteFile(tamperedTgz, append(mustRead(t, tgz), 0), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(tamperedTgz+".prov", prov, 0o644); err != nil {
			t.Fatal(err)
		}
		dir = t.TempDir()
		tamperedProv := filepath.Join(dir, "demo-0.1.0.tgz")
		if err := os.WriteFile(tamperedProv, mustRead(t, tgz), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(tamperedProv+".prov", bytes.Replace(prov, []byte("version: 0.1.0"), []byte("version: 0.1.1"), 1), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, bin := range helms {
			t.Run(bin+" "+keyOf(e).Identities[0], func(t *testing.T) {
				if out := mustHelm(t, bin, "verify", "--keyring", pub, tgz); out != want {
					t.Errorf("helm verify printed:\n%s\nwant:\n%s", out, want)
				}
				refused := []struct{ name, path, keyring, message string }{
					{"tampered archive", tamperedTgz, pub, "sha256 sum does not match"},
					{"tampered provenance", tamperedProv, pub, "invalid signature"},
					{"unknown key", tgz, pubring(t, mallory), "unknown entity"},
				}
				for _, r := range refused {
					out, errOut, code := helm(t, bin, "verify", "--keyring", r.keyring, r.path)
					if code == 0 || !strings.Contains(errOut, r.message) {
						t.Errorf("%s: helm verify exit %d, stdout %q, stderr %q; want a failure with %q", r.name, code, out, errOut, r.message)
					}
				}
			})
		}
	}
}

// TestArmoredAndKeyboxKeyrings verifies with the keyrings GnuPG 2 users
// have: an armored export, and the pubring.kbx gpg itself writes (made
// with the real gpg, when it is installed); Helm 4.3 takes both too.
func TestArmoredAndKeyboxKeyrings(t *testing.T) {
	jane := newEntity(t, "Jane Doe", "jane@example.com", false)
	john := newEntity(t, "John Roe", "john@example.com", true)
	tgz := packageChart(t)
	prov := signArchive(t, tgz, secring(t, jane), "Jane")
	if err := os.WriteFile(tgz+".prov", prov, 0o644); err != nil {
		t.Fatal(err)
	}
	rings := map[string]string{
		"armored": writeFile(t, "pubring.asc", armored(t, openpgp.PublicKeyType, publicKeys(t, john, jane))),
	}
	if gpg, err := exec.LookPath("gpg"); err == nil {
		home := t.TempDir()
		cmd := exec.Command(gpg, "--homedir", home, "--batch", "--no-autostart", "--import", pubring(t, john, jane))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("gpg --import: %v\n%s", err, out)
		}
		rings["keybox"] = filepath.Join(home, "pubring.kbx")
	} else {
		t.Log("gpg is not installed: the keybox case is not run")
	}
	// Keys exported one by one and concatenated: barge reads every block.
	// (Helm 4.3 reads the first only, and does not know Jane's key here.)
	concatenated := writeFile(t, "pubring.asc", append(armored(t, openpgp.PublicKeyType, publicKeys(t, john)), armored(t, openpgp.PublicKeyType, publicKeys(t, jane))...))
	if _, err := Verify(context.Background(), tgz, prov, loadKeyring(t, concatenated)); err != nil {
		t.Errorf("concatenated armored keyring: %v", err)
	}
	for name, ring := range rings {
		t.Run(name, func(t *testing.T) {
			v, err := Verify(context.Background(), tgz, prov, loadKeyring(t, ring))
			if err != nil {
				t.Fatal(err)
			}
			if v.SignedBy.Fingerprint != keyOf(jane).Fingerprint {
				t.Errorf("signed by %s", v.SignedBy)
			}
			out := mustHelm(t, helms[1], "verify", "--keyring", ring, tgz)
			if !strings.Contains(out, keyOf(jane).Fingerprint) {
				t.Errorf("helm 4.3 verify printed:\n%s", out)
			}
		})
	}
}

// cleartext returns the clear-signed message of prov as it is written,
// dash-escaped, with the header: everything before the signature.
func cleartext(t testing.TB, prov []byte) string {
	t.Helper()
	if b, _ := clearsign.Decode(prov); b == nil {
		t.Fatalf("not a clear-signed message:\n%s", prov)
	}
	before, _, _ := bytes.Cut(prov, []byte("-----BEGIN PGP SIGNATURE-----"))
	return string(before)
}

// mustRead returns the content of the file at path.
func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
