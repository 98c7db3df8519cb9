package fleet

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bargehq/barge/pkg/kube"
	"github.com/bargehq/barge/pkg/release"
)

// An execution schedules a plan's changes over the clusters' lanes. One
// goroutine (the loop) owns the schedule's state; each release runs in a
// goroutine of its own, which tells the loop when it gives its slot back
// (it waits for readiness, or it is done) and when it is done.
type schedule struct {
	p    *Plan
	rep  *Report
	opts ApplyOptions

	lanes  []*lane
	laneOf []*lane // by change

	pending    []int   // by change: its needs not done yet
	dependents [][]int // by change: the changes that need it
	readied    []bool  // by change: ready has handled it
	finished   []bool  // by change
	inFlight   int

	events chan slotEvent
	// do runs one release: Runner.execute on the lane's cluster, or a
	// test's stand-in.
	do func(ctx context.Context, l *lane, c *Change, res *Result, opts ApplyOptions, free func())
}

// lane is one cluster's share of an execution: its queue of releases
// ready to start, and how many hold a slot.
type lane struct {
	c       *ClusterRunner
	limit   int
	running int
	queue   []int
	down    error // set once the cluster cannot be dialled

	cluster release.Cluster // the releases' cluster: with a shared waiter when some wait
	waiter  *kube.SharedWaiter
	fresh   *freshNamespaces
}

// slotEvent is a release's message to the loop: it gives its slot back
// (frees: it waits for readiness, or it is done), it is done, or both.
// A release done and holding its slot sends both at once, so that the
// loop learns how it ended before it starts the next.
type slotEvent struct {
	i           int
	done, frees bool
}

// run executes p over the clusters, needs first.
func (m *Clusters) run(ctx context.Context, p *Plan, opts ApplyOptions) *Report {
	start := time.Now()
	if opts.Total != nil {
		opts.Total(len(p.Changes))
	}
	rep := &Report{Results: make([]Result, len(p.Changes))}
	s := m.newSchedule(p, rep, opts)
	defer s.close()
	s.prepare(ctx)
	s.loop(ctx)
	rep.Duration = time.Since(start)
	return rep
}

func (m *Clusters) newSchedule(p *Plan, rep *Report, opts ApplyOptions) *schedule {
	n := len(p.Changes)
	s := &schedule{
		p: p, rep: rep, opts: opts,
		laneOf: make([]*lane, n), pending: make([]int, n), dependents: make([][]int, n), readied: make([]bool, n), finished: make([]bool, n),
		events: make(chan slotEvent), do: m.do,
	}
	if s.do == nil {
		s.do = func(ctx context.Context, l *lane, c *Change, res *Result, opts ApplyOptions, free func()) {
			l.c.Runner.execute(ctx, l.cluster, c, res, opts, l.fresh, free)
		}
	}
	byName := map[string]*lane{}
	for i := range m.clusters {
		c := &m.clusters[i]
		l := &lane{c: c, limit: cmp.Or(max(c.Concurrency, 0), max(opts.Concurrency, 0), DefaultConcurrency)}
		if c.Err != nil {
			l.down = &ClusterError{Cluster: c.Name, Err: c.Err}
		}
		s.lanes = append(s.lanes, l)
		byName[c.Name] = l
	}
	index := make(map[string]int, n)
	for i := range p.Changes {
		c := &p.Changes[i]
		index[c.ID()] = i
		rep.Results[i] = Result{Change: c, Revision: c.Revision}
		s.laneOf[i] = byName[c.Cluster]
	}
	for i := range p.Changes {
		for _, need := range p.Changes[i].Needs {
			// A need the plan leaves out (the selector did) is taken as in
			// place: it is not waited for.
			if j, ok := index[need]; ok {
				s.pending[i]++
				s.dependents[j] = append(s.dependents[j], i)
			}
		}
	}
	return s
}

