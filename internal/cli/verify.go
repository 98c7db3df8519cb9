package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bargehq/barge/pkg/chart/provenance"
)

// newVerifyCmd returns `barge verify PATH`: helm verify, with its flags,
// output and errors.
func newVerifyCmd(cfg *Config) *cobra.Command {
	var keyring string
	cmd := &cobra.Command{
		Use:   "verify PATH",
		Short: "Verify that a chart at the given path has been signed and is valid",
		Long: `Verify that the chart archive PATH has a valid provenance file, PATH.prov:
that it was signed by a key of --keyring, and has not been changed since.

Provenance files provide cryptographic verification that a chart has not been
tampered with, and was packaged by a trusted provider. They are written by
'barge package --sign' and 'helm package --sign', in the same format: each
verifies what the other signs. install, upgrade, pull and template verify
with --verify.

--keyring takes a binary keyring (gpg --export > pubring.gpg), an armored one
(gpg --export --armor) or GnuPG 2's pubring.kbx. It defaults to
$GNUPGHOME/pubring.gpg (~/.gnupg without GNUPGHOME), or pubring.kbx there if
only that exists, as in Helm 4.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("keyring") {
				keyring = ""
			}
			v, err := verifyChart(cmd.Context(), cfg, args[0], keyring)
			if err != nil {
				return err
			}
			writeVerification(cfg.Out, v)
			return nil
		},
	}
	cmd.Flags().StringVar(&keyring, "keyring", "~/.gnupg/pubring.gpg", "keyring containing public keys")
	return cmd
}

// verifyChart verifies the chart archive at path with its provenance file,
// path.prov, and the keys of the keyring file keyring ("" for the default),
// as helm verify does, and as --verify does for a chart given as a local
// archive.
func verifyChart(ctx context.Context, cfg *Config, path, keyring string) (*provenance.Verification, error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("chart archive %s: no such file; check the path", path)
	case err != nil:
		return nil, fmt.Errorf("chart archive %s: %w", path, err)
	case fi.IsDir():
		return nil, fmt.Errorf("chart %s: unpacked charts cannot be verified: package it (barge package %s) and verify the archive", path, path)
	case !strings.EqualFold(filepath.Ext(path), ".tgz"):
		return nil, fmt.Errorf("chart %s: chart must be a tgz file: verify the archive (NAME-VERSION.tgz) next to its .prov file", path)
	}
	prov, err := readProvenance(path + ".prov")
	if err != nil {
		return nil, err
	}
	return verifyArchive(ctx, cfg, path, filepath.Base(path), prov, keyring)
}

// readProvenance reads the provenance file at path, at most
// provenance.MaxProvenance bytes.
func readProvenance(path string) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("could not load provenance file %s: no such file; fetch it with the archive, or sign the archive (barge package --sign)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("could not load provenance file %s: %w", path, err)
	}
	defer f.Close()
	prov, err := io.ReadAll(io.LimitReader(f, provenance.MaxProvenance+1))
	if err != nil {
		return nil, fmt.Errorf("could not load provenance file %s: %w", path, err)
	}
	return prov, nil
}

// verifyArchive verifies prov, the provenance file of the chart archive at
// archivePath, signed as signedAs (its base name, unless kept under another
// name, as a download cached by digest is), with the keys of the keyring
// file keyring ("" for the default).
func verifyArchive(ctx context.Context, cfg *Config, archivePath, signedAs string, prov []byte, keyring string) (*provenance.Verification, error) {
	if keyring == "" {
		keyring = defaultKeyring(cfg)
	}
	ring, err := provenance.LoadKeyring(ctx, keyring)
	if err != nil {
		return nil, err
	}
	return provenance.VerifyAs(ctx, archivePath, signedAs, prov, ring)
}

// writeVerification prints v as helm verify and helm pull --verify do.
func writeVerification(w io.Writer, v *provenance.Verification) {
	for _, id := range v.SignedBy.Identities {
		fmt.Fprintf(w, "Signed by: %s\n", id)
	}
	fmt.Fprintf(w, "Using Key With Fingerprint: %s\n", v.SignedBy.Fingerprint)
	fmt.Fprintf(w, "Chart Hash Verified: %s\n", v.FileHash)
}

// defaultKeyring is Helm's default --keyring: pubring.gpg in $GNUPGHOME,
// or in ~/.gnupg; pubring.kbx there instead when only it exists, as Helm 4
// does (GnuPG 2.1 and later keep public keys there).
func defaultKeyring(cfg *Config) string {
	dir := cfg.Getenv("GNUPGHOME")
	if dir == "" {
		home := cfg.Getenv("HOME")
		if home == "" {
			home = cfg.Getenv("USERPROFILE")
		}
		dir = filepath.Join(home, ".gnupg")
	}
	gpg := filepath.Join(dir, "pubring.gpg")
	if _, err := os.Stat(gpg); errors.Is(err, fs.ErrNotExist) {
		if kbx := filepath.Join(dir, "pubring.kbx"); fileExists(kbx) {
			return kbx
		}
	}
	return gpg
}

// fileExists reports whether something exists at path.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
