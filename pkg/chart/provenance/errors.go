package provenance

import (
	"errors"
	"fmt"
)

// Sentinel errors, for errors.Is on the errors Verify, Sign and the keyring
// functions return.
var (
	// ErrTampered is a archive whose SHA-256 is not the one its provenance
	// file signs: the archive changed after it was signed.
	ErrTampered = errors.New("archive does not match its provenance file")
	// ErrBadSignature is a provenance file whose signature does not match
	// its content: the file changed after it was signed.
	ErrBadSignature = errors.New("bad provenance signature")
	// ErrUnknownKey is a provenance file signed by a key that is not in the
	// keyring.
	ErrUnknownKey = errors.New("signed by an unknown key")
	// ErrKeyInvalid is a signature by a key of the keyring that has expired
	// or was revoked, or a signature that expired.
	ErrKeyInvalid = errors.New("signing key expired or revoked")
	// ErrOtherFile is a provenance file that signs no file of the archive's
	// name: it is the provenance file of another archive.
	ErrOtherFile = errors.New("provenance file is for another archive")
	// ErrMalformed is a provenance file that is not a clear-signed message
	// in Helm's format.
	ErrMalformed = errors.New("malformed provenance file")
	// ErrTooLarge is a keyring, provenance file or archive over its limit.
	ErrTooLarge = errors.New("file too large")
	// ErrKeyring is a keyring file that cannot be read as one.
	ErrKeyring = errors.New("invalid keyring")
	// ErrNoKey is a signing key that a keyring does not hold, or holds
	// more than once, or only as a public key.
	ErrNoKey = errors.New("signing key not found")
	// ErrPassphrase is a passphrase that does not unlock a signing key, or
	// a locked key given none.
	ErrPassphrase = errors.New("wrong passphrase")
)

// Error is a refused archive, provenance file or keyring. Its message is one
// line naming the file and, where there is one, the fix.
type Error struct {
	// File is the file at fault as the caller named it: the archive (for
	// Verify and Sign) or the keyring.
	File string
	// Kind is the file's kind as the message names it: "chart archive" or
	// "keyring".
	Kind string
	// Reason says what is wrong and how to fix it.
	Reason string
	// Err is a sentinel of this package, possibly wrapping the underlying
	// error, for errors.Is and errors.As.
	Err error
}

// Error returns "KIND FILE: REASON".
func (e *Error) Error() string { return fmt.Sprintf("%s %s: %s", e.Kind, e.File, e.Reason) }

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// wrapped is a sentinel wrapping an underlying error: errors.Is finds both.
type wrapped struct {
	sentinel, err error
}

func (w *wrapped) Error() string   { return w.sentinel.Error() + ": " + w.err.Error() }
func (w *wrapped) Unwrap() []error { return []error{w.sentinel, w.err} }

// archiveError returns an *Error about the archive name.
func archiveError(name string, sentinel, cause error, format string, args ...any) *Error {
	return &Error{File: name, Kind: "chart archive", Reason: fmt.Sprintf(format, args...), Err: wrap(sentinel, cause)}
}

// keyringError returns an *Error about the keyring name.
func keyringError(name string, sentinel, cause error, format string, args ...any) *Error {
	return &Error{File: name, Kind: "keyring", Reason: fmt.Sprintf(format, args...), Err: wrap(sentinel, cause)}
}

func wrap(sentinel, cause error) error {
	if cause == nil {
		return sentinel
	}
	return &wrapped{sentinel: sentinel, err: cause}
}
