package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/bargehq/barge/internal/localcluster"
	"github.com/bargehq/barge/pkg/chart"
	"github.com/bargehq/barge/pkg/chart/render"
	"github.com/bargehq/barge/pkg/fleet"
	"github.com/bargehq/barge/pkg/kube"
)

// The fleet section's sizes: N tenants for the limit and for barge (1,000;
// BARGE_BENCH_FLEET_TENANTS overrides it for a quick look), fewer for Helm,
// which is compared in releases per second.
const (
	defaultFleetTenants = 1000
	fleetHelmTenants    = 100
	fleetHelmProcs      = 10
)

func fleetSize() int {
	if n, err := strconv.Atoi(os.Getenv("BARGE_BENCH_FLEET_TENANTS")); err == nil && n > 0 {
		return n
	}
	return defaultFleetTenants
}

// fleetPart reports whether a part of the fleet section runs: all do
// unless BARGE_BENCH_FLEET_PARTS lists some ("wait", "helm"; the limit and
// the apply always run).
func fleetPart(name string) bool {
	parts := os.Getenv("BARGE_BENCH_FLEET_PARTS")
	return parts == "" || slices.Contains(strings.Split(parts, ","), name)
}

// benchFleet compares `barge apply` of Joomla tenants with the API server's
// limit (the same objects applied with no release bookkeeping) and with
// Helm v3.22 (10 processes in parallel). Every run has a fresh local
// cluster of its own, so that no run meets a cluster still busy with, or
// grown by, the one before: a cluster that has had 1,000 tenants deleted is
// measurably slower. The limit and barge take turns, a few runs each (a run
// of 1,000 tenants takes minutes), and their medians are compared.
func benchFleet(ctx context.Context, e *env) error {
	if e.cluster != nil {
		// The shared cluster of the earlier sections would only take CPU
		// from the fresh ones; a later section starts another.
		e.cluster.Stop()
		e.cluster = nil
	}
	fleetTenants := fleetSize()
	runs := min(e.runs, maxFleetRuns)
	dir, err := os.MkdirTemp("", "bench-fleet-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	file, err := writeBenchFleet(e, dir, "bench", fleetTenants)
	fmt.Printf("  %d tenants of charts/joomla with examples/joomla-fleet/values.yaml, %d run(s) of each, each on a fresh cluster\n", fleetTenants, runs)
	if err != nil {
		return err
	}
	profiling := os.Getenv("BARGE_BENCH_APISERVER_PROFILE") != ""

	// (a) The physical limit, at two concurrencies (the better median
	// counts), and (c) barge apply, taking turns.
	limits := map[int][]time.Duration{}
	var applies, nochanges, settled []time.Duration
	fleetPods := 0 // the pods the tenants' workloads ask for, counted by the limit
	var first fleetRun
	for i := range runs {
		for _, conc := range []int{32, 64} {
			err := e.onFreshCluster(ctx, profiling, func(fe *env, cs kubernetes.Interface) error {
				label := fmt.Sprintf("(a) at concurrency %d, run %d", conc, i+1)
				stopProf := newAPIServerProfiler(cs).start(ctx, fmt.Sprintf("limit-%d-run%d", conc, i+1))
				cpu, self := fe.cluster.CPU(), selfCPU()
				lr, err := physicalLimit(ctx, fe, file, conc)
				d, writes := lr.wall, lr.writes
				client := selfCPU() - self
				printClusterCPU(fe, label, cpu)
				stopProf()
				if err != nil {
					return err
				}
				fmt.Printf("  %s: server-side apply of %d tenants' objects (%d writes): %s (%.0f writes/s), client CPU %s\n",
					label, fleetTenants, writes, secs(d), float64(writes)/d.Seconds(), secs(client))
				limits[conc] = append(limits[conc], d)
				fleetPods = lr.pods
				return nil
			})
			if err != nil {
				return err
			}
		}
		err := e.onFreshCluster(ctx, profiling, func(fe *env, cs kubernetes.Interface) error {
			label := fmt.Sprintf("(c) run %d", i+1)
			before, _ := requestCounts(ctx, cs)
			args := []string{"apply", "-f", file, "--request-stats"}
			prof := filepath.Join(dir, "apply.prof")
			if i == 0 {
				args = append(args, "--cpu-profile", prof)
			}
			stopProf := newAPIServerProfiler(cs).start(ctx, fmt.Sprintf("apply-run%d", i+1))
			cpu := fe.cluster.CPU()
			run, err := fe.bargeFleet(ctx, args...)
			printClusterCPU(fe, label, cpu)
			stopProf()
			if err != nil {
				return err
			}
			after, _ := requestCounts(ctx, cs)
			fmt.Printf("  %s: barge apply, %d tenants: %s, client CPU %s, peak RSS %d MiB\n", label, fleetTenants, secs(run.wall), secs(run.cpu), run.maxRSS>>20)
			printRequests(before, after, fleetTenants)
			if i == 0 {
				printProfile(fe, prof)
				first = run
			}
			applies = append(applies, run.wall)
			first.maxRSS = max(first.maxRSS, run.maxRSS)

			// The same fleet again: nothing to do, nothing to write.
			before, _ = requestCounts(ctx, cs)
			cpu = fe.cluster.CPU()
			again, err := fe.bargeFleet(ctx, "apply", "-f", file, "--request-stats")
			if err != nil {
				return err
			}
			printClusterCPU(fe, "no-change apply", cpu)
			after, _ = requestCounts(ctx, cs)
			fmt.Printf("  no-change apply: %s, client CPU %s, %d writes by all clients (controllers settling; barge's own are on its API requests line)\n",
				secs(again.wall), secs(again.cpu), after.writes()-before.writes())
			nochanges = append(nochanges, again.wall)

			// Once more when the cluster is done with the apply (every claim
			// bound, every pod Ready), as a later run of CI would meet it.
			wctx, stopWatch := context.WithTimeout(ctx, 15*time.Minute)
			defer stopWatch()
			if err := watchReadiness(wctx, cs, "bench-").await(wctx, fleetPods); err != nil {
				return fmt.Errorf("waiting for %d pods Ready before the settled no-change apply: %w", fleetPods, err)
			}
			stopWatch()
			cpu = fe.cluster.CPU()
			quiet, err := fe.bargeFleet(ctx, "apply", "-f", file, "--request-stats")
			if err != nil {
				return err
			}
			printClusterCPU(fe, "no-change apply, cluster settled", cpu)
			fmt.Printf("  no-change apply, cluster settled: %s, client CPU %s\n", secs(quiet.wall), secs(quiet.cpu))
			settled = append(settled, quiet.wall)
			return nil
		})
		if err != nil {
			return err
		}
	}
	limit, limitConc := time.Duration(0), 0
	for _, conc := range []int{32, 64} {
		if m := median(limits[conc]); limit == 0 || m < limit {
			limit, limitConc = m, conc
		}
	}
	applied := median(applies)
	e.report.add(row{name: fmt.Sprintf("fleet: apply %d joomla tenants", fleetTenants), barge: secs(applied),
		ref: fmt.Sprintf("limit %s (@%d)", secs(limit), limitConc), ratio: ratio(applied, limit), goal: "<= 1.25",
		note: fmt.Sprintf("peak RSS %d MiB (goal < 1024), client CPU %s (run 1)", first.maxRSS>>20, secs(first.cpu))})
	e.report.add(row{name: fmt.Sprintf("fleet: apply %d tenants again, no change", fleetTenants), barge: secs(median(settled)),
		ref: "-", ratio: "-", goal: "<= 5s, 0 writes",
		note: fmt.Sprintf("the cluster settled; right after the apply, while its controllers settle: %s. barge's writes are on its API requests lines", secs(median(nochanges)))})

	if fleetPart("wait") {
		// The reference for --wait: the limit's objects, then nothing but
		// the cluster's own work until every claim is bound and every pod
		// Ready. No client can have the pods Ready sooner than this.
		var limitApplied, limitReady time.Duration
		err := e.onFreshCluster(ctx, profiling, func(fe *env, cs kubernetes.Interface) error {
			cpu := fe.cluster.CPU()
			before, _ := requestCounts(ctx, cs)
			wctx, stopWatch := context.WithCancel(ctx)
			defer stopWatch()
			obs := watchReadiness(wctx, cs, "bench-")
			go obs.timeline(wctx, 15*time.Second, fe.cluster.CPU)
			lr, err := physicalLimit(ctx, fe, file, limitConc)
			if err != nil {
				return err
			}
			actx, cancel := context.WithTimeout(ctx, 15*time.Minute)
			defer cancel()
			if err := obs.await(actx, lr.pods); err != nil {
				return fmt.Errorf("limit at concurrency %d: %d pods not all Ready: %w", limitConc, lr.pods, err)
			}
			stopWatch()
			printClusterCPU(fe, "(a) then every pod Ready", cpu)
			after, _ := requestCounts(ctx, cs)
			printWritesByResource(before, after, fleetTenants, 12)
			bound, ready, claims, boundN, pods, readyN := obs.report()
			limitApplied, limitReady = lr.wall, ready
			fmt.Printf("  (a) at concurrency %d, then every pod Ready: applied in %s; the last of %d/%d claims bound at %s, the last of %d/%d pods Ready at %s (+%s)\n",
				limitConc, secs(lr.wall), boundN, claims, secs(bound), readyN, pods, secs(ready), secs(ready-lr.wall))
			return nil
		})
		if err != nil {
			return err
		}
		// (c) with --wait: how long after the objects are created are all
		// pods ready? The cluster's own progress is watched meanwhile: when
		// its controllers bound the last claim and made the last pod Ready.
		err = e.onFreshCluster(ctx, profiling, func(fe *env, cs kubernetes.Interface) error {
			cpu := fe.cluster.CPU()
			before, _ := requestCounts(ctx, cs)
			wctx, stopWatch := context.WithCancel(ctx)
			obs := watchReadiness(wctx, cs, "bench-")
			go obs.timeline(wctx, 15*time.Second, fe.cluster.CPU)
			waited, err := fe.bargeFleet(ctx, "apply", "-f", file, "--wait", "--timeout", "15m", "--request-stats")
			stopWatch()
			if err != nil {
				return err
			}
			printClusterCPU(fe, "apply --wait", cpu)
			after, _ := requestCounts(ctx, cs)
			printWritesByResource(before, after, fleetTenants, 12)
			bound, ready, claims, boundN, pods, readyN := obs.report()
			fmt.Printf("  apply --wait: %s; in the cluster, the last of %d/%d claims was bound at %s and the last of %d/%d pods Ready at %s\n",
				secs(waited.wall), boundN, claims, secs(bound), readyN, pods, secs(ready))
			e.report.add(row{name: fmt.Sprintf("fleet: apply --wait %d tenants", fleetTenants), barge: secs(waited.wall),
				ref: "limit, pods Ready " + secs(limitReady), ratio: ratio(waited.wall, limitReady), goal: "<= +20s",
				note: fmt.Sprintf("+%s after barge's apply without waiting (%s); the limit's pods: +%s after its applies (%s)",
					secs(waited.wall-applied), secs(applied), secs(limitReady-limitApplied), secs(limitApplied))})
			return nil
		})
		if err != nil {
			return err
		}
	}

	if !fleetPart("helm") {
		return nil
	}
	// (b) Helm v3.22: 100 tenants, 10 processes in parallel.
	var helmTime time.Duration
	err = e.onFreshCluster(ctx, false, func(fe *env, _ kubernetes.Interface) error {
		var err error
		helmTime, err = helmFleet(ctx, fe, dir, filepath.Join(e.root, "charts", "joomla"))
		return err
	})
	if err != nil {
		return err
	}
	helmRate := float64(fleetHelmTenants) / helmTime.Seconds()
	bargeRate := float64(fleetTenants) / applied.Seconds()
	e.report.add(row{name: "fleet: throughput, releases/s", barge: fmt.Sprintf("%.1f/s", bargeRate),
		ref:   fmt.Sprintf("helm %.1f/s (%d in %s, %d procs)", helmRate, fleetHelmTenants, secs(helmTime), fleetHelmProcs),
		ratio: fmt.Sprintf("%.2f", bargeRate/helmRate), goal: ">= 4"})
	return nil
}

// maxFleetRuns bounds the runs of each fleet measurement: -runs 5 would
// take over an hour at 1,000 tenants.
const maxFleetRuns = 3

// onFreshCluster starts a local cluster of its own, runs f with an env
// whose cluster it is and a client for it, and stops the cluster.
func (e *env) onFreshCluster(ctx context.Context, profiling bool, f func(fe *env, cs kubernetes.Interface) error) error {
	start := time.Now()
	c, err := localcluster.Start(ctx, localcluster.Options{Profiling: profiling})
	if err != nil {
		return fmt.Errorf("fresh cluster: %w", err)
	}
	defer c.Stop()
	fmt.Printf("  fresh cluster up in %s\n", secs(time.Since(start)))
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		return err
	}
	fe := *e
	fe.cluster = c
	return f(&fe, cs)
}

