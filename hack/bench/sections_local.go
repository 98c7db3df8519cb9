package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/bargehq/barge/internal/localcluster"
	"github.com/bargehq/barge/pkg/chart"
	"github.com/bargehq/barge/pkg/chart/render"
	"github.com/bargehq/barge/pkg/chart/values"
)

// benchCluster times a cold start of the local cluster from cached binaries,
// to every node Ready. The goal is an absolute figure: under 15 s.
func benchCluster(ctx context.Context, e *env) error {
	n := min(e.runs, 3)
	d, err := measure(n, func(int) error {
		c, err := localcluster.Start(ctx, localcluster.Options{})
		if err != nil {
			return err
		}
		c.Stop()
		return nil
	})
	if err != nil {
		return err
	}
	e.report.add(row{name: "cluster start to Ready nodes", barge: secs(d), ref: "15s (goal)", ratio: ratio(d, 15*time.Second), goal: "< 15 s", note: fmt.Sprintf("median of %d", n)})
	return nil
}

// corpusCase is one case of the conformance corpus.
type corpusCase struct {
	dir  string
	args []string
}

func corpusCases(root string) ([]corpusCase, error) {
	dirs, err := filepath.Glob(filepath.Join(root, "*", "args"))
	if err != nil {
		return nil, err
	}
	if len(dirs) == 0 {
		return nil, fmt.Errorf("no corpus cases under %s", root)
	}
	var cs []corpusCase
	for _, a := range dirs {
		b, err := os.ReadFile(a)
		if err != nil {
			return nil, err
		}
		cs = append(cs, corpusCase{dir: filepath.Dir(a), args: strings.Fields(string(b))})
	}
	return cs, nil
}

// runAll runs bin with every case's args, one process after another, and
// returns the total time. Exit codes are not checked (some cases fail on
// purpose), but both tools run the same cases.
func runAll(ctx context.Context, bin string, cases []corpusCase) time.Duration {
	start := time.Now()
	for _, c := range cases {
		cmd := exec.CommandContext(ctx, bin, c.args...)
		cmd.Dir = c.dir
		_ = cmd.Run()
	}
	return time.Since(start)
}

// benchTemplate times `template` over the whole corpus as whole processes,
// barge against helm v3.22, interleaved run by run.
func benchTemplate(ctx context.Context, e *env) error {
	cases, err := corpusCases(e.corpus)
	if err != nil {
		return err
	}
	var bs, hs []time.Duration
	for range e.runs {
		bs = append(bs, runAll(ctx, e.barge, cases))
		hs = append(hs, runAll(ctx, e.helm3, cases))
	}
	b, h := median(bs), median(hs)
	e.report.add(row{name: fmt.Sprintf("template, whole corpus (%d charts)", len(cases)), barge: secs(b), ref: "helm " + secs(h), ratio: ratio(b, h), goal: "<= 0.5"})
	return nil
}

// helmSample is how many `helm template` processes are timed for the
// 1,000-release comparison; the figure is scaled to 1,000.
const helmSample = 100

// benchRender renders the corpus's Joomla chart in process for 1,000
// release names and values, against 1,000 `helm template` processes
// (helmSample of them timed, scaled to 1,000).
func benchRender(ctx context.Context, e *env) error {
	dir := filepath.Join(e.corpus, "bitnami__joomla")
	const n = 1000
	var bs []time.Duration
	for range e.runs {
		start := time.Now()
		ch, err := chart.Load(filepath.Join(dir, "chart"))
		if err != nil {
			return err
		}
		base, err := values.ReadFile(filepath.Join(dir, "values", "01.yaml"))
		if err != nil {
			return err
		}
		r, err := render.New(ch)
		if err != nil {
			return err
		}
		jobs := make(chan int)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var firstErr error
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				for i := range jobs {
					v := values.MergeTables(map[string]any{
						"joomlaUsername": fmt.Sprintf("admin%d", i),
						"ingress":        map[string]any{"enabled": i%2 == 0, "hostname": fmt.Sprintf("site%d.example.com", i)},
					}, values.MergeTables(map[string]any{}, base))
					if _, err := r.Render(ctx, render.Options{ReleaseName: fmt.Sprintf("site-%d", i), Namespace: "default", Values: v}); err != nil {
						mu.Lock()
						firstErr = err
						mu.Unlock()
					}
				}
			})
		}
		for i := range n {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		if firstErr != nil {
			return firstErr
		}
		bs = append(bs, time.Since(start))
	}
	var hs []time.Duration
	for range min(e.runs, 3) {
		start := time.Now()
		for i := range helmSample {
			cmd := exec.CommandContext(ctx, e.helm3, "template", fmt.Sprintf("site-%d", i), "./chart", "-f", "values/01.yaml",
				"--set", fmt.Sprintf("joomlaUsername=admin%d,ingress.enabled=%t,ingress.hostname=site%d.example.com", i, i%2 == 0, i))
			cmd.Dir = dir
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = nil, &stderr
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("helm template: %v: %s", err, stderr.String())
			}
		}
		hs = append(hs, time.Since(start)*n/helmSample)
	}
	b, h := median(bs), median(hs)
	e.report.add(row{name: "render Joomla x1000, in process", barge: secs(b), ref: "helm " + secs(h), ratio: ratio(b, h), goal: "<= 0.05 (20x)",
		note: fmt.Sprintf("helm: %d processes timed, scaled to 1,000; barge loads the chart once", helmSample)})
	return nil
}
