package provenance

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/bargehq/barge/pkg/chart/archive"
)

// newEntity generates a key with one user ID "name <email>": Ed25519 unless
// rsa is set (RSA 2048, what gpg makes by default on older versions).
func newEntity(t testing.TB, name, email string, rsa bool) *openpgp.Entity {
	t.Helper()
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA}
	if rsa {
		cfg = &packet.Config{Algorithm: packet.PubKeyAlgoRSA, RSABits: 2048}
	}
	e, err := openpgp.NewEntity(name, "", email, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// secring writes the keyrings of es with their private keys, in GnuPG 1's
// binary secring.gpg format, to a new file and returns its path. A key
// encrypted with EncryptPrivateKeys stays encrypted.
func secring(t testing.TB, es ...*openpgp.Entity) string {
	t.Helper()
	var buf bytes.Buffer
	for _, e := range es {
		if err := e.SerializePrivateWithoutSigning(&buf, nil); err != nil {
			t.Fatal(err)
		}
	}
	return writeFile(t, "secring.gpg", buf.Bytes())
}

// pubring writes the public keys of es in GnuPG 1's binary pubring.gpg
// format to a new file and returns its path.
func pubring(t testing.TB, es ...*openpgp.Entity) string {
	t.Helper()
	return writeFile(t, "pubring.gpg", publicKeys(t, es...))
}

// publicKeys returns the public keys of es, serialized.
func publicKeys(t testing.TB, es ...*openpgp.Entity) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, e := range es {
		if err := e.Serialize(&buf); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// armored returns data in an armor block of type typ.
func armored(t testing.TB, typ string, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, typ, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("\n")
	return buf.Bytes()
}

// writeFile writes data to name in a new directory and returns its path.
func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// chartYAML is the Chart.yaml of the test chart.
const chartYAML = `apiVersion: v2
name: demo
description: A chart to sign
version: 0.1.0
appVersion: "1.16.0"
keywords: [signing, test]
maintainers:
- name: Jane
  email: jane@example.com
annotations:
  example.com/note: "--- not a document start"
`

// packageChart packages a small chart and returns the archive's path,
// demo-0.1.0.tgz in a new directory.
func packageChart(t testing.TB) string {
	t.Helper()
	p, err := archive.Package(chartDir(t), t.TempDir(), archive.PackageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// chartDir writes the test chart's directory, demo in a new directory, and
// returns its path.
func chartDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "demo")
	files := map[string]string{
		"Chart.yaml":        chartYAML,
		"values.yaml":       "replicas: 1\n",
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// loadKeyring loads the keyring at path, failing the test on error.
func loadKeyring(t testing.TB, path string) *Keyring {
	t.Helper()
	k, err := LoadKeyring(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// signArchive signs the archive at path with the key name of the keyring
// file secret, and returns the provenance file.
func signArchive(t testing.TB, path, secret, name string) []byte {
	t.Helper()
	s, err := loadKeyring(t, secret).Signer(name)
	if err != nil {
		t.Fatal(err)
	}
	prov, err := Sign(context.Background(), path, s)
	if err != nil {
		t.Fatal(err)
	}
	return prov
}
