package storage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/bargehq/barge/pkg/release"
)

// LeasePrefix starts the name of the Lease that locks a release:
// barge.release.<name>, in the release's namespace.
const LeasePrefix = "barge.release."

// unlockTimeout bounds the release of a lock, which runs even when the
// operation's context was cancelled.
const unlockTimeout = 5 * time.Second

// LockedError is returned by Lock when another client holds the release's
// lock. It wraps release.ErrLocked.
type LockedError struct {
	// Release and Namespace name the locked release.
	Release, Namespace string
	// Holder identifies the holder, as user@host/pid.
	Holder string
	// Since is when the holder took the lock.
	Since time.Time
	// Expires is when the lock lapses unless renewed; zero for in-process locks.
	Expires time.Time
}

// Error says who holds the lock, since when, and what to do.
func (e *LockedError) Error() string {
	msg := fmt.Sprintf("release %q in namespace %q is locked by %s since %s", e.Release, e.Namespace, e.Holder, e.Since.Format(time.RFC3339))
	if !e.Expires.IsZero() {
		msg += fmt.Sprintf("; another operation is in progress: wait for it to finish (if that process is gone, the lock lapses at %s; Lease %s%s)",
			e.Expires.Format(time.RFC3339), LeasePrefix, e.Release)
	}
	return msg
}

// Unwrap returns release.ErrLocked.
func (e *LockedError) Unwrap() error { return release.ErrLocked }

// LeaseName returns the name of the Lease that locks a release.
func LeaseName(release string) (string, error) {
	name := LeasePrefix + release
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return "", fmt.Errorf("release %q: lock name %q: %v", release, name, errs)
	}
	return name, nil
}

// Lock takes the release's Lease, creating it, or taking it over when its
// holder let it expire. It fails at once with a *LockedError when a live
// holder has it. While held, the Lease is renewed in the background at a
// third of its duration, each renewal bounded by that third; Unlock stops
// renewing and deletes the Lease, even if ctx was cancelled meanwhile.
//
// The lock is held, as far as this client can prove, until its duration
// less a margin (a sixth of it) has passed since the start of the last
// renewal that succeeded: after that, or once a renewal finds the Lease
// taken over, Held fails and Lost is closed, so that the operation stops
// before another client can take the Lease over.
//
// Liveness is judged with this client's clock against the holder's last
// renewal, so clocks further apart than the margin can let two clients
// believe they hold the same lock.
func (s *Secrets) Lock(ctx context.Context, name string) (release.Lock, error) {
	if s.namespace == "" {
		return nil, fmt.Errorf("release %q: lock: the store has no namespace; give one", name)
	}
	leaseName, err := LeaseName(name)
	if err != nil {
		return nil, err
	}
	leases := s.api.leases(s.namespace)
	secs := int32(s.opts.LeaseDuration / time.Second)
	if secs < 1 {
		secs = 1
	}
	holder := s.opts.Holder
	spec := func(now time.Time) coordv1.LeaseSpec {
		t := metav1.NewMicroTime(now)
		return coordv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &secs, AcquireTime: &t, RenewTime: &t}
	}

	l := &leaseLock{
		name: name, namespace: s.namespace, leases: leases, opts: s.opts,
		lost: make(chan struct{}),
	}
	for attempt := 0; l.held == nil; attempt++ {
		if attempt == 3 {
			return nil, fmt.Errorf("release %q: lock: Lease %s/%s keeps changing; retry", name, s.namespace, leaseName)
		}
		now := s.opts.Now()
		lease := &coordv1.Lease{
			ObjectMeta: metav1.ObjectMeta{
				Name: leaseName, Namespace: s.namespace,
				Labels: map[string]string{"app.kubernetes.io/managed-by": "barge"},
			},
			Spec: spec(now),
		}
		created, err := leases.Create(ctx, lease, metav1.CreateOptions{})
		if err == nil {
			l.held, l.validFrom = created, now
			break
		}
		if !apierrors.IsAlreadyExists(err) {
			s.dropUncertain(ctx, leases, leaseName, holder, now, err)
			return nil, fmt.Errorf("release %q: lock: create Lease %s/%s: %w", name, s.namespace, leaseName, err)
		}
		cur, err := leases.Get(ctx, leaseName, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue // released meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("release %q: lock: get Lease %s/%s: %w", name, s.namespace, leaseName, err)
		}
		if lerr := liveHolder(cur, name, now); lerr != nil {
			return nil, lerr
		}
		prev := "nobody"
		if cur.Spec.HolderIdentity != nil && *cur.Spec.HolderIdentity != "" {
			prev = *cur.Spec.HolderIdentity
		}
		transitions := int32(1)
		if cur.Spec.LeaseTransitions != nil {
			transitions = *cur.Spec.LeaseTransitions + 1
		}
		expired := leaseExpiry(cur)
		cur.Spec = spec(now)
		cur.Spec.LeaseTransitions = &transitions
		updated, err := leases.Update(ctx, cur, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			continue // someone else moved first; look again
		}
		if err != nil {
			s.dropUncertain(ctx, leases, leaseName, holder, now, err)
			return nil, fmt.Errorf("release %q: lock: take over Lease %s/%s: %w", name, s.namespace, leaseName, err)
		}
		s.opts.Logger.Warn("took over an expired release lock", "release", name, "namespace", s.namespace, "previousHolder", prev)
		l.held, l.validFrom = updated, now
		l.prevHolder, l.prevExpired = prev, expired
	}
	l.start(ctx)
	return l, nil
}

