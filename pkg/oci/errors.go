package oci

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// Errors an operation can fail with; an *Error wraps one of them.
var (
	// ErrInvalidReference is a reference that does not parse.
	ErrInvalidReference = errors.New("invalid OCI reference")
	// ErrUnauthorized is a registry that refused the credentials, or asked
	// for some and was given none (401, 403).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrNotFound is a repository, tag or digest the registry does not
	// have, or a version no tag matches.
	ErrNotFound = errors.New("not found")
	// ErrTLS is a failed TLS handshake or unusable TLS settings.
	ErrTLS = errors.New("TLS failure")
	// ErrUnreachable is a registry that cannot be reached.
	ErrUnreachable = errors.New("unreachable")
	// ErrNotChart is a manifest that is not a Helm chart's (an image, say).
	ErrNotChart = errors.New("not a Helm chart")
	// ErrDigestMismatch is content whose digest is not the one its
	// descriptor gives.
	ErrDigestMismatch = errors.New("digest mismatch")
	// ErrTooLarge is content over its limit (see Limits).
	ErrTooLarge = errors.New("too large")
	// ErrNotLoggedIn is a Logout from a registry with no stored
	// credentials.
	ErrNotLoggedIn = errors.New("not logged in")
)

// Error is a failed operation on a registry. Its message is one line: the
// reference (or the registry, for a login), what went wrong, and what to
// do. It never holds a credential.
type Error struct {
	// Ref is the reference as the user gave it, or the registry's host.
	Ref string
	// Err is the cause; it wraps one of the Err* values of this package
	// where one applies.
	Err error
	// Hint says what to do, "" if nothing helps.
	Hint string
}

// Error returns "REF: CAUSE; HINT" on one line.
func (e *Error) Error() string {
	msg := e.Ref + ": " + oneLine(e.Err.Error())
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// kindError gives a cause one of this package's kinds, keeping its message.
type kindError struct {
	msg   string
	kind  error
	cause error
}

func (e *kindError) Error() string   { return e.msg }
func (e *kindError) Unwrap() []error { return []error{e.kind, e.cause} }

// classify turns an error of oras-go or of the transport, from an operation
// on ref (a reference or a host) at registry host, into an *Error with a
// kind and a fix. hadCreds tells whether credentials were sent.
func classify(ctx context.Context, ref, host string, hadCreds bool, err error) error {
	var e *Error
	if errors.As(err, &e) || ctx.Err() != nil {
		if e == nil {
			return fmt.Errorf("%s: %w", ref, context.Cause(ctx))
		}
		return err
	}
	out := &Error{Ref: ref}
	kind := func(k error, msg, hint string) error {
		out.Err = &kindError{msg: msg, kind: k, cause: err}
		out.Hint = hint
		return out
	}
	var (
		resp      *errcode.ErrorResponse
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
		verifyErr *tls.CertificateVerificationError
		recordErr tls.RecordHeaderError
		opErr     *net.OpError
	)
	switch {
	case errors.Is(err, auth.ErrBasicCredentialNotFound):
		return kind(ErrUnauthorized, "the registry wants credentials (401 Unauthorized)", "pass --username and --password, or run 'barge registry login "+host+"'")
	case errors.As(err, &resp):
		status := fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
		if len(resp.Errors) > 0 {
			status += ": " + strings.ToLower(resp.Errors[0].Message)
			if resp.Errors[0].Message == "" {
				status += strings.ToLower(resp.Errors[0].Code)
			}
		}
		switch resp.StatusCode {
		case http.StatusUnauthorized:
			login := fmt.Sprintf("check --username/--password, or run 'barge registry login %s'", host)
			if !hadCreds {
				return kind(ErrUnauthorized, "the registry wants credentials ("+status+")", "pass --username and --password, or run 'barge registry login "+host+"'")
			}
			return kind(ErrUnauthorized, "the registry refused the credentials ("+status+")", login)
		case http.StatusForbidden:
			return kind(ErrUnauthorized, "access denied ("+status+")", fmt.Sprintf("the credentials lack access to this repository: check --username/--password, or run 'barge registry login %s' as another user", host))
		case http.StatusNotFound:
			return kind(ErrNotFound, "not found ("+status+")", "check the registry, the repository and the tag or digest")
		}
		if resp.StatusCode >= 500 {
			return kind(ErrUnreachable, "the registry failed ("+status+")", "retry later, or tell the registry's operators")
		}
		return kind(ErrUnreachable, "the registry refused the request ("+status+")", "check the reference")
	case errors.Is(err, errdef.ErrNotFound):
		return kind(ErrNotFound, "not found in the registry", "check the tag or digest")
	case errors.As(err, &unknownCA) || errors.As(err, &verifyErr):
		return kind(ErrTLS, "TLS: "+lastCause(err), "the registry's certificate is signed by an authority barge does not trust: pass --ca-file with that authority's certificate, or --insecure-skip-tls-verify")
	case errors.As(err, &hostErr):
		return kind(ErrTLS, "TLS: "+lastCause(err), "the registry's certificate is for other names: check the host, or pass --insecure-skip-tls-verify")
	case errors.As(err, &invalid):
		return kind(ErrTLS, "TLS: "+lastCause(err), "the registry's certificate is not valid (expired?): pass --insecure-skip-tls-verify, or tell the registry's operators")
	case errors.As(err, &recordErr) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return kind(ErrTLS, "the registry does not speak TLS", "pass --plain-http for a registry served over plain HTTP")
	case strings.Contains(err.Error(), "certificate required") || strings.Contains(err.Error(), "bad certificate") || strings.Contains(err.Error(), "unknown certificate"):
		return kind(ErrTLS, "TLS: "+lastCause(err), "the registry wants a client certificate it trusts: pass --cert-file and --key-file")
	case strings.Contains(err.Error(), "http2: client conn could not be established"):
		// Over HTTP/2 a registry that wants a client certificate closes
		// the connection after TLS 1.3's handshake, and the alert is lost.
		return kind(ErrTLS, "TLS: the registry closed the connection", "if it wants a client certificate, pass --cert-file and --key-file (or check them)")
	case strings.Contains(err.Error(), "tls: "):
		return kind(ErrTLS, "TLS: "+lastCause(err), "check --ca-file, --cert-file and --key-file, or pass --plain-http for a plain HTTP registry")
	case errors.As(err, &opErr):
		return kind(ErrUnreachable, "cannot reach the registry: "+lastCause(err), "check the host and port, that the registry is up, and any HTTPS_PROXY")
	}
	return kind(ErrUnreachable, lastCause(err), "")
}

// lastCause returns the message of the innermost cause of err that says
// something, without the "GET URL:" prefixes that net/http and oras-go put
// in front of it; a *net.OpError is kept whole ("dial tcp ADDR: connect:
// connection refused").
func lastCause(err error) string {
	for {
		if _, ok := err.(*net.OpError); ok {
			return err.Error()
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok || u.Unwrap() == nil {
			return err.Error()
		}
		err = u.Unwrap()
	}
}
