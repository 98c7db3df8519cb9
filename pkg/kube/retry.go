package kube

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// backoff says how often and how patiently a transient failure is retried.
type backoff struct {
	attempts     int
	initial, max time.Duration
}

func defaultBackoff() backoff {
	return backoff{attempts: 8, initial: 250 * time.Millisecond, max: 10 * time.Second}
}

// delay returns the wait before attempt n+1 (n counts from 1): exponential
// with jitter, at least what the server asked for in Retry-After.
func (b backoff) delay(n int, err error) time.Duration {
	d := b.initial << (n - 1)
	if d > b.max || d <= 0 {
		d = b.max
	}
	// Full jitter on the upper half spreads a fleet's retries apart.
	d = d/2 + rand.N(d/2+1)
	if s, ok := apierrors.SuggestsClientDelay(err); ok {
		if ra := time.Duration(s) * time.Second; ra > d {
			d = ra
		}
	}
	return d
}

// retryable reports whether err is worth trying again: the server is busy
// (429, API priority and fairness), timed out or briefly unavailable, or the
// connection broke.
func retryable(err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	case IsSchemaMismatch(err):
		return false
	case apierrors.IsTooManyRequests(err),
		apierrors.IsServerTimeout(err),
		apierrors.IsTimeout(err),
		apierrors.IsServiceUnavailable(err),
		apierrors.IsInternalError(err):
		return true
	case apierrors.IsUnexpectedServerError(err):
		return true
	}
	if _, ok := apierrors.SuggestsClientDelay(err); ok {
		return true
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		code := status.Status().Code
		return code == 502 || code == 503 || code == 504
	}
	if utilnet.IsConnectionReset(err) || utilnet.IsProbableEOF(err) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || utilnet.IsHTTP2ConnectionLost(err) {
		return true
	}
	var nerr net.Error
	return errors.As(err, &nerr) && nerr.Timeout()
}

// IsSchemaMismatch reports whether err is the API server refusing an object
// that does not fit its kind's schema in a server-side apply (a string field
// given a boolean, say). The server answers it with a 500, but it is the
// request that is wrong: trying again cannot help.
func IsSchemaMismatch(err error) bool {
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return false
	}
	msg := status.Status().Message
	return strings.Contains(msg, "failed to create typed patch object") || strings.Contains(msg, "failed to create typed live object")
}

// retry runs fn until it succeeds, fails with an error not worth retrying,
// runs out of attempts or ctx ends. It returns fn's last error.
func (c *Client) retry(ctx context.Context, what string, fn func(context.Context) error) error {
	var err error
	for n := 1; ; n++ {
		err = fn(ctx)
		if err == nil || !retryable(err) || n >= c.backoff.attempts {
			return err
		}
		d := c.backoff.delay(n, err)
		c.logger.DebugContext(ctx, "retrying", "request", what, "attempt", n, "wait", d, "error", err)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}