// selfCPU returns the CPU time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// writeBenchFleet writes the example Joomla fleet for n tenants.
func writeBenchFleet(e *env, dir, name string, n int) (string, error) {
	return writeChartFleet(e, dir, name, filepath.Join(e.root, "charts", "joomla"), "", n)
}

// writeChartFleet writes the example Joomla fleet for n tenants of chart
// (a directory or a chart reference such as oci://host/charts/joomla), at
// version unless it is empty.
func writeChartFleet(e *env, dir, name, chart, version string, n int) (string, error) {
	var tenants strings.Builder
	for i := range n {
		fmt.Fprintf(&tenants, "- name: t%04d\n", i)
	}
	if err := os.WriteFile(filepath.Join(dir, "tenants.yaml"), []byte(tenants.String()), 0o644); err != nil {
		return "", err
	}
	versionLine := ""
	if version != "" {
		versionLine = "\n    version: " + version
	}
	src := fmt.Sprintf(`apiVersion: barge.dev/v1alpha1
kind: Fleet
metadata:
  name: %s
tenants:
  file: tenants.yaml
releases:
  - name: "joomla-{{ .Tenant.name }}"
    namespace: "bench-{{ .Tenant.name }}"
    chart: %s%s
    perTenant: true
    values:
      - %s
      - ingress:
          hosts:
            - name: "{{ .Tenant.name }}.joomla.example.com"
              tls: false
              tlsSecret: "{{ .Tenant.name }}-tls"
`, name, chart, versionLine, filepath.Join(e.root, "examples", "joomla-fleet", "values.yaml"))
	path := filepath.Join(dir, "fleet.yaml")
	return path, os.WriteFile(path, []byte(src), 0o644)
}