// dropUncertain deletes the Lease a create or take-over may have written
// although it failed: a request cut short (Ctrl-C, a lost connection)
// can reach the server all the same, which would leave the release locked
// until the Lease lapses. The Lease is deleted only if it still records
// this holder's acquisition at acquired; an answer from the server (err
// is an API status) is certain, and nothing is done.
func (s *Secrets) dropUncertain(ctx context.Context, leases leaseAPI, name, holder string, acquired time.Time, err error) {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), unlockTimeout)
	defer cancel()
	cur, gerr := leases.Get(dctx, name, metav1.GetOptions{})
	if gerr != nil {
		return
	}
	mine := &coordv1.Lease{Spec: coordv1.LeaseSpec{HolderIdentity: &holder, AcquireTime: ptrMicro(metav1.NewMicroTime(acquired.Truncate(time.Microsecond)))}}
	if !sameHolding(cur, mine) {
		return
	}
	if derr := deleteHeld(dctx, leases, cur); derr != nil {
		s.opts.Logger.Warn("release lock of a failed request not removed; it lapses on its own", "lease", name, "error", derr)
	}
}

func ptrMicro(t metav1.MicroTime) *metav1.MicroTime { return &t }

// leaseExpiry returns when a Lease lapses unless renewed.
func leaseExpiry(l *coordv1.Lease) time.Time {
	if l.Spec.RenewTime == nil {
		return time.Time{}
	}
	dur := DefaultLeaseDuration
	if l.Spec.LeaseDurationSeconds != nil {
		dur = time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second
	}
	return l.Spec.RenewTime.Add(dur)
}

// leaseLock is a held Lease: it renews it in the background and knows
// until when it can prove it holds it.
type leaseLock struct {
	name, namespace string
	leases          leaseAPI
	opts            Options
	prevHolder      string
	prevExpired     time.Time

	mu        sync.Mutex // guards the fields below
	held      *coordv1.Lease
	validFrom time.Time // start of the last successful acquisition or renewal
	lostErr   error

	lost chan struct{} // closed once lostErr is set
	stop func()
	done chan struct{}
	once sync.Once
	// unlockContext returns the context of the Lease's deletion, alive
	// even when the operation's context was cancelled.
	unlockContext func() (context.Context, context.CancelFunc)
}

// margin is how long before the Lease's expiry, as other clients judge
// it, the lock stops counting as held here.
func (l *leaseLock) margin() time.Duration { return l.opts.LeaseDuration / 6 }

// Held returns nil while the lock is provably held.
func (l *leaseLock) Held() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lostErr == nil {
		if deadline := l.validFrom.Add(l.opts.LeaseDuration - l.margin()); !l.opts.Now().Before(deadline) {
			l.loseLocked(fmt.Errorf("release %q: lock Lease %s%s not renewed since %s (the API server did not answer); another client may have taken it over: %w",
				l.name, LeasePrefix, l.name, l.validFrom.Format(time.RFC3339), release.ErrLockLost))
		}
	}
	return l.lostErr
}

// loseLocked records why the lock was lost, once; l.mu is held.
func (l *leaseLock) loseLocked(err error) {
	if l.lostErr != nil {
		return
	}
	l.lostErr = err
	close(l.lost)
	l.opts.Logger.Warn("release lock lost", "release", l.name, "namespace", l.namespace, "error", err)
}

// Lost returns a channel closed once the lock is lost.
func (l *leaseLock) Lost() <-chan struct{} { return l.lost }

// TookOver returns the holder of the expired Lease this lock took over and
// when it lapsed.
func (l *leaseLock) TookOver() (string, time.Time) { return l.prevHolder, l.prevExpired }

