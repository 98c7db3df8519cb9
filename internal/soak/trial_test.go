package soak

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/bargehq/barge/internal/faultproxy"
)

// opTimeout is the --timeout of a trial's operation. The suite holds barge
// to it as a deadline for the whole command (issue 14: --timeout bounds the
// whole command, API stalls included), with deadlineGrace on top.
const (
	opTimeout     = 25 * time.Second
	deadlineGrace = 20 * time.Second
	// signalGrace is how long barge may take to stop after SIGTERM or SIGINT.
	signalGrace = 20 * time.Second
	// hardLimit is when the suite gives up on a process and kills it.
	hardLimit = 4 * time.Minute
	// nextTimeout is the --timeout of the next command and of the
	// competitor, which run undisturbed.
	nextTimeout = "90s"
)

// trial is one trial being run.
type trial struct {
	w     *world
	p     Plan
	out   *Outcome
	dir   string
	names []string // the releases: one, or two for a fleet
	proxy *faultproxy.Proxy
	pkcfg string // kubeconfig through the proxy
	begin time.Time
}

// token returns the token of a step of the trial, unique in the run.
func (t *trial) token(step string) string { return fmt.Sprintf("t%d-%s", t.p.Index, step) }

func (t *trial) logf(format string, args ...any) {
	t.out.Log = append(t.out.Log, fmt.Sprintf("%6.1fs ", time.Since(t.begin).Seconds())+fmt.Sprintf(format, args...))
}

// violate records a broken invariant of release name.
func (t *trial) violate(name string, v Violation) {
	if name != "" {
		v.Detail = name + ": " + v.Detail
	}
	t.out.Violations = append(t.out.Violations, v)
}

// runTrial runs plan p and returns how it went.
func (w *world) runTrial(ctx context.Context, p Plan) Outcome {
	o := Outcome{Plan: p, Histories: map[string]string{}}
	t := &trial{w: w, p: p, out: &o, begin: time.Now()}
	o.Moment = p.Moment(w.window[p.Op])
	if err := t.run(ctx); err != nil {
		o.HarnessErr = err
	}
	for _, n := range t.names {
		if s, err := w.snapshot(ctx, n); err == nil {
			o.Histories[n] = FormatHistory(s.Revisions)
		}
	}
	o.Duration = time.Since(t.begin)
	return o
}

func (t *trial) run(ctx context.Context) error {
	w, p := t.w, t.p
	dir, err := os.MkdirTemp(w.home, fmt.Sprintf("trial-%d-", p.Index))
	if err != nil {
		return err
	}
	t.dir = dir
	base := fmt.Sprintf("r%d", p.Index)
	t.names = []string{base}
	if p.Op == OpFleetApply {
		t.names = []string{base + "-a", base + "-b"}
	}
	if err := t.setup(); err != nil {
		return fmt.Errorf("setup: %w", err)
	}

	t.proxy, err = faultproxy.Start(w.target)
	if err != nil {
		return err
	}
	defer t.proxy.Close()
	if t.pkcfg, err = w.proxyKubeconfig(dir, t.proxy.Addr()); err != nil {
		return err
	}

	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rec := w.watchRecords(wctx, t.names, t.begin)
	pending := rec.pending
	defer func() {
		// The records' changes, checked and kept in the trial's log.
		time.Sleep(300 * time.Millisecond) // the watch's last events
		events := rec.recorded()
		for _, v := range CheckTransitions(events) {
			t.violate("", v)
		}
		for _, e := range events {
			t.out.Log = append(t.out.Log, e.String())
		}
	}()

	// The operation, and helm alongside it.
	var op, helm *proc
	startHelm := func() {
		args := []string{"upgrade", "--install", t.names[0], w.chart, "--set", "token=" + t.token("helm"), "--timeout", "60s"}
		if p.Hook {
			args = append(args, "--set", "hook=true")
		}
		helm = w.start(w.helm, w.kubeconfig, args...)
		t.logf("started %s", helm.label)
	}
	if p.Helm == HelmBefore {
		startHelm()
		time.Sleep(p.HelmOffset)
	}
	args, err := t.opArgs()
	if err != nil {
		return err
	}
	op = w.start(w.barge, t.pkcfg, args...)
	t.logf("started %s (through the proxy)", op.label)
	if p.Helm == HelmAfter {
		time.Sleep(p.HelmOffset)
		startHelm()
	}

	// The fault.
	target := op
	if p.Fault == FaultHelmKill {
		target = helm
	}
	var signalled time.Time
	if p.Fault != FaultNone && t.awaitMoment(target, pending) {
		t.out.Injected = true
		t.logf("fault %s strikes (%s)", p.Fault, t.out.Moment)
		switch p.Fault {
		case FaultSIGKILL, FaultHelmKill:
			target.signal(syscall.SIGKILL)
		case FaultSIGTERM:
			target.signal(syscall.SIGTERM)
			signalled = time.Now()
		case FaultSIGINT:
			target.signal(syscall.SIGINT)
			signalled = time.Now()
		case FaultCut:
			t.proxy.Cut()
		case FaultSlow:
			t.proxy.SetDelay(p.Latency)
		case FaultFreezeShort:
			t.proxy.Freeze()
			time.Sleep(p.FreezeFor)
			t.proxy.Thaw()
		case FaultFreezeLong:
			t.freezeLong(ctx)
		}
	}

	// Every process ends.
	for _, pr := range []*proc{op, helm} {
		if pr == nil {
			continue
		}
		if !pr.wait(time.Until(pr.start.Add(hardLimit))) {
			t.violate("", Violation{InvDeadline, fmt.Sprintf("%s still ran after %s: killed by the suite", pr.label, hardLimit)})
			_ = pr.cmd.Process.Kill()
			<-pr.done
		}
		t.logf("%s", pr)
	}
	t.checkProcess(op, signalled)

	// The state once the trial is over, then the next command and the
	// state it leaves.
	if err := t.checkAll(ctx, AfterTrial, nil); err != nil {
		return err
	}
	exp, ok := t.next(ctx, "next")
	if !ok {
		return nil
	}
	return t.checkAll(ctx, AfterNext, exp)
}

