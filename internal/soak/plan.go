package soak

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Op is the operation a trial interrupts.
type Op string

// The operations.
const (
	OpInstall       Op = "install"
	OpUpgrade       Op = "upgrade"
	OpRollback      Op = "rollback"
	OpUninstall     Op = "uninstall"
	OpUninstallKeep Op = "uninstall-keep" // uninstall --keep-history
	OpFleetApply    Op = "fleet-apply"    // barge apply -f fleet.yaml, two releases
)

// Ops are the operations in the table's order.
var Ops = []Op{OpInstall, OpUpgrade, OpRollback, OpUninstall, OpUninstallKeep, OpFleetApply}

// Fault is what a trial does to the operation.
type Fault string

// The faults.
const (
	FaultNone        Fault = "none"         // control: the operation runs undisturbed
	FaultSIGKILL     Fault = "sigkill"      // kill -9 barge
	FaultSIGTERM     Fault = "sigterm"      // kill barge
	FaultSIGINT      Fault = "sigint"       // Ctrl-C
	FaultFreezeShort Fault = "freeze-short" // freeze barge's connection for less than the lock's lease
	FaultFreezeLong  Fault = "freeze-long"  // ... for longer, while another barge takes the release over
	FaultCut         Fault = "cut"          // close barge's connections
	FaultSlow        Fault = "slow"         // add latency to every chunk barge sends or receives
	FaultHelmKill    Fault = "helm-kill"    // kill -9 a helm upgrade running alongside barge
)

// Faults are the faults in the table's order.
var Faults = []Fault{FaultNone, FaultSIGKILL, FaultSIGTERM, FaultSIGINT, FaultFreezeShort, FaultFreezeLong, FaultCut, FaultSlow, FaultHelmKill}

// faultWeights are how often each fault is drawn, out of their sum.
var faultWeights = map[Fault]int{
	FaultNone: 1, FaultSIGKILL: 3, FaultSIGTERM: 2, FaultSIGINT: 2, FaultFreezeShort: 2,
	FaultFreezeLong: 1, FaultCut: 2, FaultSlow: 1, FaultHelmKill: 1,
}

// Helm says whether and when a `helm upgrade --install` of the same
// release runs alongside the trial's operation.
type Helm string

// The Helm modes.
const (
	HelmNone   Helm = ""
	HelmBefore Helm = "helm-before" // helm starts, barge HelmOffset later
	HelmAfter  Helm = "helm-after"  // barge starts, helm HelmOffset later
)

// Plan is one trial, drawn from the run's seed and the trial's index so
// that a trial can be replayed alone.
type Plan struct {
	Seed  uint64
	Index int
	Op    Op
	Fault Fault
	// AtPending: the moment counts from when the operation's pending (or
	// uninstalling) record appears; else from the process's start.
	AtPending bool
	// Fraction places the moment: that fraction of the operation's
	// calibrated duration after its start, or (AtPending) after its
	// pending record, of 60% of that duration.
	Fraction float64
	// FreezeFor is how long a freeze lasts.
	FreezeFor time.Duration
	// Latency is the slow fault's added delay per chunk.
	Latency time.Duration
	// Helm runs helm alongside, HelmOffset apart from barge.
	Helm       Helm
	HelmOffset time.Duration
	// SetupByHelm: the release's earlier revisions were made by helm.
	SetupByHelm bool
	// Wait passes --wait to the operation; Hook turns on the chart's hook Job.
	Wait, Hook bool
	// NextAgain: the next command repeats the operation (rollback to 1,
	// uninstall, apply) rather than `barge upgrade --install`.
	NextAgain bool
}

// NewPlan draws trial index of the run with seed.
func NewPlan(seed uint64, index int) Plan {
	r := rand.New(rand.NewPCG(seed, uint64(index)))
	p := Plan{Seed: seed, Index: index}
	p.Op = Ops[r.IntN(len(Ops))]
	total := 0
	for _, f := range Faults {
		total += faultWeights[f]
	}
	n := r.IntN(total)
	for _, f := range Faults {
		if n -= faultWeights[f]; n < 0 {
			p.Fault = f
			break
		}
	}
	p.AtPending = r.IntN(2) == 0
	p.Fraction = r.Float64()
	switch p.Fault {
	case FaultFreezeShort:
		p.FreezeFor = time.Second + time.Duration(r.IntN(19000))*time.Millisecond
	case FaultFreezeLong:
		p.FreezeFor = 35*time.Second + time.Duration(r.IntN(15000))*time.Millisecond
	case FaultSlow:
		p.Latency = 20*time.Millisecond + time.Duration(r.IntN(180))*time.Millisecond
	}
	switch {
	case p.Fault == FaultHelmKill:
		p.Helm = HelmBefore
	case r.IntN(4) == 0:
		p.Helm = []Helm{HelmBefore, HelmAfter}[r.IntN(2)]
	}
	p.HelmOffset = time.Duration(r.IntN(1500)) * time.Millisecond
	p.SetupByHelm = r.IntN(4) == 0
	p.Wait = r.IntN(10) < 7
	p.Hook = r.IntN(4) == 0
	p.NextAgain = r.IntN(2) == 0
	return p
}

// Moment describes when the fault strikes, for reports.
func (p Plan) Moment(window time.Duration) string {
	if p.Fault == FaultNone {
		return "-"
	}
	if p.AtPending {
		return fmt.Sprintf("pending record +%s", p.PendingDelay(window).Round(time.Millisecond))
	}
	return fmt.Sprintf("start +%s", p.StartDelay(window).Round(time.Millisecond))
}

// StartDelay is the moment from the process's start, for a plan that does
// not wait for the pending record.
func (p Plan) StartDelay(window time.Duration) time.Duration {
	return time.Duration(p.Fraction * float64(window))
}

// PendingDelay is the moment from the pending record, for a plan that
// waits for it.
func (p Plan) PendingDelay(window time.Duration) time.Duration {
	return time.Duration(p.Fraction * 0.6 * float64(window))
}

// String describes the plan in one line, for reports.
func (p Plan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "trial %d (seed %d): %s, fault %s", p.Index, p.Seed, p.Op, p.Fault)
	switch p.Fault {
	case FaultFreezeShort, FaultFreezeLong:
		fmt.Fprintf(&b, " for %s", p.FreezeFor)
	case FaultSlow:
		fmt.Fprintf(&b, " of %s per chunk", p.Latency)
	}
	if p.Helm != HelmNone {
		fmt.Fprintf(&b, ", %s by %s", p.Helm, p.HelmOffset)
	}
	if p.SetupByHelm {
		b.WriteString(", set up by helm")
	}
	if p.Wait {
		b.WriteString(", --wait")
	}
	if p.Hook {
		b.WriteString(", hook Job")
	}
	if p.NextAgain {
		b.WriteString(", next command repeats the operation")
	}
	return b.String()
}
