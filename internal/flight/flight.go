// Package flight runs a piece of work once for all the callers that ask for
// it at the same time (golang.org/x/sync/singleflight), with one rule
// singleflight lacks: the work runs with the context of the caller that
// started it, and if that caller gives up (its context ends), the others
// do not fail with it but start the work again with theirs.
package flight

import (
	"context"
	"errors"

	"golang.org/x/sync/singleflight"
)

// maxRestarts bounds how many times a caller starts the work again after
// the callers running it gave up.
const maxRestarts = 8

// Group is a set of pieces of work, by key. The zero Group is ready to
// use; a Group must not be copied once used.
type Group struct {
	// Own, when set, tells a context error that belongs to the work itself
	// (a request's own timeout, say) from the end of the running caller's
	// context: the former is every caller's result, not a reason to start
	// again. Nil takes every context error for the caller's.
	Own func(error) bool

	g singleflight.Group
}

// Do runs fn once for all the callers asking for key at the same time and
// returns its result to each. A caller whose ctx ends stops waiting and
// gets the context's cause.
func Do[T any](ctx context.Context, g *Group, key string, fn func(context.Context) (T, error)) (T, error) {
	var zero T
	for range maxRestarts {
		ch := g.g.DoChan(key, func() (any, error) { return fn(ctx) })
		select {
		case <-ctx.Done():
			return zero, context.Cause(ctx)
		case res := <-ch:
			if res.Err != nil && ctx.Err() == nil && g.abandoned(res.Err) {
				continue // the caller that ran fn gave up; not this one
			}
			if res.Err != nil {
				return zero, res.Err
			}
			v, _ := res.Val.(T) // a nil result of an interface type T
			return v, nil
		}
	}
	return fn(ctx)
}

// abandoned reports whether err is the end of the running caller's context
// rather than the work's own failure.
func (g *Group) abandoned(err error) bool {
	if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	return g.Own == nil || !g.Own(err)
}
