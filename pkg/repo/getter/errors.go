package getter

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Errors a request can fail with; an *Error wraps one of them.
var (
	// ErrNotFound is a 404 or 410 answer.
	ErrNotFound = errors.New("not found")
	// ErrUnauthorized is a 401 or 403 answer.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrStatus is any other answer but 200.
	ErrStatus = errors.New("unexpected HTTP status")
	// ErrTLS is a failed TLS handshake or unusable TLS settings.
	ErrTLS = errors.New("TLS failure")
	// ErrTimeout is a request that did not finish within the Client's
	// Timeout.
	ErrTimeout = errors.New("timeout")
	// ErrUnreachable is a server that cannot be reached or a connection
	// that broke.
	ErrUnreachable = errors.New("unreachable")
	// ErrTooLarge is a body over the Client's limit.
	ErrTooLarge = errors.New("too large")
)

// Error is a failed request. Its message is one line: the repository, the
// URL (password and query values masked), what went wrong and what to do.
type Error struct {
	// Repo is the repository the request was made for.
	Repo Repo
	// URL is the URL requested.
	URL string
	// Kind is what the URL holds.
	Kind Kind
	// Status is the HTTP status code, 0 if there was no answer.
	Status int
	// Err is the cause; it wraps one of the Err* values of this package
	// where one applies.
	Err error
	// Hint says what to do.
	Hint string
}

// Error returns the one-line message.
func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.Repo.Name != "":
		fmt.Fprintf(&b, "repository %q: ", e.Repo.Name)
	case e.Repo.URL != "":
		fmt.Fprintf(&b, "repository %s: ", Redact(e.Repo.URL))
	}
	fmt.Fprintf(&b, "GET %s: %s", Redact(e.URL), oneLine(e.Err.Error()))
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// statusError is an HTTP answer other than 200.
type statusError struct {
	status string
	kind   error
}

func (e *statusError) Error() string { return e.status }
func (e *statusError) Unwrap() error { return e.kind }

// causeError gives a transport error one of this package's kinds without
// changing its message.
type causeError struct {
	msg   string
	kind  error
	cause error
}

func (e *causeError) Error() string   { return e.msg }
func (e *causeError) Unwrap() []error { return []error{e.kind, e.cause} }

func statusFailure(req Request, at *authTransport, resp *http.Response) error {
	e := &Error{Repo: req.Repo, URL: resp.Request.URL.String(), Kind: req.Kind, Status: resp.StatusCode}
	status := resp.Status
	if status == "" {
		status = fmt.Sprint(resp.StatusCode)
	}
	switch resp.StatusCode {
	case http.StatusNotFound, http.StatusGone:
		e.Err = &statusError{status, ErrNotFound}
		if req.Kind == KindIndex && req.Repo.URL != "" {
			e.Hint = fmt.Sprintf("is %s a chart repository? (no index.yaml at %s)", Redact(req.Repo.URL), Redact(req.URL))
		} else if req.Kind == KindArchive && req.Repo.URL != "" {
			e.Hint = "the repository's index names an archive it does not serve: update the repository ('barge repo update'), or tell its maintainers"
		} else if req.Kind == KindProvenance {
			e.Hint = "the chart is not signed: there is no provenance file beside the archive; drop --verify to use it unsigned"
		} else {
			e.Hint = "check the URL"
		}
	case http.StatusUnauthorized, http.StatusForbidden:
		e.Err = &statusError{status, ErrUnauthorized}
		at.mu.Lock()
		withheld := at.withheld
		at.mu.Unlock()
		switch {
		case withheld != "" && withheld == resp.Request.URL.Host:
			e.Hint = fmt.Sprintf("the credentials were not sent to %s, which is not the repository's host: pass --pass-credentials to send them to every host", withheld)
		case req.Repo.Username == "" && req.Repo.Password == "":
			e.Hint = "the repository needs credentials: pass --username and --password"
		default:
			e.Hint = "check --username/--password (the repository refused them)"
		}
	default:
		e.Err = &statusError{status, ErrStatus}
		if resp.StatusCode >= 500 {
			e.Hint = "the server failed: retry later, or tell the repository's maintainers"
		} else {
			e.Hint = "the server refused the request: check the URL"
		}
	}
	return e
}

// transportError explains an error of the transport (no HTTP answer, or a
// body cut short). ctx is the caller's context, tctx the request's.
func (c *Client) transportError(ctx, tctx context.Context, req Request, at *authTransport, err error) error {
	e := &Error{Repo: req.Repo, URL: req.URL, Kind: req.Kind}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		e.URL = uerr.URL
		err = uerr.Err
	}
	if ctx.Err() != nil {
		e.Err = fmt.Errorf("%w", context.Cause(ctx))
		return e
	}
	var (
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
		verifyErr *tls.CertificateVerificationError
		recordErr tls.RecordHeaderError
		alert     tls.AlertError
		netErr    net.Error
		opErr     *net.OpError
	)
	cause := func(kind error, hint string) error {
		e.Err = &causeError{msg: err.Error(), kind: kind, cause: err}
		e.Hint = hint
		return e
	}
	switch {
	case context.Cause(tctx) == errDeadline || errors.Is(err, context.DeadlineExceeded):
		e.Err = &causeError{msg: fmt.Sprintf("no complete answer within %s", c.timeout()), kind: ErrTimeout, cause: err}
		e.Hint = "check the network (and any HTTPS_PROXY), or raise --timeout"
		return e
	case errors.As(err, &unknownCA):
		return cause(ErrTLS, "the server's certificate is signed by a CA barge does not trust: pass --ca-file with that CA's certificate, or --insecure-skip-tls-verify")
	case errors.As(err, &hostErr):
		return cause(ErrTLS, "the server's certificate is for other names: check the URL's host, or pass --insecure-skip-tls-verify")
	case errors.As(err, &invalid):
		return cause(ErrTLS, "the server's certificate is not valid (expired, or not for a server): tell the repository's maintainers, or pass --insecure-skip-tls-verify")
	case errors.As(err, &verifyErr):
		return cause(ErrTLS, "pass --ca-file with the CA that signs the server's certificate, or --insecure-skip-tls-verify")
	case errors.As(err, &recordErr) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return cause(ErrTLS, "the server does not speak TLS here: use an http:// URL, or check the port")
	case errors.As(err, &alert) || strings.Contains(err.Error(), "tls: "):
		if strings.Contains(err.Error(), "certificate required") || strings.Contains(err.Error(), "bad certificate") || strings.Contains(err.Error(), "unknown certificate") {
			if req.Repo.CertFile == "" {
				return cause(ErrTLS, "the server wants a client certificate: pass --cert-file and --key-file")
			}
			return cause(ErrTLS, "the server refused the client certificate: check --cert-file and --key-file")
		}
		return cause(ErrTLS, "the TLS handshake failed: check the URL, --ca-file, --cert-file and --key-file")
	case errors.As(err, &netErr) && netErr.Timeout():
		e.Err = &causeError{msg: err.Error(), kind: ErrTimeout, cause: err}
		e.Hint = "check the network (and any HTTPS_PROXY), or raise --timeout"
		return e
	case errors.As(err, &opErr):
		return cause(ErrUnreachable, "cannot connect: check the URL, that the server is up, and any HTTPS_PROXY")
	}
	return cause(ErrUnreachable, "check the URL, that the server is up, and any HTTPS_PROXY")
}
