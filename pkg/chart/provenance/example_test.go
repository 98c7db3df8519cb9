package provenance_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/bargehq/barge/pkg/chart/provenance"
)

// Sign an archive as `helm package --sign --key Jane --keyring
// secring.gpg --passphrase-file pass.txt` does.
func ExampleSign() {
	ctx := context.Background()
	ring, err := provenance.LoadKeyring(ctx, "secring.gpg")
	if err != nil {
		log.Fatal(err)
	}
	signer, err := ring.Signer("Jane")
	if err != nil {
		log.Fatal(err)
	}
	if signer.Locked() {
		pass, err := provenance.ReadPassphrase("pass.txt", os.Stdin)
		if err != nil {
			log.Fatal(err)
		}
		if err := signer.Unlock(pass); err != nil {
			log.Fatal(err)
		}
	}
	prov, err := provenance.Sign(ctx, "demo-0.1.0.tgz", signer)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("demo-0.1.0.tgz.prov", prov, 0o644); err != nil {
		log.Fatal(err)
	}
}

// Verify an archive as `helm verify --keyring pubring.gpg` does.
func ExampleVerify() {
	ctx := context.Background()
	ring, err := provenance.LoadKeyring(ctx, "pubring.gpg")
	if err != nil {
		log.Fatal(err)
	}
	prov, err := os.ReadFile("demo-0.1.0.tgz.prov")
	if err != nil {
		log.Fatal(err)
	}
	v, err := provenance.Verify(ctx, "demo-0.1.0.tgz", prov, ring)
	if err != nil {
		log.Fatal(err) // names the archive and says what to do
	}
	fmt.Println(v.SignedBy.Identities, v.SignedBy.Fingerprint, v.FileHash)
}
