package provenance

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// A GnuPG keybox (pubring.kbx, GnuPG 2.1 and later) is a sequence of
// blobs. Every blob begins with its length (4 bytes, big-endian, the
// header included) and its type (1 byte), then a version byte and 2 bytes
// of flags. The first blob is the file's header, of type 1, with the magic
// "KBXf" at offset 8. A blob of type 2 holds an OpenPGP key: the offset of
// its keyblock within the blob at 8 and the keyblock's length at 12, 4
// bytes each; the keyblock is the key's packets, as gpg --export writes
// them. Blobs flagged ephemeral (flag bit 1) are not part of the keyring
// for GnuPG, which skips them.
const (
	kbxTypeHeader  = 1
	kbxTypeOpenPGP = 2
	kbxEphemeral   = 1 << 1
)

// isKeybox reports whether data begins with a keybox header blob.
func isKeybox(data []byte) bool {
	return len(data) >= 12 && data[4] == kbxTypeHeader && bytes.Equal(data[8:12], []byte("KBXf"))
}

// keyboxKeys returns the keyblocks of the OpenPGP blobs of the keybox
// data, one after the other: a binary keyring.
func keyboxKeys(data []byte) ([]byte, error) {
	var keys []byte
	for off := 0; off < len(data); {
		rest := data[off:]
		if len(rest) < 8 {
			return nil, fmt.Errorf("truncated blob at byte %d", off)
		}
		n := binary.BigEndian.Uint32(rest)
		if n < 8 || uint64(n) > uint64(len(rest)) {
			return nil, fmt.Errorf("blob at byte %d has a length of %d, outside the file", off, n)
		}
		blob := rest[:n]
		if blob[4] == kbxTypeOpenPGP {
			if len(blob) < 16 {
				return nil, fmt.Errorf("OpenPGP blob at byte %d is too short", off)
			}
			flags := binary.BigEndian.Uint16(blob[6:])
			start, size := uint64(binary.BigEndian.Uint32(blob[8:])), uint64(binary.BigEndian.Uint32(blob[12:]))
			if start+size > uint64(len(blob)) {
				return nil, fmt.Errorf("OpenPGP blob at byte %d has its key outside the blob", off)
			}
			if flags&kbxEphemeral == 0 {
				keys = append(keys, blob[start:start+size]...)
			}
		}
		off += int(n)
	}
	if len(keys) == 0 {
		return nil, errors.New("it holds no OpenPGP key")
	}
	return keys, nil
}
