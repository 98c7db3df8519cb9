package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// benchLint times lint over the whole corpus, barge (its Kubernetes schema
// checks on, as by default) against helm v3.22's lint, interleaved run by
// run: once as one process given every chart, and once as one process per
// chart with the case's values files, as a CI job lints one chart.
func benchLint(ctx context.Context, e *env) error {
	cases, err := corpusCases(e.corpus)
	if err != nil {
		return err
	}
	var charts []string
	for _, c := range cases {
		charts = append(charts, filepath.Join(c.dir, "chart"))
	}
	all := func(bin string) time.Duration {
		start := time.Now()
		_ = exec.CommandContext(ctx, bin, append([]string{"lint"}, charts...)...).Run()
		return time.Since(start)
	}
	each := func(bin string) time.Duration {
		start := time.Now()
		for _, c := range cases {
			cmd := exec.CommandContext(ctx, bin, lintArgs(c.args)...)
			cmd.Dir = c.dir
			_ = cmd.Run()
		}
		return time.Since(start)
	}
	var ba, ha, be, he []time.Duration
	for range e.runs {
		ba = append(ba, all(e.barge))
		ha = append(ha, all(e.helm3))
		be = append(be, each(e.barge))
		he = append(he, each(e.helm3))
	}
	b, h := median(ba), median(ha)
	e.report.add(row{name: fmt.Sprintf("lint, whole corpus in one process (%d charts)", len(cases)), barge: secs(b), ref: "helm " + secs(h), ratio: ratio(b, h), goal: "<= 0.5"})
	b, h = median(be), median(he)
	e.report.add(row{name: fmt.Sprintf("lint, one process per chart (%d charts)", len(cases)), barge: secs(b), ref: "helm " + secs(h), ratio: ratio(b, h), goal: "<= 0.5"})
	return nil
}

// lintArgs turns a case's `template rel ./chart -f ...` arguments into
// `lint ./chart -f ...`.
func lintArgs(template []string) []string {
	args := []string{"lint"}
	for i := 0; i < len(template); i++ {
		switch a := template[i]; {
		case a == "template":
		case a == "rel" && i == 1:
		case strings.HasPrefix(a, "--include-crds"):
		default:
			args = append(args, a)
		}
	}
	return args
}
