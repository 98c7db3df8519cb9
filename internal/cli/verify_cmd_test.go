package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// signingKeys are a test key's keyrings, in GnuPG 1's binary format.
type signingKeys struct {
	entity           *openpgp.Entity
	secring, pubring string
}

// id is the key's user ID.
func (k signingKeys) id() string {
	for id := range k.entity.Identities {
		return id
	}
	return ""
}

// fingerprint is the key's fingerprint as helm verify prints it.
func (k signingKeys) fingerprint() string {
	return fmt.Sprintf("%X", k.entity.PrimaryKey.Fingerprint)
}

// newSigningKeys generates an Ed25519 key "name <email>", protected by
// passphrase unless it is "", and writes its keyrings in dir.
func newSigningKeys(t *testing.T, dir, name, email, passphrase string) signingKeys {
	t.Helper()
	e, err := openpgp.NewEntity(name, "", email, &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	var pub bytes.Buffer
	if err := e.Serialize(&pub); err != nil {
		t.Fatal(err)
	}
	if passphrase != "" {
		if err := e.EncryptPrivateKeys([]byte(passphrase), nil); err != nil {
			t.Fatal(err)
		}
	}
	var sec bytes.Buffer
	if err := e.SerializePrivateWithoutSigning(&sec, nil); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	k := signingKeys{entity: e, secring: filepath.Join(dir, "secring.gpg"), pubring: filepath.Join(dir, "pubring.gpg")}
	for p, data := range map[string][]byte{k.secring: sec.Bytes(), k.pubring: pub.Bytes()} {
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return k
}

// signedChart packages a chart with barge package --sign, signed with
// keys, and returns the archive's path.
func signedChart(t *testing.T, e *repoEnv, keys signingKeys) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "demo")
	writeChart(t, dir, "demo", "0.1.0", "a signed chart", "")
	dest := t.TempDir()
	e.mustBarge("package", dir, "-d", dest, "--sign", "--key", keys.id(), "--keyring", keys.secring)
	tgz := filepath.Join(dest, "demo-0.1.0.tgz")
	return tgz
}

// TestVerifyCmdLikeHelm verifies what barge signs and what helm signs,
// with barge and helm 3.22 and 4.3, which print the same lines.
func TestVerifyCmdLikeHelm(t *testing.T) {
	e := newRepoEnv(t)
	keys := newSigningKeys(t, filepath.Join(e.dir, "keys"), "Jane Doe", "jane@example.com", "")
	bargeSigned := signedChart(t, e, keys)

	dir := filepath.Join(t.TempDir(), "demo")
	writeChart(t, dir, "demo", "0.1.0", "a signed chart", "")
	dest := t.TempDir()
	e.mustHelm("v3.22.0", "package", dir, "-d", dest, "--sign", "--key", "Jane", "--keyring", keys.secring)
	helmSigned := filepath.Join(dest, "demo-0.1.0.tgz")

	for name, tgz := range map[string]string{"signed by barge": bargeSigned, "signed by helm": helmSigned} {
		t.Run(name, func(t *testing.T) {
			out := e.mustBarge("verify", tgz, "--keyring", keys.pubring)
			sum := mustSHA256(t, tgz)
			want := "Signed by: Jane Doe <jane@example.com>\nUsing Key With Fingerprint: " + keys.fingerprint() + "\nChart Hash Verified: sha256:" + sum + "\n"
			if out != want {
				t.Errorf("barge verify printed:\n%s\nwant:\n%s", out, want)
			}
			for _, v := range []string{"v3.22.0", "v4.3.1"} {
				if hout := e.mustHelm(v, "verify", tgz, "--keyring", keys.pubring); hout != out {
					t.Errorf("helm %s verify printed:\n%s\nbarge:\n%s", v, hout, out)
				}
			}
		})
	}
}

// TestVerifyCmdDefaultKeyring finds the keyring where helm does:
// $GNUPGHOME/pubring.gpg, else ~/.gnupg/pubring.gpg; pubring.kbx when only
// it exists.
func TestVerifyCmdDefaultKeyring(t *testing.T) {
	e := newRepoEnv(t)
	keys := newSigningKeys(t, filepath.Join(e.dir, ".gnupg"), "Jane Doe", "jane@example.com", "")
	tgz := signedChart(t, e, keys)
	e.mustBarge("verify", tgz)

	other := newRepoEnv(t)
	if _, _, err := other.barge("verify", tgz); err == nil || !strings.Contains(err.Error(), "keyring "+filepath.Join(other.dir, ".gnupg", "pubring.gpg")+": no such file") {
		t.Errorf("verify without a keyring: %v", err)
	}

	gnupgHome := t.TempDir()
	if err := os.Rename(keys.pubring, filepath.Join(gnupgHome, "pubring.kbx")); err != nil {
		t.Fatal(err)
	}
	other.env = append(other.env, "GNUPGHOME="+gnupgHome)
	if out := other.mustBarge("verify", tgz); !strings.Contains(out, keys.fingerprint()) {
		t.Errorf("verify with $GNUPGHOME/pubring.kbx printed:\n%s", out)
	}
}

