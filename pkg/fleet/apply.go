package fleet

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/bargehq/barge/pkg/kube"
	"github.com/bargehq/barge/pkg/release"
)

// Phase is where a release is in an execution.
type Phase string

// The phases an Event reports.
const (
	// PhaseStarted: the release's operation began.
	PhaseStarted Phase = "started"
	// PhaseWaiting: its objects are applied and it waits for them to be
	// ready (with Wait).
	PhaseWaiting Phase = "waiting"
	// PhaseDone: the operation succeeded.
	PhaseDone Phase = "done"
	// PhaseFailed: the operation failed; Event.Err says why.
	PhaseFailed Phase = "failed"
)

// Event reports progress on one release.
type Event struct {
	// Change is the release's planned change.
	Change *Change
	// Phase is where it is.
	Phase Phase
	// Err is why it failed, with PhaseFailed.
	Err error
	// Elapsed is the time since its operation began.
	Elapsed time.Duration
	// Ready and Objects count, with PhaseWaiting, the release's objects
	// ready so far and those it waits for. PhaseWaiting comes again each
	// time these change.
	Ready, Objects int
	// Pending says, with PhaseWaiting, why one object is not ready yet
	// ("Kind/name: message", the first the release applied); empty when
	// all are.
	Pending string
}

// ApplyOptions tune Apply and Destroy.
type ApplyOptions struct {
	// WaitOptions are each release's: with Wait, a release is recorded
	// deployed once its objects are ready. Waiting releases do not count
	// against Concurrency.
	release.WaitOptions
	// Atomic uninstalls a failed install and rolls back a failed upgrade;
	// it implies Wait.
	Atomic bool
	// TakeOver recovers at once a young pending or uninstalling revision
	// that no barge lock covers (release.UpgradeOptions.TakeOver).
	TakeOver bool
	// Concurrency bounds the releases being applied at once; zero means
	// DefaultConcurrency.
	Concurrency int
	// Events, when set, receives progress; it is called from several
	// goroutines at once.
	Events func(Event)
	// Total, when set, is told how many releases the run works on, before
	// any starts: Destroy finds them only then.
	Total func(n int)
	// Namespaces, when set, is told how many new namespaces Apply makes
	// before any release starts (those its installs go to); it is not
	// called when there are none.
	Namespaces func(n int)
}

// Result is what happened to one release.
type Result struct {
	// Change is the planned change.
	Change *Change
	// Revision is the release's revision after the operation (0 when
	// uninstalled or never installed).
	Revision int
	// Status is the status of that revision.
	Status release.Status
	// Err is why the operation failed; nil when it succeeded or nothing
	// had to be done.
	Err error
	// Skipped is set when the operation never started: the execution was
	// interrupted (Err is nil), or a release it needs failed (Err says
	// which).
	Skipped bool
	// Duration is how long the operation took.
	Duration time.Duration
}

// Report is what an execution did, one Result per change, in the plan's
// order.
type Report struct {
	Results []Result
	// Duration is the execution's wall time.
	Duration time.Duration
}

// Failed returns the results that failed or were skipped.
func (r *Report) Failed() []Result {
	var out []Result
	for _, x := range r.Results {
		if x.Err != nil || x.Skipped {
			out = append(out, x)
		}
	}
	return out
}

// Err returns an error naming each release that failed, or nil.
func (r *Report) Err() error {
	var errs []error
	for _, x := range r.Failed() {
		if x.Skipped && x.Err == nil {
			errs = append(errs, fmt.Errorf("release %s: not started: interrupted before it started", x.Change.ID()))
			continue
		}
		errs = append(errs, x.Err)
	}
	return errors.Join(errs...)
}

// Apply executes a plan: it installs, upgrades and prunes releases, at most
// opts.Concurrency at once, and leaves unchanged ones alone without writing
// anything. A failing release does not stop the others. When ctx ends,
// releases not started are skipped, and those in flight are recorded
// failed (never left pending) by the release engine.
func (r *Runner) Apply(ctx context.Context, p *Plan, opts ApplyOptions) *Report {
	return single(r).run(ctx, p, opts)
}

// Destroy uninstalls every release the fleet owns (labelled FleetLabel),
// whether or not its file still lists it, and those of them the selector
// matches when one is given. Releases the fleet does not own are left alone.
func (r *Runner) Destroy(ctx context.Context, fleet string, plan PlanOptions, opts ApplyOptions) (*Report, error) {
	rep, err := single(r).Destroy(ctx, fleet, nil, plan, opts)
	if err != nil {
		return nil, err
	}
	return rep, nil
}

func (r *Runner) emit(opts ApplyOptions, ev Event) {
	if opts.Events != nil {
		opts.Events(ev)
	}
}

