package release

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// testLock is a Lock whose state a test sets.
type testLock struct {
	mu          sync.Mutex
	err         error
	lost        chan struct{}
	prevHolder  string
	prevExpired time.Time
}

func newTestLock() *testLock { return &testLock{lost: make(chan struct{})} }

func (l *testLock) Held() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

func (l *testLock) Lost() <-chan struct{}         { return l.lost }
func (l *testLock) TookOver() (string, time.Time) { return l.prevHolder, l.prevExpired }
func (l *testLock) Unlock()                       {}
func (l *testLock) lose(err error) {
	l.mu.Lock()
	l.err = err
	l.mu.Unlock()
	close(l.lost)
}

// recordingStore is a Store that records the writes it is asked to make.
type recordingStore struct {
	Store
	writes []string
}

func (s *recordingStore) Create(_ context.Context, rls *Release) error {
	s.writes = append(s.writes, fmt.Sprintf("create %d", rls.Version))
	return nil
}

func (s *recordingStore) Update(_ context.Context, rls *Release) error {
	s.writes = append(s.writes, fmt.Sprintf("update %d %s", rls.Version, rls.Info.Status))
	return nil
}

func TestFencedRefusesWritesOnceLost(t *testing.T) {
	ctx := context.Background()
	lk := newTestLock()
	rec := &recordingStore{}
	s := &fenced{Store: rec, lock: lk}
	rls := &Release{Name: "web", Version: 2, Info: &Info{Status: StatusPendingUpgrade}}
	if err := s.Create(ctx, rls); err != nil {
		t.Fatal(err)
	}
	lk.lose(fmt.Errorf("lease taken over: %w", ErrLockLost))
	rls.Info.Status = StatusDeployed
	err := s.Update(ctx, rls)
	if !errors.Is(err, ErrLockLost) {
		t.Errorf("Update after the lock was lost: %v, want ErrLockLost", err)
	}
	if _, err := s.Prune(ctx, "web", 1); !errors.Is(err, ErrLockLost) {
		t.Errorf("Prune after the lock was lost: %v, want ErrLockLost", err)
	}
	if got := strings.Join(rec.writes, ", "); got != "create 2" {
		t.Errorf("writes reaching the store: %q, want only the create made while held", got)
	}
	if rev, st := s.lastWritten(); rev != 2 || st != StatusPendingUpgrade {
		t.Errorf("last written = %d %s, want 2 pending-upgrade", rev, st)
	}

	e := &Engine{store: s}
	lost := e.stopped(ctx, "web", fmt.Errorf("recording: %w", err))
	var lle *LockLostError
	if !errors.As(lost, &lle) {
		t.Fatalf("stopped returned %T %v, want a *LockLostError", lost, lost)
	}
	for _, want := range []string{`release "web": stopped`, "lease taken over", "revision 2 as pending-upgrade"} {
		if !strings.Contains(lost.Error(), want) {
			t.Errorf("error %q lacks %q", lost, want)
		}
	}
}

func TestGuardCancelsOnLoss(t *testing.T) {
	lk := newTestLock()
	ctx, stop := guard(context.Background(), lk)
	defer stop()
	lk.lose(fmt.Errorf("not renewed: %w", ErrLockLost))
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the operation's context was not cancelled when its lock was lost")
	}
	if !errors.Is(context.Cause(ctx), ErrLockLost) {
		t.Errorf("cause = %v, want ErrLockLost", context.Cause(ctx))
	}
	e := &Engine{store: &fenced{Store: &recordingStore{}, lock: lk}}
	if err := e.stopped(ctx, "web", context.Canceled); !errors.Is(err, ErrLockLost) {
		t.Errorf("stopped(context.Canceled) = %v, want the lock's loss", err)
	}
}

func TestForeignPending(t *testing.T) {
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	e := &Engine{now: func() time.Time { return now }, namespace: "ns"}
	pending := func(status Status, age time.Duration) *Release {
		info := &Info{Status: status, LastDeployed: now.Add(-age)}
		if status == StatusUninstalling {
			info.LastDeployed = now.Add(-time.Hour)
			info.Deleted = now.Add(-age)
		}
		return &Release{Name: "web", Version: 3, Info: info}
	}
	for _, tc := range []struct {
		name       string
		rls        *Release
		prevHolder string
		prevExpiry time.Time
		takeOver   bool
		busy       bool
	}{
		{name: "young, lock was free: another client's", rls: pending(StatusPendingUpgrade, 3*time.Second), busy: true},
		{name: "young uninstalling, lock was free", rls: pending(StatusUninstalling, 10*time.Second), busy: true},
		{name: "young, take over", rls: pending(StatusPendingUpgrade, 3*time.Second), takeOver: true},
		{name: "old, lock was free: its client died", rls: pending(StatusPendingInstall, ForeignPendingAge)},
		{name: "written under the lapsed lock taken over", rls: pending(StatusPendingRollback, 40*time.Second),
			prevHolder: "ci@host/42", prevExpiry: now.Add(-5 * time.Second)},
		{name: "written after the lapsed lock expired", rls: pending(StatusPendingUpgrade, 2*time.Second),
			prevHolder: "ci@host/42", prevExpiry: now.Add(-5 * time.Second), busy: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lk := newTestLock()
			lk.prevHolder, lk.prevExpired = tc.prevHolder, tc.prevExpiry
			err := e.foreign(tc.rls, lk, tc.takeOver)
			if !tc.busy {
				if err != nil {
					t.Fatalf("foreign = %v, want nil (recover it)", err)
				}
				return
			}
			var be *BusyError
			if !errors.As(err, &be) || !errors.Is(err, ErrLocked) {
				t.Fatalf("foreign = %v, want a *BusyError wrapping ErrLocked", err)
			}
			for _, want := range []string{"revision 3 is " + string(tc.rls.Info.Status), "ago", "--take-over"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}