// TestVerifyCmdRefuses checks each refusal: helm refuses it too (exit 1),
// and barge's error is one line naming the file and the fix.
func TestVerifyCmdRefuses(t *testing.T) {
	e := newRepoEnv(t)
	keys := newSigningKeys(t, filepath.Join(e.dir, "keys"), "Jane Doe", "jane@example.com", "")
	stranger := newSigningKeys(t, filepath.Join(e.dir, "stranger"), "Mallory", "mallory@example.com", "")
	tgz := signedChart(t, e, keys)
	data, err := os.ReadFile(tgz)
	if err != nil {
		t.Fatal(err)
	}
	prov, err := os.ReadFile(tgz + ".prov")
	if err != nil {
		t.Fatal(err)
	}
	// place writes archive and prov (when not nil) as demo-0.1.0.tgz in a
	// new directory.
	place := func(archive, prov []byte) string {
		p := filepath.Join(t.TempDir(), "demo-0.1.0.tgz")
		if err := os.WriteFile(p, archive, 0o644); err != nil {
			t.Fatal(err)
		}
		if prov != nil {
			if err := os.WriteFile(p+".prov", prov, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	renamed := filepath.Join(t.TempDir(), "other-0.1.0.tgz")
	os.WriteFile(renamed, data, 0o644)
	os.WriteFile(renamed+".prov", prov, 0o644)
	notTgz := filepath.Join(t.TempDir(), "demo.tar")
	os.WriteFile(notTgz, data, 0o644)
	chartDir := filepath.Join(t.TempDir(), "demo")
	writeChart(t, chartDir, "demo", "0.1.0", "unpacked", "")

	tampered := place(append(bytes.Clone(data), 0), prov)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"tampered archive", []string{tampered}, []string{"chart archive " + tampered + ": sha256 sum does not match"}},
		{"tampered provenance", []string{place(data, bytes.Replace(prov, []byte("name: demo"), []byte("name: evil"), 1))}, []string{"the signature of its provenance file does not match"}},
		{"unknown key", []string{tgz, "--keyring", stranger.pubring}, []string{"which keyring " + stranger.pubring + " does not hold", "--keyring"}},
		{"another archive's provenance", []string{renamed}, []string{"chart archive " + renamed + `: provenance does not contain a SHA for a file named "other-0.1.0.tgz"`}},
		{"malformed provenance", []string{place(data, []byte("not signed\n"))}, []string{"signature block not found"}},
		{"no provenance", []string{place(data, nil)}, []string{"could not load provenance file", ".tgz.prov: no such file"}},
		{"no archive", []string{filepath.Join(t.TempDir(), "demo-0.1.0.tgz")}, []string{"no such file; check the path"}},
		{"directory", []string{chartDir}, []string{"unpacked charts cannot be verified"}},
		{"not tgz", []string{notTgz}, []string{"chart must be a tgz file"}},
		{"missing keyring", []string{tgz, "--keyring", filepath.Join(e.dir, "nothing.gpg")}, []string{"keyring " + filepath.Join(e.dir, "nothing.gpg") + ": no such file"}},
		{"secret keyring", []string{tgz, "--keyring", keys.secring}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"verify"}, tt.args...)
			if len(tt.args) == 1 {
				args = append(args, "--keyring", keys.pubring)
			}
			out, errOut, err := e.barge(args...)
			if tt.want == nil {
				// A secret keyring holds the public keys too.
				if err != nil {
					t.Fatalf("verify: %v", err)
				}
				return
			}
			t.Log(err)
			if exitCode(err) != 1 || out != "" || errOut != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and nothing printed", exitCode(err), out, errOut)
			}
			for _, w := range tt.want {
				if err != nil && !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			for _, v := range []string{"v3.22.0", "v4.3.1"} {
				if _, _, code := e.helm(v, args...); code != 1 {
					t.Errorf("helm %s exits %d", v, code)
				}
			}
		})
	}
	if _, _, err := e.barge("verify"); err == nil || !strings.Contains(err.Error(), "accepts 1 arg(s), received 0") {
		t.Errorf("verify without a path: %v", err)
	}
}