// execute runs one change; fresh are the namespaces made ahead. free gives
// its concurrency slot back; it is called when the release starts waiting
// for its objects.
func (r *Runner) execute(ctx context.Context, cluster release.Cluster, c *Change, res *Result, opts ApplyOptions, fresh *freshNamespaces, free func()) {
	start := time.Now()
	r.emit(opts, Event{Change: c, Phase: PhaseStarted})
	wait := opts.WaitOptions
	wait.Wait = wait.Wait || opts.Atomic
	var waitOnce sync.Once
	userProgress := wait.Progress
	var seen readiness
	last := Event{Objects: -1} // the summary last sent; none yet
	wait.Progress = func(s kube.Status) {
		waitOnce.Do(free)
		seen.see(s)
		ev := Event{Change: c, Phase: PhaseWaiting}
		ev.Ready, ev.Objects, ev.Pending = seen.summary()
		if ev.Ready != last.Ready || ev.Objects != last.Objects || ev.Pending != last.Pending {
			last = ev
			ev.Elapsed = time.Since(start)
			r.emit(opts, ev)
		}
		if userProgress != nil {
			userProgress(s)
		}
	}
	// Each release's operation has its own deadline, as one `barge
	// upgrade` has: API stalls included.
	octx, cancel := release.WithTimeout(ctx, wait.Timeout, opts.Atomic)
	rls, err := r.do(octx, cluster, c, wait, opts, fresh)
	cancel()
	res.Duration = time.Since(start)
	if rls != nil {
		res.Revision, res.Status = rls.Version, rls.Info.Status
	}
	if err != nil {
		res.Err = fmt.Errorf("release %s: %s: %w", c.ID(), c.Action, err)
		r.emit(opts, Event{Change: c, Phase: PhaseFailed, Err: res.Err, Elapsed: res.Duration})
		return
	}
	r.emit(opts, Event{Change: c, Phase: PhaseDone, Elapsed: res.Duration})
}

// readiness follows the objects a release waits for, from its Progress
// calls (one goroutine at a time).
type readiness struct {
	order  []kube.ObjectRef
	status map[kube.ObjectRef]kube.Status
}

// see records s, an object's latest status.
func (r *readiness) see(s kube.Status) {
	if r.status == nil {
		r.status = map[kube.ObjectRef]kube.Status{}
	}
	if _, known := r.status[s.Ref]; !known {
		r.order = append(r.order, s.Ref)
	}
	r.status[s.Ref] = s
}

// summary returns the objects ready, the objects waited for, and the
// status of the first that is not ready ("" when all are).
func (r *readiness) summary() (ready, total int, pending string) {
	for _, ref := range r.order {
		s := r.status[ref]
		if s.State == kube.StateCurrent {
			ready++
		} else if pending == "" {
			pending = ref.Kind + "/" + ref.Name + ": " + string(s.State)
			if s.Message != "" {
				pending = ref.Kind + "/" + ref.Name + ": " + s.Message
			}
		}
	}
	return ready, len(r.order), pending
}

// do runs the engine operation of c on cluster (the Runner's client when
// nil), waiting as wait says, with opts' Atomic and TakeOver. An install
// into a namespace of fresh waits for the namespace to be ready for pods
// instead of making it.
func (r *Runner) do(ctx context.Context, cluster release.Cluster, c *Change, wait release.WaitOptions, opts ApplyOptions, fresh *freshNamespaces) (*release.Release, error) {
	eng, err := r.engine(c.Namespace, cluster)
	if err != nil {
		return nil, err
	}
	switch c.Action {
	case ActionPrune:
		_, err := eng.Uninstall(ctx, c.Name, release.UninstallOptions{WaitOptions: release.WaitOptions{Wait: wait.Wait, Timeout: wait.Timeout}, IgnoreNotFound: true, TakeOver: opts.TakeOver})
		return nil, err
	case ActionInstall, ActionUpgrade:
	default:
		return nil, fmt.Errorf("unknown action %q", c.Action)
	}
	rel := c.Release
	ch, err := r.chart(ctx, rel)
	if err != nil {
		return nil, err
	}
	pr, err := r.postRenderer(rel)
	if err != nil {
		return nil, err
	}
	post := release.PostRenderOptions{PostRender: pr}
	if c.Action == ActionInstall {
		createNamespace := rel.CreateNamespace
		if fresh.has(c.Namespace) {
			fresh.await(ctx, r.cfg.Kube, c.Namespace)
			createNamespace = false
		}
		return eng.Install(ctx, rel.Name, ch, rel.Values, release.InstallOptions{
			WaitOptions: wait, CreateNamespace: createNamespace, Replace: c.replace,
			Atomic: opts.Atomic, Labels: rel.Labels, TakeOver: opts.TakeOver, PostRenderOptions: post,
		})
	}
	return eng.Upgrade(ctx, rel.Name, ch, rel.Values, release.UpgradeOptions{
		WaitOptions: wait, ResetValues: true, Atomic: opts.Atomic, Labels: rel.Labels, HistoryMax: rel.HistoryMax,
		TakeOver: opts.TakeOver, PostRenderOptions: post,
	})
}
