package soak

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// nextCmd is a barge command the suite runs straight to the API server on
// some of the trial's releases.
type nextCmd struct {
	args  []string
	names []string
}

// next runs the command that follows a trial (step "next"), or the
// competitor of a long freeze (step "competitor"), and returns what each
// release should look like after it; false when it did not succeed.
//
// The next command is `barge upgrade --install` of every release, or, with
// NextAgain, the operation again: rollback to 1, uninstall (when the
// release is still there), apply. A command refused because a lock is held
// is run again once the Lease has lapsed (the holder is dead by then); one
// refused with a hint at --take-over is run again with it, when barge has
// the flag.
func (t *trial) next(ctx context.Context, step string) (map[string]*Expect, bool) {
	w, p := t.w, t.p
	tok := t.token(step)
	exp := map[string]*Expect{}
	var cmds []nextCmd
	upgradeInstall := func(n string) nextCmd {
		args := []string{"upgrade", "--install", n, w.chart, "--set", "token=" + tok, "--wait", "--timeout", nextTimeout}
		if p.Hook {
			args = append(args, "--set", "hook=true")
		}
		exp[n] = &Expect{Tokens: []string{tok}}
		return nextCmd{args: args, names: []string{n}}
	}
	again := step == "next" && p.NextAgain
	switch {
	case again && p.Op == OpRollback:
		n := t.names[0]
		exp[n] = &Expect{Tokens: []string{t.token("setup0")}}
		cmds = append(cmds, nextCmd{args: []string{"rollback", n, "1", "--wait", "--timeout", nextTimeout}, names: []string{n}})
	case again && (p.Op == OpUninstall || p.Op == OpUninstallKeep):
		n := t.names[0]
		revs, err := t.w.records(ctx, n)
		if err != nil || len(revs) == 0 || revs[len(revs)-1].Status == "uninstalled" {
			cmds = append(cmds, upgradeInstall(n))
			break
		}
		args := []string{"uninstall", n, "--wait", "--timeout", nextTimeout}
		exp[n] = &Expect{Gone: true}
		if p.Op == OpUninstallKeep {
			args = append(args, "--keep-history")
			exp[n] = &Expect{Uninstalled: true}
		}
		cmds = append(cmds, nextCmd{args: args, names: []string{n}})
	case again && p.Op == OpFleetApply:
		file, err := t.fleetFile(step)
		if err != nil {
			t.logf("%s: %v", step, err)
			return nil, false
		}
		for _, n := range t.names {
			exp[n] = &Expect{Tokens: []string{tok}}
		}
		cmds = append(cmds, nextCmd{args: []string{"apply", "-f", file, "--wait", "--timeout", nextTimeout}, names: t.names})
	default:
		for _, n := range t.names {
			cmds = append(cmds, upgradeInstall(n))
		}
	}
	for _, c := range cmds {
		if !t.runNext(ctx, step, c) {
			return exp, false
		}
	}
	return exp, true
}

// runNext runs c until it succeeds, waiting out dead holders' Leases and
// using --take-over where barge asks for it; a failure for another reason
// is a violation.
func (t *trial) runNext(ctx context.Context, step string, c nextCmd) bool {
	w := t.w
	inv := InvNextSucceeds
	if step == "competitor" {
		inv = InvTakeOverAfterLapse
	}
	takeOver := false
	var last *proc
	for attempt := 0; attempt < 5; attempt++ {
		args := c.args
		if takeOver {
			args = append(append([]string(nil), args...), "--take-over")
		}
		last = w.run(w.barge, w.kubeconfig, hardLimit, args...)
		t.logf("%s: %s", step, last)
		if last.code == 0 {
			return true
		}
		said := last.err.String() + last.out.String()
		switch {
		case strings.Contains(said, "locked by"):
			slept := false
			for _, n := range c.names {
				if exp, ok := w.leaseExpiry(ctx, n); ok {
					if d := time.Until(exp.Add(time.Second)); d > 0 {
						t.logf("%s: waiting %s for the Lease of %s to lapse", step, d.Round(time.Second), n)
						time.Sleep(min(d, 3*time.Minute))
						slept = true
					}
				}
			}
			if !slept {
				time.Sleep(time.Second)
			}
			continue
		case w.takeOver && !takeOver && strings.Contains(said, "--take-over"):
			takeOver = true
			continue
		}
		break
	}
	t.violate(strings.Join(c.names, ","), Violation{inv, last.String()})
	return false
}

// records returns a release's decoded records, oldest first.
func (w *world) records(ctx context.Context, name string) ([]Revision, error) {
	secrets, err := w.cs.CoreV1().Secrets(w.ns).List(ctx, metav1.ListOptions{LabelSelector: "owner=helm,name=" + name})
	if err != nil {
		return nil, err
	}
	var revs []Revision
	for _, sec := range secrets.Items {
		rev, err := DecodeRevision(sec.Data["release"])
		if err != nil {
			return nil, fmt.Errorf("Secret %s: %w", sec.Name, err)
		}
		revs = append(revs, rev)
	}
	sort.Slice(revs, func(i, j int) bool { return revs[i].Version < revs[j].Version })
	return revs, nil
}