// start renews the Lease in the background until Unlock.
func (l *leaseLock) start(ctx context.Context) {
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	l.stop, l.done = stop, make(chan struct{})
	l.unlockContext = func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.WithoutCancel(ctx), unlockTimeout)
	}
	every := l.opts.LeaseDuration / 3
	go func() {
		defer close(l.done)
		t := time.NewTicker(every)
		defer t.Stop()
		check := time.NewTimer(l.opts.LeaseDuration - l.margin())
		defer check.Stop()
		for {
			select {
			case <-bg.Done():
				return
			case <-check.C:
				// Lost unless renewed meanwhile: Held decides.
				if l.Held() != nil {
					return
				}
				l.mu.Lock()
				check.Reset(max(time.Until(l.validFrom.Add(l.opts.LeaseDuration-l.margin())), time.Millisecond))
				l.mu.Unlock()
				continue
			case <-t.C:
			}
			if l.Held() != nil {
				return
			}
			l.mu.Lock()
			next := l.held.DeepCopy()
			deadline := l.validFrom.Add(l.opts.LeaseDuration - l.margin())
			l.mu.Unlock()
			start := l.opts.Now()
			now := metav1.NewMicroTime(start)
			next.Spec.RenewTime = &now
			// A renewal that has not answered by the time the lock stops
			// counting as held is of no use: give up then.
			rctx, cancel := context.WithTimeout(bg, max(min(every, deadline.Sub(start)), time.Millisecond))
			renewed, err := l.leases.Update(rctx, next, metav1.UpdateOptions{})
			cancel()
			if err != nil {
				if bg.Err() != nil {
					return
				}
				if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
					l.mu.Lock()
					l.loseLocked(fmt.Errorf("release %q: lock Lease %s%s was taken over by another client: %w", l.name, LeasePrefix, l.name, release.ErrLockLost))
					l.mu.Unlock()
					return
				}
				l.opts.Logger.Warn("release lock renewal failed; retrying", "release", l.name, "namespace", l.namespace, "error", err)
				continue
			}
			l.mu.Lock()
			l.held, l.validFrom = renewed, start
			l.mu.Unlock()
		}
	}()
}

// Unlock stops renewing and deletes the Lease, unless it was lost (then
// it is another holder's, or lapses on its own).
func (l *leaseLock) Unlock() {
	l.once.Do(func() {
		l.stop()
		<-l.done
		l.mu.Lock()
		last, lost := l.held, l.lostErr != nil
		l.mu.Unlock()
		if lost {
			// Another client holds it now, or the API server did not
			// answer in time: either way it is not this lock's to delete.
			return
		}
		uctx, cancel := l.unlockContext()
		defer cancel()
		if err := deleteHeld(uctx, l.leases, last); err != nil {
			l.opts.Logger.Warn("release lock not released; it lapses on its own", "release", l.name, "namespace", l.namespace, "error", err)
		}
	})
}

// deleteHeld deletes the Lease last, which this client holds. A renewal
// stopped by unlock may have reached the server after all, leaving the
// Lease one version ahead of last: on a conflict, the Lease is read again
// and deleted if it is still this holder's from the same acquisition. A
// Lease already gone, or taken over by another holder, is left alone.
func deleteHeld(ctx context.Context, leases leaseClient, last *coordv1.Lease) error {
	for range 3 {
		err := leases.Delete(ctx, last.Name, metav1.DeleteOptions{
			Preconditions: &metav1.Preconditions{UID: &last.UID, ResourceVersion: &last.ResourceVersion},
		})
		if err == nil || apierrors.IsNotFound(err) {
			return nil
		}
		if !apierrors.IsConflict(err) {
			return err
		}
		cur, err := leases.Get(ctx, last.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if cur.UID != last.UID || !sameHolding(cur, last) {
			return nil
		}
		last = cur
	}
	return fmt.Errorf("lease %s/%s keeps changing", last.Namespace, last.Name)
}

// sameHolding reports whether two versions of a Lease record the same
// holder's same acquisition.
func sameHolding(a, b *coordv1.Lease) bool {
	ha, hb := a.Spec.HolderIdentity, b.Spec.HolderIdentity
	if ha == nil || hb == nil || *ha != *hb {
		return false
	}
	ta, tb := a.Spec.AcquireTime, b.Spec.AcquireTime
	return ta != nil && tb != nil && ta.Equal(tb)
}

// leaseClient is what Lock uses of a namespace's Leases.
type leaseClient interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (*coordv1.Lease, error)
	Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error
}

// liveHolder returns a *LockedError if the lease has a holder whose last
// renewal is within the lease duration of now.
func liveHolder(l *coordv1.Lease, name string, now time.Time) error {
	if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity == "" || l.Spec.RenewTime == nil {
		return nil
	}
	dur := DefaultLeaseDuration
	if l.Spec.LeaseDurationSeconds != nil {
		dur = time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second
	}
	expires := l.Spec.RenewTime.Add(dur)
	if !now.Before(expires) {
		return nil
	}
	since := l.Spec.RenewTime.Time
	if l.Spec.AcquireTime != nil {
		since = l.Spec.AcquireTime.Time
	}
	return &LockedError{Release: name, Namespace: l.Namespace, Holder: *l.Spec.HolderIdentity, Since: since, Expires: expires}
}
