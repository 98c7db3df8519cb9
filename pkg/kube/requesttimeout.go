package kube

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"k8s.io/client-go/rest"
)

// DefaultRequestTimeout is how long one request to the API server may wait
// for the server: for its response's headers, then for each read of its
// body. A connection that froze (a stalled load balancer, a partition that
// drops no packet) fails the request after this long instead of holding it
// until the caller's context ends, if it ever does.
const DefaultRequestTimeout = time.Minute

// RequestTimeoutError reports a request the API server did not answer in
// time. It unwraps to context.DeadlineExceeded.
type RequestTimeoutError struct {
	// Method and URL name the request.
	Method, URL string
	// Waited is how long the request waited.
	Waited time.Duration
}

func (e *RequestTimeoutError) Error() string {
	return fmt.Sprintf("%s %s: no answer from the API server within %s (the connection may be stalled)", e.Method, e.URL, e.Waited)
}

// Unwrap returns context.DeadlineExceeded.
func (e *RequestTimeoutError) Unwrap() error { return context.DeadlineExceeded }

// Timeout reports true: the request timed out.
func (e *RequestTimeoutError) Timeout() bool { return true }

// WithRequestTimeout makes every request rc's clients send fail with a
// *RequestTimeoutError when the server leaves it waiting longer than d:
// for the response's headers, or for any one read of its body (the time
// the caller spends between reads does not count). Watches and followed
// logs, which wait for events on purpose, are bounded until their headers
// only. A zero d means DefaultRequestTimeout; a negative d sets no bound.
// It returns rc.
func WithRequestTimeout(rc *rest.Config, d time.Duration) *rest.Config {
	if d == 0 {
		d = DefaultRequestTimeout
	}
	if d < 0 {
		return rc
	}
	rc.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &requestTimeout{next: rt, timeout: d} })
	return rc
}

// requestTimeout is the RoundTripper of WithRequestTimeout. It may be used
// by several goroutines at once.
type requestTimeout struct {
	next    http.RoundTripper
	timeout time.Duration
}

// RoundTrip sends req, cancelling it when the server leaves it waiting
// longer than the timeout.
func (t *requestTimeout) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	timedOut := &RequestTimeoutError{Method: req.Method, URL: req.URL.Redacted(), Waited: t.timeout}
	timer := time.AfterFunc(t.timeout, func() { cancel(timedOut) })
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	timer.Stop()
	if err != nil {
		cancel(nil)
		if context.Cause(ctx) == timedOut {
			return nil, timedOut
		}
		return nil, err
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		// A connection upgraded (exec, port-forward): its body must stay
		// the transport's own, and its context alive.
		return resp, nil
	}
	if streaming(req) {
		resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: func() { cancel(nil) }}
		return resp, nil
	}
	resp.Body = &boundedBody{body: resp.Body, timer: timer, timeout: t.timeout, ctx: ctx, cause: timedOut, cancel: cancel}
	return resp, nil
}

// streaming reports whether req waits for events on purpose: a watch, or
// logs followed.
func streaming(req *http.Request) bool {
	q := req.URL.Query()
	for _, k := range []string{"watch", "follow"} {
		if v := q.Get(k); v == "true" || v == "1" {
			return true
		}
	}
	return false
}

// cancelOnClose releases a request's context when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel func()
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// boundedBody is a response body each of whose reads fails the request
// after the timeout.
type boundedBody struct {
	body    io.ReadCloser
	timer   *time.Timer
	timeout time.Duration
	ctx     context.Context
	cause   error
	cancel  context.CancelCauseFunc

	mu sync.Mutex // one read at a time, as the timer is shared
}

func (b *boundedBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.timer.Reset(b.timeout)
	n, err := b.body.Read(p)
	b.timer.Stop()
	if err != nil && context.Cause(b.ctx) == b.cause {
		return n, b.cause
	}
	return n, err
}

func (b *boundedBody) Close() error {
	b.timer.Stop()
	err := b.body.Close()
	b.cancel(nil)
	return err
}