// prepare makes, on each cluster at once, the shared waiter when some of
// its releases wait, and the namespaces its installs go to.
func (s *schedule) prepare(ctx context.Context) {
	changes := make(map[*lane][]*Change)
	waits := make(map[*lane]bool)
	for i := range s.p.Changes {
		l := s.laneOf[i]
		if l == nil || l.c.Runner == nil {
			continue
		}
		c := &s.p.Changes[i]
		changes[l] = append(changes[l], c)
		o := releaseOptions(s.opts, c.Release)
		waits[l] = waits[l] || o.Wait || o.Atomic
	}
	want := map[*lane][]string{}
	total := 0
	for l, cs := range changes {
		want[l] = namespacesToMake(cs)
		total += len(want[l])
	}
	if s.opts.Namespaces != nil && total > 0 {
		s.opts.Namespaces(total)
	}
	nctx, cancel := release.WithTimeout(ctx, s.opts.Timeout, false)
	defer cancel()
	var wg sync.WaitGroup
	for _, l := range s.lanes {
		r := l.c.Runner
		if r == nil {
			continue
		}
		l.cluster = r.cfg.Kube
		if waits[l] {
			// Releases waiting for readiness share one watch per kind.
			l.waiter = newSharedWaiter(r.cfg.Kube)
			l.cluster = sharedWaitCluster{Client: r.cfg.Kube, waiter: l.waiter}
		}
		wg.Go(func() { l.fresh = r.prepareNamespaces(nctx, want[l], l.limit) })
	}
	wg.Wait()
}

// close stops the shared waiters.
func (s *schedule) close() {
	for _, l := range s.lanes {
		if l.waiter != nil {
			l.waiter.Close()
		}
	}
}

// loop starts the releases as their needs are done and their cluster has
// a free slot, until every release is done, or ctx ends and those in
// flight are done; the releases never started are then skipped.
func (s *schedule) loop(ctx context.Context) {
	for i := range s.p.Changes {
		if s.pending[i] == 0 {
			s.ready(i)
		}
	}
	for {
		if ctx.Err() == nil {
			s.startAll(ctx)
		}
		if s.inFlight == 0 {
			break
		}
		ev := <-s.events
		l := s.laneOf[ev.i]
		if ev.frees {
			l.running--
		}
		if !ev.done {
			continue
		}
		s.inFlight--
		res := &s.rep.Results[ev.i]
		if cause := dialCause(res.Err); cause != nil {
			// The release failed because its cluster went away: it is
			// reported with the cluster, and so are the cluster's
			// releases not started yet.
			ce := &ClusterError{Cluster: l.c.Name, Err: fmt.Errorf("unreachable: %w", cause)}
			if l.down == nil {
				l.down = ce
			}
			res.Err = fmt.Errorf("release %s: %s: %w", s.p.Changes[ev.i].ID(), s.p.Changes[ev.i].Action, ce)
		}
		s.finish(ev.i, res.Err == nil)
	}
	for i := range s.p.Changes {
		if !s.finished[i] {
			s.rep.Results[i].Skipped = true
		}
	}
}

// ready handles change i once its needs are done: it is finished at once
// when it could not be planned, has nothing to do or its cluster is
// down, and queued on its cluster's lane otherwise.
func (s *schedule) ready(i int) {
	if s.readied[i] {
		return
	}
	s.readied[i] = true
	s.route(i)
}

// route fails change i, finishes it, or queues it, as ready says.
func (s *schedule) route(i int) {
	c := &s.p.Changes[i]
	res := &s.rep.Results[i]
	l := s.laneOf[i]
	switch {
	case c.Err != nil:
		res.Err = c.Err
	case c.Action == ActionUnchanged:
		s.finish(i, true)
		return
	case l == nil:
		res.Err = fmt.Errorf("release %s: cluster %q is not one of the fleet's clusters", c.ID(), c.Cluster)
	case l.down != nil:
		res.Err = fmt.Errorf("release %s: not started: %w", c.ID(), l.down)
	default:
		l.queue = append(l.queue, i)
		return
	}
	s.emit(Event{Change: c, Phase: PhaseFailed, Err: res.Err})
	s.finish(i, false)
}

