package provenance

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"sigs.k8s.io/yaml"

	"github.com/bargehq/barge/pkg/chart/archive"
)

const cryptoSHA512 = crypto.SHA512

// MaxProvenance bounds the bytes of a provenance file. One holds a
// Chart.yaml and a signature: a few KiB.
const MaxProvenance = 1 << 20

// maxArchive bounds the bytes of an archive Sign reads: the limit on the
// compressed archive that pkg/chart/archive reads charts with.
var maxArchive = archive.DefaultLimits().MaxArchive

// sums is the second document of a provenance message: the archive's
// name and digest, as "sha256:HEX".
type sums struct {
	Files map[string]string `json:"files"`
}

// Sign returns the provenance file of the chart archive at path, signed by
// s: what `helm package --sign` writes to PATH.prov. The message holds the
// archive's Chart.yaml metadata, "...", and the SHA-256 of the archive
// under its base name, clear-signed with SHA-512. The archive is read once,
// bounded as pkg/chart/archive reads charts, and must load as a chart.
// Errors are *Error values naming path, or the keyring for a locked key.
func Sign(ctx context.Context, path string, s *Signer) ([]byte, error) {
	if s.Locked() {
		return nil, s.Unlock(nil)
	}
	data, err := readArchive(ctx, path)
	if err != nil {
		return nil, err
	}
	ch, err := archive.Load(bytes.NewReader(data), path, archive.Limits{})
	if err != nil {
		return nil, err
	}
	meta, err := yaml.Marshal(ch.Metadata)
	if err != nil {
		return nil, archiveError(path, err, nil, "Chart.yaml: %v", err)
	}
	digest := sha256.Sum256(data)
	files, err := yaml.Marshal(sums{Files: map[string]string{filepath.Base(path): "sha256:" + hex.EncodeToString(digest[:])}})
	if err != nil {
		return nil, archiveError(path, err, nil, "%v", err)
	}
	// "---", YAML's start of a document, would be dash-escaped by the
	// clear signature; "...", its end, is not.
	msg := append(append(meta, "\n...\n"...), files...)
	var out bytes.Buffer
	w, err := clearsign.Encode(&out, s.key.PrivateKey, pgpConfig())
	if err != nil {
		return nil, archiveError(path, err, nil, "signing with key %s: %v", s.Key(), err)
	}
	if _, err := w.Write(msg); err != nil {
		// Close is not called: it would sign a partial message.
		return nil, archiveError(path, err, nil, "signing with key %s: %v", s.Key(), err)
	}
	if err := w.Close(); err != nil {
		return nil, archiveError(path, err, nil, "signing with key %s: %v", s.Key(), err)
	}
	if out.Len() > MaxProvenance {
		return nil, archiveError(path, ErrTooLarge, nil, "its provenance file would be %d bytes, over the limit of %d; shorten Chart.yaml", out.Len(), MaxProvenance)
	}
	return out.Bytes(), nil
}

// readArchive reads the archive file at path whole, refusing one over
// maxArchive bytes.
func readArchive(ctx context.Context, path string) ([]byte, error) {
	f, err := openArchive(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	n, err := io.Copy(&buf, &ctxReader{ctx: ctx, r: io.LimitReader(f, maxArchive+1)})
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, archiveError(path, err, nil, "%v", unwrapPath(err))
	}
	if n > maxArchive {
		return nil, archiveError(path, ErrTooLarge, nil, "over the limit of %d bytes for an archive; a chart this large could not be installed", maxArchive)
	}
	return buf.Bytes(), nil
}

// openArchive opens the archive file at path: a file, not a directory.
func openArchive(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, archiveError(path, err, nil, "no such file; check the path")
		}
		return nil, archiveError(path, err, nil, "%v", unwrapPath(err))
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, archiveError(path, err, nil, "%v", unwrapPath(err))
	}
	if fi.IsDir() {
		f.Close()
		return nil, archiveError(path, fs.ErrInvalid, nil, "is a directory; unpacked charts cannot be signed or verified: package it first (barge package DIR)")
	}
	return f, nil
}

// ctxReader is a reader that stops when its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// hashFile returns "sha256:HEX" of the file at path.
func hashFile(ctx context.Context, path string) (string, error) {
	f, err := openArchive(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, &ctxReader{ctx: ctx, r: f}); err != nil {
		if ctx.Err() != nil {
			return "", err
		}
		return "", archiveError(path, err, nil, "%v", unwrapPath(err))
	}
	return fmt.Sprintf("sha256:%x", h.Sum(nil)), nil
}
