package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/bargehq/barge/internal/localcluster"
	"github.com/bargehq/barge/pkg/fleet"
)

// The fleet-clusters section's sizes: the same tenants applied on one
// cluster and spread evenly over several, and the sizes its figures for a
// model of a large fleet are taken at.
const (
	spreadTenants  = 300
	spreadClusters = 3
	maxSpreadRuns  = 3
	// The tenants of the apply whose peak RSS, against spreadTenants',
	// gives the memory of a release during an apply.
	smallApplyTenants = 100
	// The tenants of the few-tenant plans that give the memory of a
	// cluster's connection, and how many of each the median is taken of.
	fewTenants = 3
	fewRuns    = 5
)

// The sizes barge plan (against an empty cluster) and fleet.Expand (no
// cluster) are measured at, for the memory of a release at scale.
var (
	planSizes   = []int{1000, 10000}
	expandSizes = []int{10000, 100000}
)

// benchFleetClusters applies the same Joomla tenants with one barge apply
// on one fresh cluster, then spread evenly over three fresh clusters, and
// compares the times: the three clusters share the machine's cores, so
// the ratio says what one process working on several clusters costs, not
// what three machines would gain. The first run also takes the figures a
// model of a large fleet needs: the memory of expanding and planning many
// tenants, of an apply of fewer tenants, and of a connection to a cluster.
func benchFleetClusters(ctx context.Context, e *env) error {
	if e.cluster != nil {
		e.cluster.Stop()
		e.cluster = nil
	}
	runs := min(e.runs, maxSpreadRuns)
	dir, err := os.MkdirTemp("", "bench-fleet-clusters-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Printf("  %d tenants of charts/joomla, on 1 fresh cluster and over %d fresh clusters (%d each), %d run(s) of each, taking turns; %d CPUs\n",
		spreadTenants, spreadClusters, spreadTenants/spreadClusters, runs, runtime.NumCPU())

	var ones, threes []spreadRun
	for i := range runs {
		one, err := e.spreadApply(ctx, dir, fmt.Sprintf("run %d", i+1), spreadTenants, 1, func(fe *env, kubeconfigs []string) error {
			if i > 0 {
				return nil
			}
			for _, n := range planSizes {
				if err := fe.planAtScale(ctx, dir, kubeconfigs, n); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		ones = append(ones, one)
		three, err := e.spreadApply(ctx, dir, fmt.Sprintf("run %d", i+1), spreadTenants, spreadClusters, func(fe *env, kubeconfigs []string) error {
			if i > 0 {
				return nil
			}
			return fe.connectionMemory(ctx, dir, kubeconfigs)
		})
		if err != nil {
			return err
		}
		threes = append(threes, three)
	}
	// The apply of fewer tenants on one cluster, for the growth of the
	// peak RSS with the releases.
	small, err := e.spreadApply(ctx, dir, "run 1", smallApplyTenants, 1, nil)
	if err != nil {
		return err
	}
	// The same tenants on one cluster with as many releases at once as
	// the clusters had in all: what the memory follows, the clusters or
	// the releases in flight.
	wide, err := e.spreadApply(ctx, dir, fmt.Sprintf("run 1, --concurrency %d", spreadClusters*32), spreadTenants, 1, nil,
		"--concurrency", strconv.Itoa(spreadClusters*32))
	if err != nil {
		return err
	}

	// Last: the heap of the expansions stays in this process's RSS, and a
	// child's peak RSS as the kernel reports it counts its parent's at the
	// fork.
	for _, n := range expandSizes {
		if err := expandMemory(e, dir, n); err != nil {
			return err
		}
	}

	one, three := medianRun(ones), medianRun(threes)
	e.report.add(row{name: fmt.Sprintf("fleet: apply %d tenants over %d clusters", spreadTenants, spreadClusters),
		barge: secs(three.wall), ref: "1 cluster " + secs(one.wall), ratio: ratio(three.wall, one.wall),
		goal: "~1 (the clusters share 2 cores)",
		note: fmt.Sprintf("client CPU %s vs %s, peak RSS %d vs %d MiB, cluster CPU %s vs %s (API servers %s vs %s)",
			secs(three.cpu), secs(one.cpu), three.maxRSS>>20, one.maxRSS>>20,
			secs(three.clusterCPU), secs(one.clusterCPU), secs(three.apiCPU), secs(one.apiCPU))})
	perRelease := func(d time.Duration, n int) string { return fmt.Sprintf("%.1fms", d.Seconds()*1000/float64(n)) }
	e.report.add(row{name: "fleet: one API server's rate", barge: fmt.Sprintf("%.1f releases/s", float64(spreadTenants)/one.wall.Seconds()),
		ref: "-", ratio: "-", goal: "-",
		note: fmt.Sprintf("per release: API server CPU %s, client CPU %s; peak RSS %d MiB at %d tenants, %d MiB at %d, %d MiB at %d with --concurrency %d",
			perRelease(one.apiCPU, spreadTenants), perRelease(one.cpu, spreadTenants),
			one.maxRSS>>20, spreadTenants, small.maxRSS>>20, smallApplyTenants, wide.maxRSS>>20, spreadTenants, spreadClusters*32)})
	return nil
}

// spreadRun is how one apply of a fleet over its clusters went: barge's
// figures, and the clusters' CPU meanwhile.
type spreadRun struct {
	fleetRun
	sockets    int           // the most TCP connections barge had open at once
	clusterCPU time.Duration // every component of every cluster
	apiCPU     time.Duration // the API servers'
}

// medianRun returns a run whose every figure is the median of runs'.
func medianRun(runs []spreadRun) spreadRun {
	pick := func(f func(spreadRun) time.Duration) time.Duration {
		ds := make([]time.Duration, len(runs))
		for i, r := range runs {
			ds[i] = f(r)
		}
		return median(ds)
	}
	return spreadRun{
		fleetRun: fleetRun{
			wall:   pick(func(r spreadRun) time.Duration { return r.wall }),
			cpu:    pick(func(r spreadRun) time.Duration { return r.cpu }),
			maxRSS: int64(pick(func(r spreadRun) time.Duration { return time.Duration(r.maxRSS) })),
		},
		sockets:    int(pick(func(r spreadRun) time.Duration { return time.Duration(r.sockets) })),
		clusterCPU: pick(func(r spreadRun) time.Duration { return r.clusterCPU }),
		apiCPU:     pick(func(r spreadRun) time.Duration { return r.apiCPU }),
	}
}

// spreadApply starts n fresh clusters, calls before (if not nil) with
// their kubeconfigs, applies tenants Joomla tenants spread evenly over
// them with one barge apply (with flags added), prints what it cost, and
// stops the clusters.
func (e *env) spreadApply(ctx context.Context, dir, label string, tenants, n int, before func(fe *env, kubeconfigs []string) error, flags ...string) (spreadRun, error) {
	var clusters []*localcluster.Cluster
	defer func() {
		for _, c := range clusters {
			c.Stop()
		}
	}()
	start := time.Now()
	for range n {
		c, err := localcluster.Start(ctx, localcluster.Options{})
		if err != nil {
			return spreadRun{}, fmt.Errorf("fresh cluster: %w", err)
		}
		clusters = append(clusters, c)
	}
	fmt.Printf("  %d fresh cluster(s) up in %s\n", n, secs(time.Since(start)))
	kubeconfigs := make([]string, n)
	clients := make([]kubernetes.Interface, n)
	for i, c := range clusters {
		kubeconfigs[i] = c.KubeconfigPath
		cs, err := kubernetes.NewForConfig(c.RESTConfig())
		if err != nil {
			return spreadRun{}, err
		}
		clients[i] = cs
	}
	fe := *e
	fe.cluster = clusters[0]
	if before != nil {
		if err := before(&fe, kubeconfigs); err != nil {
			return spreadRun{}, err
		}
	}
	file, err := writeSpreadFleet(e, dir, fmt.Sprintf("apply-%d-on-%d", tenants, n), tenants, kubeconfigs)
	if err != nil {
		return spreadRun{}, err
	}
	cpus := make([]map[string]time.Duration, n)
	reqs := make([]requestTotals, n)
	for i, c := range clusters {
		cpus[i] = c.CPU()
		reqs[i], _ = requestCounts(ctx, clients[i])
	}
	run, sockets, err := fe.bargeSampled(ctx, append([]string{"apply", "-f", file, "--request-stats"}, flags...)...)
	if err != nil {
		return spreadRun{}, err
	}
	out := spreadRun{fleetRun: run, sockets: sockets}
	for i, c := range clusters {
		after := c.CPU()
		for name, d := range after {
			out.clusterCPU += d - cpus[i][name]
			if name == "kube-apiserver" {
				out.apiCPU += d - cpus[i][name]
			}
		}
		fmt.Printf("  cluster c%d: CPU %s\n", i+1, cpuDelta(cpus[i], after))
		if reqAfter, err := requestCounts(ctx, clients[i]); err == nil {
			printRequests(reqs[i], reqAfter, tenants/n)
		}
	}
	fmt.Printf("  barge apply, %d tenants on %d cluster(s), %s: %s (%.1f releases/s), client CPU %s, peak RSS %d MiB, at most %d TCP connections open; all clusters' CPU %s, API servers' %s\n",
		tenants, n, label, secs(run.wall), float64(tenants)/run.wall.Seconds(),
		secs(run.cpu), run.maxRSS>>20, sockets, secs(out.clusterCPU), secs(out.apiCPU))
	return out, nil
}

// writeSpreadFleet writes a fleet of tenants Joomla tenants placed in turn
// on clusters c1, c2, ... of kubeconfigs, or on the command's cluster when
// kubeconfigs is empty, in a directory of its own under dir, and returns
// its path.
func writeSpreadFleet(e *env, dir, name string, tenants int, kubeconfigs []string) (string, error) {
	dir = filepath.Join(dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	var list strings.Builder
	for i := range tenants {
		if len(kubeconfigs) == 0 {
			fmt.Fprintf(&list, "- name: t%05d\n", i)
		} else {
			fmt.Fprintf(&list, "- {name: t%05d, cluster: c%d}\n", i, i%len(kubeconfigs)+1)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "tenants.yaml"), []byte(list.String()), 0o644); err != nil {
		return "", err
	}
	var clusters, placement string
	if len(kubeconfigs) > 0 {
		var b strings.Builder
		b.WriteString("clusters:\n")
		for i, k := range kubeconfigs {
			fmt.Fprintf(&b, "  - name: c%d\n    kubeconfig: %s\n", i+1, k)
		}
		clusters = b.String()
		placement = "    cluster: \"{{ .Tenant.cluster }}\"\n"
	}
	src := fmt.Sprintf(`apiVersion: barge.dev/v1alpha1
kind: Fleet
metadata:
  name: bench
%stenants:
  file: tenants.yaml
releases:
  - name: "joomla-{{ .Tenant.name }}"
    namespace: "bench-{{ .Tenant.name }}"
    chart: %s
    perTenant: true
%s    values:
      - %s
      - ingress:
          hosts:
            - name: "{{ .Tenant.name }}.joomla.example.com"
              tls: false
              tlsSecret: "{{ .Tenant.name }}-tls"
`, clusters, filepath.Join(e.root, "charts", "joomla"), placement, filepath.Join(e.root, "examples", "joomla-fleet", "values.yaml"))
	path := filepath.Join(dir, "fleet.yaml")
	return path, os.WriteFile(path, []byte(src), 0o644)
}

// expandMemory expands a fleet of n tenants over 100 clusters in this
// process, no cluster needed, and prints the time and the heap the
// expanded releases hold.
func expandMemory(e *env, dir string, n int) error {
	const clusters = 100
	kubeconfigs := make([]string, clusters)
	for i := range kubeconfigs {
		kubeconfigs[i] = fmt.Sprintf("c%d.kubeconfig", i+1) // never read
	}
	file, err := writeSpreadFleet(e, dir, fmt.Sprintf("expand-%d", n), n, kubeconfigs)
	if err != nil {
		return err
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	f, err := fleet.Load(file)
	if err != nil {
		return err
	}
	rels, err := f.Expand(fleet.ExpandOptions{})
	if err != nil {
		return err
	}
	took := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	fmt.Printf("  expand (no cluster), %d tenants over %d clusters: %d releases in %s, heap held %d MiB (%.1f KiB a release)\n",
		n, clusters, len(rels), secs(took), heap>>20, float64(heap)/1024/float64(len(rels)))
	runtime.KeepAlive(rels)
	return nil
}

// planAtScale runs barge plan of n tenants against the first of
// kubeconfigs' clusters, empty (every release an install, each rendered),
// and prints its time, CPU and peak RSS.
func (e *env) planAtScale(ctx context.Context, dir string, kubeconfigs []string, n int) error {
	file, err := writeSpreadFleet(e, dir, fmt.Sprintf("plan-%d", n), n, kubeconfigs[:1])
	if err != nil {
		return err
	}
	run, _, err := e.bargeSampled(ctx, "plan", "-f", file)
	if err != nil {
		return err
	}
	fmt.Printf("  barge plan, %d tenants on 1 empty cluster: %s, client CPU %s (%.2f ms a release), peak RSS %d MiB\n",
		n, secs(run.wall), secs(run.cpu), run.cpu.Seconds()*1000/float64(n), run.maxRSS>>20)
	return nil
}

// connectionMemory prints the peak RSS of barge plan of a few tenants on
// one cluster and spread over all of kubeconfigs' clusters (the median of
// several runs each, taking turns): what a connection to a cluster costs.
func (e *env) connectionMemory(ctx context.Context, dir string, kubeconfigs []string) error {
	variants := []struct {
		label       string
		kubeconfigs []string
	}{
		{"the command's kubeconfig (no clusters:)", nil},
		{"1 cluster", kubeconfigs[:1]},
		{fmt.Sprintf("%d clusters", len(kubeconfigs)), kubeconfigs},
	}
	rss := make([][]time.Duration, len(variants))
	socks := make([]int, len(variants))
	for i := range fewRuns {
		for j, v := range variants {
			file, err := writeSpreadFleet(e, dir, fmt.Sprintf("few-%d-%d", j, i), fewTenants, v.kubeconfigs)
			if err != nil {
				return err
			}
			run, sockets, err := e.bargeSampled(ctx, "plan", "-f", file)
			if err != nil {
				return err
			}
			rss[j] = append(rss[j], time.Duration(run.maxRSS))
			socks[j] = max(socks[j], sockets)
		}
	}
	for j, v := range variants {
		fmt.Printf("  barge plan, %d tenants, %s: peak RSS median %.1f MiB of %d runs (%s), at most %d TCP connections open\n",
			fewTenants, v.label, float64(median(rss[j]))/(1<<20), fewRuns, mibs(rss[j]), socks[j])
	}
	return nil
}

// mibs lists byte counts in MiB.
func mibs(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmt.Sprintf("%.1f", float64(d)/(1<<20))
	}
	return strings.Join(parts, ", ")
}

// bargeSampled runs barge with a fleet command against e's cluster,
// measures it, prints its summary and API requests lines, and also returns
// the most TCP connections it had open at once, sampled every 100 ms. Its peak RSS is its VmHWM, sampled every 10 ms until it exits:
// the kernel's figure for a child (getrusage, wait4) is at least its
// parent's RSS at the fork, and this process can be the larger.
func (e *env) bargeSampled(ctx context.Context, args ...string) (fleetRun, int, error) {
	cmd := exec.CommandContext(ctx, e.barge, append(args, "--kubeconfig", e.cluster.KubeconfigPath)...)
	cmd.Dir = e.root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return fleetRun{}, 0, err
	}
	type peaks struct {
		sockets int
		rss     int64
	}
	done := make(chan struct{})
	sampled := make(chan peaks)
	go func() {
		var p peaks
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			p.rss = max(p.rss, peakRSS(cmd.Process.Pid))
			if i%10 == 0 {
				p.sockets = max(p.sockets, openSockets(cmd.Process.Pid))
			}
			select {
			case <-done:
				sampled <- p
				return
			case <-tick.C:
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	p := <-sampled
	most := p.sockets
	run := fleetRun{wall: time.Since(start), maxRSS: p.rss}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		run.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if err != nil {
		tail := out.String()
		if len(tail) > 3000 {
			tail = tail[len(tail)-3000:]
		}
		return run, most, fmt.Errorf("barge %v: %v\n%s", args, err, tail)
	}
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if strings.HasPrefix(l, "API requests:") || strings.Contains(l, " releases in ") {
			fmt.Printf("  barge %s: %s\n", args[0], l)
		}
	}
	return run, most, nil
}

// peakRSS returns a process's peak RSS so far (VmHWM), in bytes; 0 once
// it has exited.
func peakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	_, rest, ok := strings.Cut(string(b), "VmHWM:")
	if !ok {
		return 0
	}
	line, _, _ := strings.Cut(rest, "\n")
	kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(line), " kB"), 10, 64)
	if err != nil {
		return 0
	}
	return kb << 10
}

// openSockets counts the TCP connections a process has open, established
// or not yet closed (0 once it has exited): its open files that are
// sockets listed in /proc/<pid>/net/tcp and tcp6.
func openSockets(pid int) int {
	inodes := map[string]bool{}
	for _, name := range []string{"tcp", "tcp6"} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, name))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			// sl local remote st tx:rx tr:when retrnsmt uid timeout inode
			if f := strings.Fields(line); len(f) > 9 && f[3] != "0A" { // 0A: listening
				inodes[f[9]] = true
			}
		}
	}
	fds := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(fds)
	if err != nil {
		return 0
	}
	n := 0
	for _, ent := range ents {
		l, err := os.Readlink(filepath.Join(fds, ent.Name()))
		if inode, ok := strings.CutPrefix(l, "socket:["); err == nil && ok && inodes[strings.TrimSuffix(inode, "]")] {
			n++
		}
	}
	return n
}