// startAll starts the queued releases each lane has slots for.
func (s *schedule) startAll(ctx context.Context) {
	for _, l := range s.lanes {
		for l.running < l.limit && len(l.queue) > 0 {
			i := l.queue[0]
			l.queue = l.queue[1:]
			if l.down != nil {
				s.route(i) // fails it, naming the cluster
				continue
			}
			l.running++
			s.inFlight++
			go s.execute(ctx, l, i)
		}
	}
}

// execute runs change i on its lane's cluster, telling the loop when it
// gives its slot back and when it is done.
func (s *schedule) execute(ctx context.Context, l *lane, i int) {
	var freed atomic.Bool
	free := func() {
		if freed.CompareAndSwap(false, true) {
			s.events <- slotEvent{i: i, frees: true}
		}
	}
	c := &s.p.Changes[i]
	s.do(ctx, l, c, &s.rep.Results[i], releaseOptions(s.opts, c.Release), free)
	s.events <- slotEvent{i: i, done: true, frees: freed.CompareAndSwap(false, true)}
}

// finish records that change i is done (ok when it succeeded or had
// nothing to do): its dependents whose needs are all done become ready,
// and, when it failed, they and theirs are skipped.
func (s *schedule) finish(i int, ok bool) {
	s.finished[i] = true
	for _, d := range s.dependents[i] {
		if s.finished[d] {
			continue
		}
		if !ok && s.doomed(d) {
			// It fails for a reason of its own (not planned, its
			// cluster down): it is reported with it, not as skipped.
			s.ready(d)
			continue
		}
		if !ok {
			c := &s.p.Changes[d]
			res := &s.rep.Results[d]
			res.Skipped = true
			res.Err = fmt.Errorf("release %s: not started: it needs %s, which failed", c.ID(), s.p.Changes[i].ID())
			if c.Action == ActionPrune {
				res.Err = fmt.Errorf("release %s: not uninstalled: %s, which needs it, failed to uninstall", c.ID(), s.p.Changes[i].ID())
			}
			s.emit(Event{Change: c, Phase: PhaseFailed, Err: res.Err})
			s.finish(d, false)
			continue
		}
		s.pending[d]--
		if s.pending[d] == 0 {
			s.ready(d)
		}
	}
}

// doomed says whether change i cannot start whatever its needs do: it
// could not be planned, or its cluster cannot be reached.
func (s *schedule) doomed(i int) bool {
	l := s.laneOf[i]
	return s.p.Changes[i].Err != nil || l == nil || l.down != nil
}

func (s *schedule) emit(ev Event) {
	if s.opts.Events != nil {
		s.opts.Events(ev)
	}
}

// releaseOptions returns opts with the settings rel's definition gives
// laid over them.
func releaseOptions(opts ApplyOptions, rel *Release) ApplyOptions {
	if rel == nil {
		return opts
	}
	if rel.Wait != nil {
		opts.Wait = *rel.Wait
	}
	if rel.WaitForJobs != nil {
		opts.WaitForJobs = *rel.WaitForJobs
	}
	if rel.Atomic != nil {
		opts.Atomic = *rel.Atomic
	}
	if rel.Timeout != nil {
		opts.Timeout = *rel.Timeout
	}
	return opts
}

// LongestWait returns wait, the command's, made to wait as long as the
// longest wait of rels: a release whose definition asks to wait (wait or
// atomic) waits up to its own timeout, or the command's. A release holds
// its lock while it waits, so the locks must outlast that.
func LongestWait(wait release.WaitOptions, rels []*Release) release.WaitOptions {
	out := wait
	for _, r := range rels {
		o := releaseOptions(ApplyOptions{WaitOptions: wait}, r)
		if o.Wait || o.Atomic {
			out.Wait = true
			out.Timeout = max(out.Timeout, o.Timeout)
		}
	}
	return out
}

// dialCause returns the failure to connect to the API server within err
// (its cluster is down, or unreachable from here), nil when it has none.
func dialCause(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return op
	}
	return nil
}