// physicalLimit renders the fleet's tenants with barge's renderer and
// applies their namespaces, then all their objects, with server-side apply
// at concurrency conc, with no release bookkeeping at all. It returns the
// time of the applies, the number of writes and the pods asked for. With
// BARGE_BENCH_LIMIT_ACCOUNTS set, it also applies each namespace's default
// ServiceAccount before the objects, as barge apply does.
func physicalLimit(ctx context.Context, e *env, file string, conc int) (limitRun, error) {
	f, err := fleet.Load(file)
	if err != nil {
		return limitRun{}, err
	}
	rels, err := f.Expand(fleet.ExpandOptions{})
	if err != nil {
		return limitRun{}, err
	}
	ch, err := chart.Load(rels[0].Chart)
	if err != nil {
		return limitRun{}, err
	}
	r, err := render.New(ch)
	if err != nil {
		return limitRun{}, err
	}
	var nss, accounts, objs []*unstructured.Unstructured
	pods := 0
	for _, rel := range rels {
		res, err := r.Render(ctx, render.Options{ReleaseName: rel.Name, Namespace: rel.Namespace, Values: rel.Values})
		if err != nil {
			return limitRun{}, err
		}
		nss = append(nss, &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "Namespace",
			"metadata": map[string]any{"name": rel.Namespace, "labels": map[string]any{"barge.dev/bench": "fleet"}},
		}})
		if os.Getenv("BARGE_BENCH_LIMIT_ACCOUNTS") != "" {
			// The limit with the namespaces' default ServiceAccounts made
			// up front, as barge apply makes them.
			accounts = append(accounts, &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "v1", "kind": "ServiceAccount",
				"metadata": map[string]any{"name": "default", "namespace": rel.Namespace},
			}})
		}
		for _, doc := range render.SplitDocuments(res.Manifest) {
			var m map[string]any
			if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
				return limitRun{}, err
			}
			if len(m) == 0 {
				continue
			}
			u := &unstructured.Unstructured{Object: m}
			u.SetNamespace(rel.Namespace)
			objs = append(objs, u)
			pods += replicas(u)
		}
	}
	rc := e.cluster.RESTConfig()
	rc.QPS, rc.Burst = -1, 0 // no client-side limit
	kc, err := kube.NewForRESTConfig(rc)
	if err != nil {
		return limitRun{}, err
	}
	apply := func(list []*unstructured.Unstructured) error {
		var (
			next     atomic.Int64
			wg       sync.WaitGroup
			mu       sync.Mutex
			firstErr error
		)
		for range conc {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= len(list) || ctx.Err() != nil {
						return
					}
					_, err := kc.Apply(ctx, list[i:i+1], kube.ApplyOptions{FieldManager: "bench", Concurrency: 1})
					if err != nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = err
						}
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		return firstErr
	}
	start := time.Now()
	for _, list := range [][]*unstructured.Unstructured{nss, accounts, objs} {
		if err := apply(list); err != nil {
			return limitRun{}, err
		}
	}
	return limitRun{wall: time.Since(start), writes: len(nss) + len(accounts) + len(objs), pods: pods}, nil
}