// opArgs returns the barge command of the trial's operation.
func (t *trial) opArgs() ([]string, error) {
	p := t.p
	var args []string
	name := t.names[0]
	switch p.Op {
	case OpInstall:
		args = []string{"install", name, t.w.chart, "--set", "token=" + t.token("op")}
	case OpUpgrade:
		args = []string{"upgrade", name, t.w.chart, "--set", "token=" + t.token("op")}
	case OpRollback:
		args = []string{"rollback", name, "1"}
	case OpUninstall:
		args = []string{"uninstall", name}
	case OpUninstallKeep:
		args = []string{"uninstall", name, "--keep-history"}
	case OpFleetApply:
		file, err := t.fleetFile("op")
		if err != nil {
			return nil, err
		}
		args = []string{"apply", "-f", file}
	}
	if p.Hook && (p.Op == OpInstall || p.Op == OpUpgrade) {
		args = append(args, "--set", "hook=true")
	}
	if p.Wait {
		args = append(args, "--wait")
	}
	return append(args, "--timeout", opTimeout.String()), nil
}

// fleetFile writes a fleet of the trial's releases in the namespace, all
// with the token of step, and returns its path.
func (t *trial) fleetFile(step string) (string, error) {
	src := fmt.Sprintf(`apiVersion: barge.dev/v1alpha1
kind: Fleet
metadata:
  name: soak-%d
tenants:
  items:
    - name: a
    - name: b
releases:
  - name: "r%d-{{ .Tenant.name }}"
    namespace: %s
    perTenant: true
    chart: %s
    set:
      token: %s
`, t.p.Index, t.p.Index, t.w.ns, t.w.chart, t.token(step))
	if t.p.Hook {
		src += "      hook: \"true\"\n"
	}
	path := filepath.Join(t.dir, "fleet-"+step+".yaml")
	return path, os.WriteFile(path, []byte(src), 0o644)
}

// setup brings the releases to the state the operation starts from, with
// barge or (SetupByHelm) helm, straight to the API server.
func (t *trial) setup() error {
	w, p := t.w, t.p
	install := func(step string) error {
		for _, n := range t.names {
			bin, verb := w.barge, "install"
			if p.SetupByHelm {
				bin = w.helm
			}
			if step != "setup0" {
				verb = "upgrade"
			}
			args := []string{verb, n, w.chart, "--set", "token=" + t.token(step), "--timeout", "2m"}
			if p.Hook {
				args = append(args, "--set", "hook=true")
			}
			pr := w.run(bin, w.kubeconfig, 3*time.Minute, args...)
			t.logf("setup: %s", pr)
			if pr.code != 0 {
				return fmt.Errorf("%s", pr)
			}
		}
		return nil
	}
	switch p.Op {
	case OpInstall:
		return nil
	case OpUpgrade, OpUninstall, OpUninstallKeep:
		return install("setup0")
	case OpRollback:
		if err := install("setup0"); err != nil {
			return err
		}
		return install("setup1")
	case OpFleetApply:
		if p.Index%2 == 0 {
			return nil // the apply installs
		}
		return install("setup0")
	}
	return nil
}

