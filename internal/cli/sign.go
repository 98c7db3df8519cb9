package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/term"

	"github.com/bargehq/barge/pkg/chart/provenance"
)

// newPackageSigner returns the signer of package --sign: the key named key
// (--key) of the keyring file keyring (--keyring, "" for the default),
// unlocked with the first line of passphraseFile (--passphrase-file, "-"
// for stdin) or, without one, with a passphrase typed at the terminal when
// stdin is one. It returns nil, nil when sign is false. package calls it
// before packaging anything, so that a wrong key or passphrase leaves no
// unsigned archive behind.
func newPackageSigner(ctx context.Context, cfg *Config, sign bool, key, keyring, passphraseFile string) (*provenance.Signer, error) {
	if !sign {
		return nil, nil
	}
	if key == "" {
		return nil, errors.New("--key is required for signing a package: name the signing key by user ID, email or key ID")
	}
	if keyring == "" {
		keyring = defaultKeyring(cfg)
	}
	ring, err := provenance.LoadKeyring(ctx, keyring)
	if err != nil {
		return nil, err
	}
	s, err := ring.Signer(key)
	if err != nil {
		return nil, err
	}
	if !s.Locked() {
		return s, nil
	}
	var pass []byte
	switch {
	case passphraseFile == "-":
		if isTerminal(cfg.In) {
			return nil, errors.New("--passphrase-file -: specified reading passphrase from stdin, without input on stdin; pipe the passphrase in, or give a file")
		}
		pass, err = provenance.ReadPassphrase("-", cfg.In)
	case passphraseFile != "":
		pass, err = provenance.ReadPassphrase(passphraseFile, nil)
	case isTerminal(cfg.In):
		pass, err = promptPassphrase(cfg, s)
	}
	if err != nil {
		return nil, err
	}
	if err := s.Unlock(pass); err != nil {
		return nil, err
	}
	return s, nil
}

// signPackage writes archivePath.prov, the provenance file of the archive
// package just wrote, signed by s. It does nothing when s is nil (no
// --sign).
func signPackage(ctx context.Context, s *provenance.Signer, archivePath string) error {
	if s == nil {
		return nil
	}
	prov, err := provenance.Sign(ctx, archivePath, s)
	if err != nil {
		return err
	}
	return writeFileAtomic(archivePath+".prov", prov)
}

// writeFileAtomic writes data to path through a temporary file renamed
// into place, mode 0644 as Helm writes provenance files.
func writeFileAtomic(path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("provenance file %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("provenance file %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("provenance file %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("provenance file %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("provenance file %s: %w", path, err)
	}
	return nil
}

// isTerminal reports whether r is a terminal.
func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// promptPassphrase asks for the passphrase of s's key at the terminal, as
// helm package --sign does (on stderr, where it does not mix with the
// archive's path on stdout).
func promptPassphrase(cfg *Config, s *provenance.Signer) ([]byte, error) {
	name := s.Key().KeyID
	if ids := s.Key().Identities; len(ids) > 0 {
		name = ids[0]
	}
	fmt.Fprintf(cfg.ErrOut, "Password for key %q >  ", name)
	pass, err := term.ReadPassword(int(cfg.In.(*os.File).Fd()))
	fmt.Fprintln(cfg.ErrOut)
	if err != nil {
		return nil, fmt.Errorf("passphrase of key %s: %w", s.Key(), err)
	}
	return pass, nil
}
