package release

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestOutOfTime(t *testing.T) {
	rls := &Release{Name: "web", Version: 2, Info: &Info{Status: StatusFailed}}
	applyErr := fmt.Errorf("ConfigMap/web-4: apply: %w", context.DeadlineExceeded)
	for _, tc := range []struct {
		name   string
		err    error
		stage  string
		record error
		want   string
	}{
		{
			name: "while applying",
			err:  atStage("applying objects", 3, 8, applyErr),
			want: `timed out after 20s while applying objects (3 of 8 objects applied; revision 2 recorded failed): ConfigMap/web-4: apply: context deadline exceeded`,
		},
		{
			name: "objects cut short",
			err:  atStage("applying objects", 16, 200, errors.Join(applyErr, nil, applyErr, applyErr)),
			want: `timed out after 20s while applying objects (16 of 200 objects applied; revision 2 recorded failed): ConfigMap/web-4: apply: context deadline exceeded (and 2 more objects cut short)`,
		},
		{
			name:   "before the apply, record not written",
			err:    atStage("recording revision 2 pending-upgrade", 0, 0, context.DeadlineExceeded),
			record: errors.New("connection lost"),
			want:   `timed out after 20s while recording revision 2 pending-upgrade (nothing applied; revision 2 could not be recorded failed (connection lost): the next barge operation on the release marks it failed once its lock expires): context deadline exceeded`,
		},
		{
			name:  "stage given by the caller",
			err:   context.DeadlineExceeded,
			stage: "taking the release's lock",
			want:  `timed out after 20s while taking the release's lock (nothing applied; revision 2 recorded failed): context deadline exceeded`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := WithTimeout(context.Background(), 20*time.Second, false)
			defer cancel()
			if got := outOfTime(ctx, tc.stage, tc.err); got != tc.err {
				t.Fatalf("before the deadline: %v, want the error unchanged", got)
			}
			ctx, cancel = context.WithDeadline(ctx, time.Now())
			defer cancel()
			<-ctx.Done()
			// The deadline of ctx is its own, not WithTimeout's: the time
			// is unknown.
			if got := outOfTime(ctx, tc.stage, tc.err).Error(); got[:len("ran out of time")] != "ran out of time" {
				t.Errorf("deadline not from WithTimeout: %q", got)
			}
			parent, cancel2 := WithTimeout(context.Background(), 10*time.Millisecond, true)
			defer cancel2()
			<-parent.Done()
			got := outOfTime(parent, tc.stage, tc.err)
			var te *TimeoutError
			if !errors.As(got, &te) || !errors.Is(got, context.DeadlineExceeded) {
				t.Fatalf("got %v, want a *TimeoutError", got)
			}
			te.Timeout = 20 * time.Second // WithTimeout doubled 10ms with atomic
			if !noteRecord(got, rls, tc.record) {
				t.Fatal("noteRecord did not take the *TimeoutError")
			}
			if got.Error() != tc.want {
				t.Errorf("message:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestWithTimeoutAtomicDoubles(t *testing.T) {
	ctx, cancel := WithTimeout(context.Background(), time.Minute, true)
	defer cancel()
	d, _ := ctx.Deadline()
	if left := time.Until(d); left < 119*time.Second || left > 2*time.Minute {
		t.Errorf("deadline in %s, want 2m", left)
	}
}

func TestFinalContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	fctx, fcancel := finalContext(ctx)
	defer fcancel()
	if _, ok := fctx.Deadline(); ok {
		t.Error("a live operation's final writes have a deadline of their own")
	}
	cancel()
	time.Sleep(10 * time.Millisecond)
	if fctx.Err() != nil {
		t.Fatal("the final writes' context ended with the operation's")
	}
	ended, fcancel2 := finalContext(ctx)
	defer fcancel2()
	d, ok := ended.Deadline()
	if !ok || time.Until(d) > finalWriteBudget {
		t.Errorf("after the operation's end, the final writes' deadline is %v (%v), want within %s", d, ok, finalWriteBudget)
	}
}

func TestRemaining(t *testing.T) {
	if got := remaining(context.Background(), time.Minute); got != time.Minute {
		t.Errorf("no deadline: %s", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if got := remaining(ctx, time.Minute); got > time.Second || got < 900*time.Millisecond {
		t.Errorf("1s left: %s", got)
	}
}
