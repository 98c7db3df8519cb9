package main

import (
	"context"
	"path/filepath"
	"time"
)

// benchDiff installs the corpus's argo-cd chart (about 60 objects and its
// CRDs) with barge, then times `barge diff upgrade` with a changed value
// against `barge upgrade --dry-run=server` of the same change, alternating.
func benchDiff(ctx context.Context, e *env) error {
	const ns = "bench-diff"
	chart := filepath.Join(e.corpus, "argo__argo-cd", "chart")
	if err := e.namespace(ctx, ns); err != nil {
		return err
	}
	if _, err := e.command(ctx, e.barge, "install", "argocd", chart, "-n", ns); err != nil {
		return err
	}
	change := []string{"--set", "global.logging.level=debug"}
	var ds, us []time.Duration
	for range e.runs {
		d, err := e.commandExit(ctx, []int{0, 2}, e.barge, append([]string{"diff", "upgrade", "argocd", chart, "-n", ns, "--detailed-exitcode"}, change...)...)
		if err != nil {
			return err
		}
		ds = append(ds, d)
		u, err := e.command(ctx, e.barge, append([]string{"upgrade", "argocd", chart, "-n", ns, "--dry-run=server"}, change...)...)
		if err != nil {
			return err
		}
		us = append(us, u)
	}
	d, u := median(ds), median(us)
	e.report.add(row{name: "diff upgrade, argo-cd (~60 objects + CRDs)", barge: secs(d), ref: "upgrade --dry-run=server " + secs(u), ratio: ratio(d, u), goal: "reported side by side"})
	return nil
}
