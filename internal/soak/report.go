package soak

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Outcome is how one trial went.
type Outcome struct {
	Plan Plan
	// Moment says when the fault struck (or was to strike).
	Moment string
	// Injected says whether the fault struck before the operation ended.
	Injected bool
	// Violations are the invariants the trial broke, Detail prefixed with
	// the release and the phase.
	Violations []Violation
	// HarnessErr is why the trial could not run (its setup failed...); such
	// a trial counts as an error, not as a violation.
	HarnessErr error
	// Log lists the trial's steps: commands, exits, faults.
	Log []string
	// Histories are the releases' records at the end, formatted.
	Histories map[string]string
	Duration  time.Duration
}

// Report writes a violating or failed trial in full: which trial, which
// invariant, the release's history and what happened, so it can be replayed.
func (o Outcome) Report(w io.Writer) {
	fmt.Fprintf(w, "=== %s (%s)\n", o.Plan, o.Duration.Round(100*time.Millisecond))
	fmt.Fprintf(w, "    moment: %s (injected: %v); replay: BARGE_SOAK_SEED=%d BARGE_SOAK_ONLY=%d go test ./internal/soak -run TestSoak -v\n",
		o.Moment, o.Injected, o.Plan.Seed, o.Plan.Index)
	if o.HarnessErr != nil {
		fmt.Fprintf(w, "    harness error: %v\n", o.HarnessErr)
	}
	for _, v := range o.Violations {
		fmt.Fprintf(w, "    VIOLATION %s\n", v)
	}
	names := make([]string, 0, len(o.Histories))
	for n := range o.Histories {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  records of %s at the end:\n%s", n, o.Histories[n])
	}
	fmt.Fprintf(w, "  steps:\n")
	for _, l := range o.Log {
		fmt.Fprintf(w, "    %s\n", strings.ReplaceAll(l, "\n", "\n      "))
	}
}

// Table writes the run's summary: per operation and fault, the trials, the
// faults injected, the trials with Helm alongside, the trials that broke an
// invariant and those the harness could not run; then the violations by
// invariant.
func Table(w io.Writer, seed uint64, outs []Outcome, elapsed time.Duration) {
	type row struct{ trials, injected, helm, violating, errors int }
	rows := map[Op]map[Fault]*row{}
	var total row
	byInv := map[string]int{}
	for _, o := range outs {
		if rows[o.Plan.Op] == nil {
			rows[o.Plan.Op] = map[Fault]*row{}
		}
		r := rows[o.Plan.Op][o.Plan.Fault]
		if r == nil {
			r = &row{}
			rows[o.Plan.Op][o.Plan.Fault] = r
		}
		for _, x := range []*row{r, &total} {
			x.trials++
			if o.Injected {
				x.injected++
			}
			if o.Plan.Helm != HelmNone {
				x.helm++
			}
			if len(o.Violations) > 0 {
				x.violating++
			}
			if o.HarnessErr != nil {
				x.errors++
			}
		}
		seen := map[string]bool{}
		for _, v := range o.Violations {
			if !seen[v.Invariant] {
				byInv[v.Invariant]++
				seen[v.Invariant] = true
			}
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "OPERATION\tFAULT\tTRIALS\tINJECTED\tWITH HELM\tVIOLATING\tHARNESS ERRORS\t\n")
	for _, op := range Ops {
		for _, f := range Faults {
			if r := rows[op][f]; r != nil {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t\n", op, f, r.trials, r.injected, r.helm, r.violating, r.errors)
			}
		}
	}
	fmt.Fprintf(tw, "total\t\t%d\t%d\t%d\t%d\t%d\t\n", total.trials, total.injected, total.helm, total.violating, total.errors)
	_ = tw.Flush()
	if len(byInv) > 0 {
		fmt.Fprintf(w, "\ntrials breaking each invariant:\n")
		invs := make([]string, 0, len(byInv))
		for k := range byInv {
			invs = append(invs, k)
		}
		sort.Strings(invs)
		for _, k := range invs {
			fmt.Fprintf(w, "  %-32s %d\n", k, byInv[k])
		}
	}
	fmt.Fprintf(w, "\n%d trials in %s, seed %d (replay: BARGE_SOAK_SEED=%d BARGE_SOAK_TRIALS=%d)\n",
		total.trials, elapsed.Round(time.Second), seed, seed, total.trials)
}