// awaitMoment waits for the plan's moment and reports whether target was
// still running then.
func (t *trial) awaitMoment(target *proc, pending <-chan struct{}) bool {
	if target == nil {
		return false
	}
	if t.p.AtPending {
		select {
		case <-pending:
		case <-target.done:
			return false
		}
		select {
		case <-time.After(t.p.PendingDelay(t.w.window[t.p.Op])):
		case <-target.done:
			return false
		}
		return !target.ended()
	}
	select {
	case <-time.After(t.p.StartDelay(t.w.window[t.p.Op])):
		return !target.ended()
	case <-target.done:
		return false
	}
}

// freezeLong freezes the operation's connection, and once its lock's
// lease has lapsed, runs another barge (the competitor, straight to the
// API server) on the release, which must proceed; then thaws, at the
// earliest after the plan's FreezeFor.
func (t *trial) freezeLong(ctx context.Context) {
	thaw := time.Now().Add(t.p.FreezeFor)
	t.proxy.Freeze()
	t.logf("froze the connection for at least %s", t.p.FreezeFor)
	for _, n := range t.names {
		if exp, ok := t.w.leaseExpiry(ctx, n); ok {
			time.Sleep(time.Until(exp.Add(time.Second)))
		}
	}
	if _, ok := t.next(ctx, "competitor"); !ok {
		t.logf("the competitor did not succeed")
	}
	time.Sleep(time.Until(thaw))
	t.proxy.Thaw()
	t.logf("thawed")
}

// checkProcess checks how the operation ended: within its --timeout, soon
// after SIGTERM or SIGINT, and leaving no Lease when it ended by itself or
// on those signals.
func (t *trial) checkProcess(op *proc, signalled time.Time) {
	p := t.p
	if killed := p.Fault == FaultSIGKILL && t.out.Injected; !killed {
		if d := op.end.Sub(op.start); d > opTimeout+deadlineGrace {
			t.violate("", Violation{InvDeadline, fmt.Sprintf("barge ran %s with --timeout %s", d.Round(100*time.Millisecond), opTimeout)})
		}
	}
	if !signalled.IsZero() {
		if d := op.end.Sub(signalled); d > signalGrace {
			t.violate("", Violation{InvSignalExit, fmt.Sprintf("barge ended %s after %s", d.Round(100*time.Millisecond), p.Fault)})
		}
	}
	releasesLock := p.Fault == FaultNone || p.Fault == FaultSlow || p.Fault == FaultCut ||
		p.Fault == FaultSIGTERM || p.Fault == FaultSIGINT || p.Fault == FaultHelmKill || !t.out.Injected
	if p.Fault == FaultFreezeLong || p.Fault == FaultFreezeShort && t.out.Injected {
		releasesLock = false // a frozen unlock may time out; the lease then lapses
	}
	if releasesLock {
		for _, n := range t.names {
			if _, ok := t.w.leaseExpiry(context.Background(), n); ok {
				t.violate(n, Violation{InvLockReleased, fmt.Sprintf("the Lease is left after barge ended (%s, exit %d)", p.Fault, op.code)})
			}
		}
	}
}

// checkAll checks every release of the trial, and the bystanders.
func (t *trial) checkAll(ctx context.Context, ph Phase, exp map[string]*Expect) error {
	for _, n := range t.names {
		s, err := t.w.snapshot(ctx, n)
		if err != nil {
			return fmt.Errorf("snapshot of %s: %w", n, err)
		}
		var e *Expect
		if exp != nil {
			e = exp[n]
		}
		for _, v := range Check(s, ph, e) {
			v.Detail = ph.String() + ": " + v.Detail
			t.violate(n, v)
		}
		t.logf("%s %s: %s", n, ph, revisionsString(s.Revisions))
	}
	changed, err := t.w.checkBystanders(ctx)
	if err != nil {
		return err
	}
	if changed != "" {
		t.violate("", Violation{InvUntouched, ph.String() + ": " + changed})
	}
	return nil
}