// limitRun is what one run of the physical limit did: how long its applies
// took, how many objects it applied, and how many pods its workloads ask for.
type limitRun struct {
	wall   time.Duration
	writes int
	pods   int
}

// replicas returns how many pods a Deployment or StatefulSet asks for (its
// spec.replicas, 1 when unset), 0 for any other object.
func replicas(u *unstructured.Unstructured) int {
	if k := u.GetKind(); k != "Deployment" && k != "StatefulSet" {
		return 0
	}
	v, found, _ := unstructured.NestedFieldNoCopy(u.Object, "spec", "replicas")
	switch n := v.(type) {
	case int64:
		return int(n)
	case float64: // numbers decoded from YAML through JSON
		return int(n)
	}
	if found {
		return 0 // not a number: the API server would refuse the object
	}
	return 1
}

// printClusterCPU prints the CPU time each cluster component used since
// before (a figure from Cluster.CPU).
func printClusterCPU(e *env, label string, before map[string]time.Duration) {
	fmt.Printf("  %s: cluster CPU %s\n", label, cpuDelta(before, e.cluster.CPU()))
}

// cpuDelta describes the CPU time each cluster component used between two
// figures from Cluster.CPU: the total, then each component's.
func cpuDelta(before, after map[string]time.Duration) string {
	names := make([]string, 0, len(after))
	for n := range after {
		names = append(names, n)
	}
	sort.Strings(names)
	var parts []string
	var total time.Duration
	for _, n := range names {
		d := after[n] - before[n]
		total += d
		parts = append(parts, fmt.Sprintf("%s %s", n, secs(d)))
	}
	return fmt.Sprintf("%s (%s)", secs(total), strings.Join(parts, ", "))
}

