// Command bench runs barge's benchmarks side by side with their references
// (usually Helm v3.22) in one run, and prints both figures, their ratio and
// the goal. The machine is shared and noisy: each figure is the median of
// several runs.
//
//	bench [-runs N] [section...]
//
// Sections: cluster, template, render, install, list, diff, repo,
// install-repo, oci, fleet, fleet-clusters. With no section, all run. Sections that need a cluster share one, started here.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/bargehq/barge/internal/localcluster"
)

// env is what every section gets.
type env struct {
	root    string // repository root
	corpus  string // ../shared/corpus/cases
	barge   string // bin/barge
	helm3   string
	helm4   string
	runs    int
	cluster *localcluster.Cluster // nil for sections that need none
	report  *report
}

// section is one benchmark group.
type section struct {
	name         string
	needsCluster bool
	run          func(ctx context.Context, e *env) error
}

func sections() []section {
	return []section{
		{"cluster", false, benchCluster},
		{"template", false, benchTemplate},
		{"render", false, benchRender},
		{"lint", false, benchLint},
		{"install", true, benchInstall},
		{"list", true, benchList},
		{"diff", true, benchDiff},
		{"repo", false, benchRepoSection},
		{"install-repo", true, benchInstallRepo},
		{"oci", true, benchOCI},
		{"fleet", false, benchFleet},                  // a fresh cluster for each run
		{"fleet-clusters", false, benchFleetClusters}, // fresh clusters for each run
	}
}

func main() {
	runs := flag.Int("runs", 5, "runs per measurement (the median is reported)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *runs, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, runs int, only []string) error {
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	e := &env{
		root:   root,
		corpus: filepath.Join(root, "..", "shared", "corpus", "cases"),
		barge:  filepath.Join(root, "bin", "barge"),
		runs:   runs,
		report: &report{},
	}
	bin := os.Getenv("BARGE_TOOLS_BIN")
	if bin == "" {
		bin = filepath.Join(root, ".cache", "bin")
	}
	e.helm3 = filepath.Join(bin, "helm-v3.22.0")
	e.helm4 = filepath.Join(bin, "helm-v4.3.1")
	for _, p := range []string{e.barge, e.helm3} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("%s missing: run `make build tools` first", p)
		}
	}
	defer func() {
		if e.cluster != nil {
			e.cluster.Stop()
		}
	}()
	for _, s := range sections() {
		if len(only) > 0 && !slices.Contains(only, s.name) {
			continue
		}
		if s.needsCluster && e.cluster == nil {
			fmt.Println("starting a local cluster for the benchmarks...")
			c, err := localcluster.Start(ctx, localcluster.Options{Log: os.Stdout})
			if err != nil {
				return err
			}
			e.cluster = c
		}
		fmt.Printf("\n== %s\n", s.name)
		if err := s.run(ctx, e); err != nil {
			e.report.fail(s.name, err)
			fmt.Printf("%s: %v\n", s.name, err)
		}
	}
	e.report.print()
	return nil
}

// row is one line of the final table.
type row struct {
	name, barge, ref, ratio, goal, note string
}

type report struct {
	rows []row
}

func (r *report) add(x row) {
	r.rows = append(r.rows, x)
	fmt.Printf("  %s: barge %s, reference %s, ratio %s (goal: %s) %s\n", x.name, x.barge, x.ref, x.ratio, x.goal, x.note)
}

func (r *report) fail(name string, err error) {
	r.rows = append(r.rows, row{name: name, barge: "error", note: err.Error()})
}

func (r *report) print() {
	fmt.Println("\n== summary (medians; ratio = barge / reference, lower is better)")
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "BENCHMARK\tBARGE\tREFERENCE\tRATIO\tGOAL\tNOTE")
	for _, x := range r.rows {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", x.name, x.barge, x.ref, x.ratio, x.goal, x.note)
	}
	w.Flush()
}

// median returns the median of ds.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// measure runs f n times and returns the median duration.
func measure(n int, f func(i int) error) (time.Duration, error) {
	var ds []time.Duration
	for i := range n {
		start := time.Now()
		if err := f(i); err != nil {
			return 0, err
		}
		ds = append(ds, time.Since(start))
	}
	return median(ds), nil
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }

func ratio(a, b time.Duration) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", a.Seconds()/b.Seconds())
}
