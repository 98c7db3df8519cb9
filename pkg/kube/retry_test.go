package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestRetryable(t *testing.T) {
	gr := schema.GroupResource{Resource: "configmaps"}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"too many requests", apierrors.NewTooManyRequests("the server has received too many requests", 1), true},
		{"server timeout", apierrors.NewServerTimeout(gr, "patch", 1), true},
		{"service unavailable", apierrors.NewServiceUnavailable("etcd down"), true},
		{"internal error", apierrors.NewInternalError(errors.New("etcdserver: request timed out")), true},
		{"connection refused", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), true},
		{"unexpected eof", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"not found", apierrors.NewNotFound(gr, "x"), false},
		{"invalid", apierrors.NewBadRequest("spec.replicas: Invalid value"), false},
		{"forbidden", apierrors.NewForbidden(gr, "x", errors.New("no")), false},
		{"apply conflict", apierrors.NewApplyConflict(nil, "Apply failed with 1 conflict"), false},
		// What the API server answers when an applied Service's selector
		// has a YAML boolean (an unquoted release name "y") for a string.
		{"schema mismatch", apierrors.NewInternalError(errors.New("failed to create typed patch object (ns/y-db; /v1, Kind=Service): .spec.selector.app.kubernetes.io/instance: expected string, got &value.valueUnstructured{Value:true}")), false},
		{"canceled", context.Canceled, false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := retryable(tt.err); got != tt.want {
				t.Errorf("retryable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestBackoffDelay(t *testing.T) {
	b := backoff{attempts: 5, initial: 100 * time.Millisecond, max: time.Second}
	tests := []struct {
		name     string
		attempt  int
		err      error
		min, max time.Duration
	}{
		{"first retry", 1, errors.New("x"), 50 * time.Millisecond, 100 * time.Millisecond},
		{"third retry doubles twice", 3, errors.New("x"), 200 * time.Millisecond, 400 * time.Millisecond},
		{"capped", 10, errors.New("x"), 500 * time.Millisecond, time.Second},
		{"retry-after wins when longer", 1, apierrors.NewTooManyRequests("busy", 3), 3 * time.Second, 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 50 {
				d := b.delay(tt.attempt, tt.err)
				if d < tt.min || d > tt.max {
					t.Fatalf("delay(%d) = %v, want within [%v, %v]", tt.attempt, d, tt.min, tt.max)
				}
			}
		})
	}
}

func TestRetry(t *testing.T) {
	busy := apierrors.NewTooManyRequests("busy", 0)
	tests := []struct {
		name      string
		failures  []error // returned by successive attempts, then success
		wantCalls int
		wantErr   bool
	}{
		{"success at once", nil, 1, false},
		{"busy twice then success", []error{busy, busy}, 3, false},
		{"permanent error not retried", []error{apierrors.NewBadRequest("bad")}, 1, true},
		{"gives up after the attempts", []error{busy, busy, busy, busy, busy}, 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Client{
				backoff: backoff{attempts: 3, initial: time.Millisecond, max: 2 * time.Millisecond},
				logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
			}
			calls := 0
			err := c.retry(context.Background(), "test", func(context.Context) error {
				calls++
				if calls <= len(tt.failures) {
					return tt.failures[calls-1]
				}
				return nil
			})
			if calls != tt.wantCalls || (err != nil) != tt.wantErr {
				t.Errorf("calls = %d, err = %v; want %d calls, error %v", calls, err, tt.wantCalls, tt.wantErr)
			}
		})
	}
}

func TestRetryStopsWithContext(t *testing.T) {
	c := &Client{
		backoff: backoff{attempts: 100, initial: time.Hour, max: time.Hour},
		logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.retry(ctx, "test", func(context.Context) error { return apierrors.NewTooManyRequests("busy", 0) })
	if !apierrors.IsTooManyRequests(err) {
		t.Errorf("err = %v, want the last error", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("retry waited %v after the context ended", time.Since(start))
	}
}