// fleetRun is how one barge fleet command went.
type fleetRun struct {
	wall, cpu time.Duration
	maxRSS    int64 // bytes
}

// bargeFleet runs barge with a fleet command and measures it (its peak
// RSS sampled, see bargeSampled).
func (e *env) bargeFleet(ctx context.Context, args ...string) (fleetRun, error) {
	run, _, err := e.bargeSampled(ctx, args...)
	return run, err
}

// helmFleet installs fleetHelmTenants Joomla tenants with Helm v3.22,
// fleetHelmProcs processes at a time, and returns the wall time. chart is
// the chart argument of helm install and the flags that go with it
// (--version, --plain-http).
func helmFleet(ctx context.Context, e *env, dir string, chart ...string) (time.Duration, error) {
	home := filepath.Join(dir, "helm")
	vals := filepath.Join(e.root, "examples", "joomla-fleet", "values.yaml")
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	start := time.Now()
	for range fleetHelmProcs {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= fleetHelmTenants || ctx.Err() != nil {
					return
				}
				ns := fmt.Sprintf("bench-helm-t%04d", i)
				args := append([]string{"install", fmt.Sprintf("joomla-t%04d", i)}, chart...)
				cmd := exec.CommandContext(ctx, e.helm3, append(args, "-f", vals, "--set", fmt.Sprintf("ingress.hosts[0].name=t%04d.joomla.example.com", i),
					"-n", ns, "--create-namespace", "--kubeconfig", e.cluster.KubeconfigPath)...)
				cmd.Env = append(os.Environ(), "HOME="+home, "HELM_CACHE_HOME="+home+"/cache", "HELM_CONFIG_HOME="+home+"/config", "HELM_DATA_HOME="+home+"/data")
				out, err := cmd.CombinedOutput()
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("helm install in %s: %v\n%s", ns, err, out)
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	d := time.Since(start)
	if firstErr != nil {
		return 0, firstErr
	}
	fmt.Printf("  (b) helm v3.22, %d tenants, %d processes: %s\n", fleetHelmTenants, fleetHelmProcs, secs(d))
	return d, nil
}

// requestTotals are the API server's request counts by verb ("POST"),
// and by verb and resource ("POST pods/binding").
type requestTotals map[string]float64

// metricLabel returns the value of label name in a Prometheus text line.
func metricLabel(line, name string) string {
	_, rest, ok := strings.Cut(line, name+`="`)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, `"`)
	return v
}