// TestPackageSigner selects and unlocks the signing key as helm package
// --sign does, with --passphrase-file FILE or - for stdin.
func TestPackageSigner(t *testing.T) {
	e := newRepoEnv(t)
	keys := newSigningKeys(t, filepath.Join(e.dir, "keys"), "Jane Doe", "jane@example.com", "s3cret")
	passFile := filepath.Join(e.dir, "pass")
	wrongFile := filepath.Join(e.dir, "wrong")
	os.WriteFile(passFile, []byte("s3cret\n"), 0o600)
	os.WriteFile(wrongFile, []byte("guess\n"), 0o600)
	tests := []struct {
		name                 string
		sign                 bool
		key, keyring, passFn string
		stdin                string
		err                  string
	}{
		{name: "not signing", sign: false},
		{name: "passphrase file", sign: true, key: "Jane", keyring: keys.secring, passFn: passFile},
		{name: "passphrase on stdin", sign: true, key: "jane@example.com", keyring: keys.secring, passFn: "-", stdin: "s3cret\n"},
		{name: "wrong passphrase", sign: true, key: "Jane", keyring: keys.secring, passFn: wrongFile, err: "keyring " + keys.secring + ": the passphrase does not unlock key"},
		{name: "no passphrase", sign: true, key: "Jane", keyring: keys.secring, err: "is protected by a passphrase; give it with --passphrase-file"},
		{name: "empty stdin", sign: true, key: "Jane", keyring: keys.secring, passFn: "-", err: "passphrase from stdin (--passphrase-file -): empty"},
		{name: "no key", sign: true, keyring: keys.secring, err: "--key is required for signing a package"},
		{name: "unknown key", sign: true, key: "John", keyring: keys.secring, err: `keyring ` + keys.secring + `: no key matches "John"`},
		{name: "public keyring", sign: true, key: "Jane", keyring: keys.pubring, err: "provided key is not a private key"},
		{name: "default keyring", sign: true, key: "Jane", err: "keyring " + filepath.Join(e.dir, ".gnupg", "pubring.gpg") + ": no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &Config{In: strings.NewReader(tt.stdin), Env: e.env}
			s, err := newPackageSigner(context.Background(), cfg, tt.sign, tt.key, tt.keyring, tt.passFn)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (s != nil) != tt.sign {
				t.Fatalf("signer %v with sign=%v", s, tt.sign)
			}
			if s != nil && s.Locked() {
				t.Error("the key is still locked")
			}
		})
	}
}

// TestSignPackageHelmVerifies runs package --sign with a passphrase-protected key and
// checks helm 3.22 and 4.3 verify the archive, and barge's --verify
// function too; a tampered archive is refused by all three.
func TestSignPackageHelmVerifies(t *testing.T) {
	e := newRepoEnv(t)
	keys := newSigningKeys(t, filepath.Join(e.dir, "keys"), "Jane Doe", "jane@example.com", "s3cret")
	passFile := filepath.Join(e.dir, "pass")
	os.WriteFile(passFile, []byte("s3cret\n"), 0o600)
	dir := filepath.Join(t.TempDir(), "demo")
	writeChart(t, dir, "demo", "0.1.0", "a signed chart", "")
	tgz := filepath.Join(t.TempDir(), "demo-0.1.0.tgz")
	out := e.mustBarge("package", dir, "-d", filepath.Dir(tgz), "--sign", "--key", "Jane", "--keyring", keys.secring, "--passphrase-file", passFile)
	if want := "Successfully packaged chart and saved it to: " + tgz + "\n"; out != want {
		t.Errorf("package --sign printed %q, want %q", out, want)
	}
	cfg := &Config{In: strings.NewReader(""), Env: e.env}
	if fi, err := os.Stat(tgz + ".prov"); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("provenance file: %v %v", fi, err)
	}
	prov, err := os.ReadFile(tgz + ".prov")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifyArchive(context.Background(), cfg, tgz, filepath.Base(tgz), prov, keys.pubring); err != nil {
		t.Errorf("verifyArchive: %v", err)
	}
	for _, v := range []string{"v3.22.0", "v4.3.1"} {
		e.mustHelm(v, "verify", tgz, "--keyring", keys.pubring)
	}

	f, err := os.OpenFile(tgz, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0})
	f.Close()
	if _, err := verifyArchive(context.Background(), cfg, tgz, filepath.Base(tgz), prov, keys.pubring); err == nil || !strings.Contains(err.Error(), "sha256 sum does not match") {
		t.Errorf("verifyArchive of a tampered archive: %v", err)
	}
	for _, v := range []string{"v3.22.0", "v4.3.1"} {
		if _, errOut, code := e.helm(v, "verify", tgz, "--keyring", keys.pubring); code == 0 || !strings.Contains(errOut, "sha256 sum does not match") {
			t.Errorf("helm %s verify of a tampered archive: exit %d, %s", v, code, errOut)
		}
	}
}

// mustSHA256 returns the hex SHA-256 of the file at path, as sha256sum
// prints it.
func mustSHA256(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("sha256sum", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(out))[0]
}
