package release

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrLockLost means that an operation could no longer prove that it held
// its release's lock (its renewals failed for longer than the lock lasts,
// or another client took the lock over), so it stopped before its next
// write.
var ErrLockLost = errors.New("release lock lost")

// ErrChanged means that a record changed between the operation's read of
// it and its write: another client wrote it meanwhile. Stores return it
// from Update.
var ErrChanged = errors.New("release record changed by another client")

// Lock is a release's lock, held. Store.Lock returns it.
type Lock interface {
	// Held returns nil while the lock is provably held, else an error
	// wrapping ErrLockLost that says why.
	Held() error
	// Lost returns a channel closed once the lock is lost.
	Lost() <-chan struct{}
	// TookOver returns the holder of the expired lock this one replaced
	// and when it lapsed, or "" when the lock was free.
	TookOver() (holder string, expired time.Time)
	// Unlock releases the lock. It is safe to call more than once.
	Unlock()
}

// ForeignPendingAge is how long a pending or uninstalling revision that
// no barge lock covers is taken for another client's live operation (Helm
// writes no lock): Helm's default --timeout. An older one is taken for an
// operation that died, and recovered; TakeOver recovers a younger one.
const ForeignPendingAge = 5 * time.Minute

// BusyError is returned when a release's last revision is pending (or
// uninstalling) and no barge lock covers it: another client, such as
// Helm, is working on the release. It wraps ErrLocked.
type BusyError struct {
	// Release and Namespace name the release.
	Release, Namespace string
	// Revision and Status are the busy revision's.
	Revision int
	Status   Status
	// Age is how long ago the revision's operation started.
	Age time.Duration
}

// Error names the revision, its age and what to do.
func (e *BusyError) Error() string {
	return fmt.Sprintf("release %q in namespace %q: another operation (install/upgrade/rollback/uninstall) is in progress: revision %d is %s since %s ago, "+
		"written by a client that holds no barge lock (Helm, or another tool); wait for it to finish, or if that client is gone, "+
		"run again with --take-over to mark it failed now (it is taken over on its own once it is %s old)",
		e.Release, e.Namespace, e.Revision, e.Status, e.Age.Round(time.Second), ForeignPendingAge)
}

// Unwrap returns ErrLocked.
func (e *BusyError) Unwrap() error { return ErrLocked }

// LockLostError is returned by an operation that stopped because it lost
// its lock, or found a record it had read changed by another client. It
// wraps its Cause, which wraps ErrLockLost or ErrChanged.
type LockLostError struct {
	// Release names the release.
	Release string
	// Revision and Status are the revision the operation last wrote and
	// the status it wrote; Revision is zero when it had written none.
	Revision int
	Status   Status
	// Cause says why the lock was lost.
	Cause error
}

// Error says what happened and what state the release was left in.
func (e *LockLostError) Error() string {
	state := "it had written no revision"
	if e.Revision > 0 {
		state = fmt.Sprintf("it last wrote revision %d as %s, which the lock's next holder recovers", e.Revision, e.Status)
	}
	return fmt.Sprintf("release %q: stopped: %v; this operation wrote nothing more (%s); see `barge history %s`",
		e.Release, e.Cause, state, e.Release)
}

// Unwrap returns the cause.
func (e *LockLostError) Unwrap() error { return e.Cause }

// fenced is a Store whose writes first check that the operation still
// holds its lock, so that an operation that lost it (paused, partitioned,
// or swapped out) never overwrites what the lock's next holder wrote.
//
// It remembers the last revision it wrote and its status, for the error
// that says what state an operation that lost its lock left.
type fenced struct {
	Store
	lock Lock

	mu      sync.Mutex
	rev     int
	status  Status
	written bool
}

// wrote remembers a revision written.
func (s *fenced) wrote(rls *Release) {
	if rls == nil || rls.Info == nil {
		return
	}
	s.mu.Lock()
	s.rev, s.status, s.written = rls.Version, rls.Info.Status, true
	s.mu.Unlock()
}

// lastWritten returns the last revision written and its status, or zero.
func (s *fenced) lastWritten() (int, Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rev, s.status
}

// Create stores a new revision if the lock is held.
func (s *fenced) Create(ctx context.Context, rls *Release) error {
	if err := s.lock.Held(); err != nil {
		return err
	}
	if err := s.Store.Create(ctx, rls); err != nil {
		return err
	}
	s.wrote(rls)
	return nil
}

// Update replaces a stored revision if the lock is held.
func (s *fenced) Update(ctx context.Context, rls *Release) error {
	if err := s.lock.Held(); err != nil {
		return err
	}
	if err := s.Store.Update(ctx, rls); err != nil {
		return err
	}
	s.wrote(rls)
	return nil
}

// Delete removes a stored revision if the lock is held.
func (s *fenced) Delete(ctx context.Context, name string, revision int) (*Release, error) {
	if err := s.lock.Held(); err != nil {
		return nil, err
	}
	return s.Store.Delete(ctx, name, revision)
}

// Prune trims a release's history if the lock is held.
func (s *fenced) Prune(ctx context.Context, name string, keep int) ([]int, error) {
	if err := s.lock.Held(); err != nil {
		return nil, err
	}
	return s.Store.Prune(ctx, name, keep)
}

// Precode forwards to the Store, when it can encode records ahead.
func (s *fenced) Precode(rls *Release) {
	if p, ok := s.Store.(precoder); ok {
		p.Precode(rls)
	}
}

// guard returns a context derived from ctx that is cancelled, with the
// lock's error as its cause, once the lock is lost, and a function that
// stops watching.
func guard(ctx context.Context, lk Lock) (context.Context, func()) {
	gctx, cancel := context.WithCancelCause(ctx)
	stop := make(chan struct{})
	go func() {
		select {
		case <-lk.Lost():
			cancel(lk.Held())
		case <-stop:
		case <-gctx.Done():
		}
	}()
	return gctx, func() {
		close(stop)
		cancel(nil)
	}
}

// stopped returns err, or a *LockLostError in its place when err, or the
// cause of ctx's end, says that the operation on release name lost its
// lock or found its records changed by another client.
func (e *Engine) stopped(ctx context.Context, name string, err error) error {
	if err == nil {
		return nil
	}
	cause := err
	if !errors.Is(cause, ErrLockLost) && !errors.Is(cause, ErrChanged) {
		cause = context.Cause(ctx)
		if !errors.Is(cause, ErrLockLost) {
			return err
		}
	}
	lost := &LockLostError{Release: name, Cause: cause}
	if f, ok := e.store.(*fenced); ok {
		lost.Revision, lost.Status = f.lastWritten()
	}
	return lost
}