// isWrite reports whether requests of an apiserver_request_total verb write.
func isWrite(verb string) bool {
	switch verb {
	case "POST", "PUT", "PATCH", "APPLY", "DELETE", "CREATE", "UPDATE", "DELETECOLLECTION":
		return true
	}
	return false
}

func (r requestTotals) writes() int {
	n := 0.0
	for k, v := range r {
		if isWrite(k) {
			n += v
		}
	}
	return int(n)
}

// requestCounts reads apiserver_request_total from the API server's metrics.
func requestCounts(ctx context.Context, cs kubernetes.Interface) (requestTotals, error) {
	raw, err := cs.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, err
	}
	out := requestTotals{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "apiserver_request_total{") {
			continue
		}
		verb := metricLabel(line, "verb")
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err == nil {
			out[verb] += v
			res := metricLabel(line, "resource")
			if sub := metricLabel(line, "subresource"); sub != "" {
				res += "/" + sub
			}
			out[verb+" "+res] += v
		}
	}
	return out, sc.Err()
}

// printRequests prints the requests made between two counts, per release.
func printRequests(before, after requestTotals, releases int) {
	var parts []string
	for _, v := range []string{"GET", "LIST", "WATCH", "POST", "PUT", "PATCH", "APPLY", "DELETE"} {
		if d := after[v] - before[v]; d > 0 {
			parts = append(parts, fmt.Sprintf("%s %.0f (%.1f/release)", v, d, d/float64(releases)))
		}
	}
	fmt.Printf("  API requests during the apply (all clients): %s\n", strings.Join(parts, ", "))
}

// printWritesByResource prints the n kinds of write made most between two
// counts, per release: what the cluster's clients spent their writes on.
func printWritesByResource(before, after requestTotals, releases, n int) {
	type count struct {
		key string
		d   float64
	}
	var counts []count
	for k, v := range after {
		verb, _, ok := strings.Cut(k, " ")
		if !ok || !isWrite(verb) {
			continue
		}
		if d := v - before[k]; d > 0 {
			counts = append(counts, count{k, d})
		}
	}
	slices.SortFunc(counts, func(a, b count) int { return cmp.Compare(b.d, a.d) })
	var parts []string
	for _, c := range counts[:min(n, len(counts))] {
		parts = append(parts, fmt.Sprintf("%s %.1f", c.key, c.d/float64(releases)))
	}
	fmt.Printf("  writes per release by resource (all clients, top %d): %s\n", n, strings.Join(parts, ", "))
}

// printProfile prints the top of a CPU profile.
func printProfile(e *env, path string) {
	out, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=25", e.barge, path).CombinedOutput()
	if err != nil {
		fmt.Printf("  pprof: %v\n", err)
		return
	}
	fmt.Printf("  barge CPU profile (top 25):\n%s\n", out)
}
