package release

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// finalWriteBudget is how long the last record writes of an operation
// (marking its revision failed, or deployed) may take once the operation's
// context has ended, by interruption or deadline: long enough for a
// healthy API server, short enough that a stalled one does not hold the
// command much past its --timeout.
const finalWriteBudget = 10 * time.Second

// WithTimeout returns a copy of ctx that ends timeout from now (after
// DefaultTimeout when timeout is not positive), and with atomic twice that:
// the deadline of a whole command as its --timeout sets it. Every step of an
// operation run with it (taking the lock, rendering, hooks, applying,
// waiting) shares the one deadline, so that a stalled API server cannot
// hold the command longer; waits get what remains of it. The rollback or
// uninstall that atomic runs after a failure gets the second timeout, as
// in Helm, where it is an operation of its own.
//
// An operation whose context ran out this way records its revision failed
// within a short budget of its own and returns a *TimeoutError saying what
// it was doing and what it had done.
func WithTimeout(ctx context.Context, timeout time.Duration, atomic bool) (context.Context, context.CancelFunc) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	total := timeout
	if atomic {
		total *= 2
	}
	return context.WithTimeoutCause(ctx, total, &deadlineCause{timeout: total})
}

// deadlineCause is the cause of a context ended by WithTimeout's deadline.
type deadlineCause struct{ timeout time.Duration }

func (c *deadlineCause) Error() string { return fmt.Sprintf("timed out after %s", c.timeout) }

func (c *deadlineCause) Unwrap() error { return context.DeadlineExceeded }

// TimeoutError reports an operation that ran out of time: what it was
// doing then and what it had done. Err is what failed when the time ran
// out.
type TimeoutError struct {
	// Timeout is the time the operation had; zero when its context's
	// deadline was not set by WithTimeout.
	Timeout time.Duration
	// Stage is what the operation was doing: "applying objects".
	Stage string
	// Done says what the operation had done, in order: "3 of 8 objects
	// applied", "revision 2 recorded failed".
	Done []string
	// Err is the error of the stage cut short.
	Err error
}

func (e *TimeoutError) Error() string {
	var b strings.Builder
	if e.Timeout > 0 {
		fmt.Fprintf(&b, "timed out after %s", e.Timeout)
	} else {
		b.WriteString("ran out of time (the context's deadline passed)")
	}
	if e.Stage != "" {
		b.WriteString(" while ")
		b.WriteString(e.Stage)
	}
	if len(e.Done) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(e.Done, "; "))
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// Unwrap returns the error of the stage cut short.
func (e *TimeoutError) Unwrap() error { return e.Err }

// Is reports whether target is context.DeadlineExceeded.
func (e *TimeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

// stageError is an error of one stage of execute, saying which and how far
// the apply got. Its message is its error's.
type stageError struct {
	stage          string
	applied, total int // objects applied of the plan's; total is zero before the apply
	err            error
}

func (e *stageError) Error() string { return e.err.Error() }

func (e *stageError) Unwrap() error { return e.err }

// atStage wraps err, when not nil, as an error of stage.
func atStage(stage string, applied, total int, err error) error {
	if err == nil {
		return nil
	}
	return &stageError{stage: stage, applied: applied, total: total, err: err}
}

// outOfTime returns err as a *TimeoutError when ctx's deadline has passed,
// naming the stage it was at (from a stageError, else stage), and err
// unchanged otherwise.
func outOfTime(ctx context.Context, stage string, err error) error {
	if err == nil || !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return err
	}
	var te *TimeoutError
	if errors.As(err, &te) {
		return err
	}
	te = &TimeoutError{Stage: stage, Err: err}
	var dc *deadlineCause
	if errors.As(context.Cause(ctx), &dc) {
		te.Timeout = dc.timeout
	}
	var se *stageError
	if errors.As(err, &se) {
		te.Stage, te.Err = se.stage, condense(se.err)
		if se.total > 0 {
			te.Done = append(te.Done, fmt.Sprintf("%d of %d objects applied", se.applied, se.total))
		}
	}
	if len(te.Done) == 0 {
		te.Done = append(te.Done, "nothing applied")
	}
	return te
}

// condense returns err, or, when err joins several errors that all say the
// operation's context ended (every object of an apply cut short), the first
// of them and how many more there were.
func condense(err error) error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return err
	}
	var errs []error
	for _, e := range j.Unwrap() {
		if e != nil {
			errs = append(errs, e)
		}
	}
	if len(errs) < 2 {
		return err
	}
	for _, e := range errs {
		if !errors.Is(e, context.DeadlineExceeded) && !errors.Is(e, context.Canceled) {
			return err
		}
	}
	return fmt.Errorf("%w (and %d more objects cut short)", errs[0], len(errs)-1)
}

// noteRecord adds to a *TimeoutError err what became of the record of rls,
// which the operation tried to mark failed (werr is the write's error), and
// reports whether err is one.
func noteRecord(err error, rls *Release, werr error) bool {
	var te *TimeoutError
	if !errors.As(err, &te) {
		return false
	}
	if werr == nil {
		te.Done = append(te.Done, fmt.Sprintf("revision %d recorded %s", rls.Version, rls.Info.Status))
	} else {
		te.Done = append(te.Done, fmt.Sprintf("revision %d could not be recorded %s (%v): the next barge operation on the release marks it failed once its lock expires",
			rls.Version, rls.Info.Status, werr))
	}
	return true
}

// remaining returns timeout, or the time left before ctx's deadline when
// that is shorter (at least a millisecond): how long a wait may last.
func remaining(ctx context.Context, timeout time.Duration) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		if left := time.Until(d); left < timeout {
			return max(left, time.Millisecond)
		}
	}
	return timeout
}

// finalContext returns a context for the last record writes of an
// operation: it ends with ctx's values intact finalWriteBudget after ctx
// ends (at once if it has), so that an interrupted or timed-out operation
// can still record its outcome, but not for long.
func finalContext(ctx context.Context) (context.Context, context.CancelFunc) {
	base := context.WithoutCancel(ctx)
	if ctx.Err() != nil {
		return context.WithTimeout(base, finalWriteBudget)
	}
	fctx, cancel := context.WithCancel(base)
	stop := context.AfterFunc(ctx, func() {
		t := time.NewTimer(finalWriteBudget)
		defer t.Stop()
		select {
		case <-t.C:
			cancel()
		case <-fctx.Done():
		}
	})
	return fctx, func() {
		stop()
		cancel()
	}
}
