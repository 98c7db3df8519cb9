package main

import (
	"bufio"
	"bytes"
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

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

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
// Helm v3.22 (10 processes in parallel), on the benchmark cluster. Each
// figure is one run: a run of 1,000 tenants takes minutes, and the
// cluster is cleaned between runs.
func benchFleet(ctx context.Context, e *env) error {
	fleetTenants := fleetSize()
	dir, err := os.MkdirTemp("", "bench-fleet-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	file, err := writeBenchFleet(e, dir, "bench", fleetTenants)
	fmt.Printf("  %d tenants of charts/joomla with examples/joomla-fleet/values.yaml\n", fleetTenants)
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(e.cluster.RESTConfig())
	if err != nil {
		return err
	}
	clean := func() error {
		start := time.Now()
		err := deleteNamespaces(ctx, cs)
		fmt.Printf("  cleaned up in %s\n", time.Since(start).Round(time.Second))
		return err
	}

	// (a) The physical limit, at two concurrencies (the best counts), run
	// before and after (c), so that barge's apply does not always meet the
	// cluster in a later state (a larger etcd, more history) than the limit.
	var limit time.Duration
	limitRun := func(conc int) error {
		cpu := e.cluster.CPU()
		d, writes, err := physicalLimit(ctx, e, file, conc)
		if err != nil {
			return err
		}
		printClusterCPU(e, fmt.Sprintf("(a) at concurrency %d", conc), cpu)
		fmt.Printf("  (a) server-side apply of %d tenants' objects (%d writes), concurrency %d: %s (%.0f writes/s)\n",
			fleetTenants, writes, conc, secs(d), float64(writes)/d.Seconds())
		if limit == 0 || d < limit {
			limit = d
		}
		return clean()
	}
	if err := limitRun(32); err != nil {
		return err
	}

	// (c) barge apply, with its request counts and a CPU profile.
	before, _ := requestCounts(ctx, cs)
	prof := filepath.Join(dir, "apply.prof")
	cpu := e.cluster.CPU()
	run, err := e.bargeFleet(ctx, "apply", "-f", file, "--request-stats", "--cpu-profile", prof)
	if err != nil {
		return err
	}
	printClusterCPU(e, "(c)", cpu)
	after, _ := requestCounts(ctx, cs)
	fmt.Printf("  (c) barge apply, %d tenants: %s, client CPU %s, peak RSS %d MiB\n", fleetTenants, secs(run.wall), secs(run.cpu), run.maxRSS>>20)
	printRequests(before, after, fleetTenants)
	printProfile(e, prof)
	applyRow := row{name: fmt.Sprintf("fleet: apply %d joomla tenants", fleetTenants), barge: secs(run.wall),
		ref: "limit " + secs(limit), ratio: ratio(run.wall, limit), goal: "<= 1.25",
		note: fmt.Sprintf("peak RSS %d MiB (goal < 1024), client CPU %s", run.maxRSS>>20, secs(run.cpu))}

	before, _ = requestCounts(ctx, cs)
	cpu = e.cluster.CPU()
	again, err := e.bargeFleet(ctx, "apply", "-f", file, "--request-stats")
	if err != nil {
		return err
	}
	printClusterCPU(e, "no-change apply", cpu)
	fmt.Printf("  no-change apply: %s, client CPU %s\n", secs(again.wall), secs(again.cpu))
	after, _ = requestCounts(ctx, cs)
	writes := after.writes() - before.writes()
	e.report.add(row{name: fmt.Sprintf("fleet: apply %d tenants again, no change", fleetTenants), barge: secs(again.wall),
		ref: "-", ratio: "-", goal: "<= 5s, 0 writes", note: fmt.Sprintf("%d writes by all clients (controllers settling); barge's own are on its API requests line", writes)})
	if err := clean(); err != nil {
		return err
	}
	if err := limitRun(64); err != nil {
		return err
	}
	applyRow.ref, applyRow.ratio = "limit "+secs(limit), ratio(run.wall, limit)
	e.report.add(applyRow)
	if !fleetPart("wait") {
		return nil
	}

	// (c) with --wait: how long after the objects are created are all pods ready?
	// The cluster's own progress is watched meanwhile: when its controllers
	// bound the last claim and made the last pod Ready.
	cpu = e.cluster.CPU()
	wctx, stopWatch := context.WithCancel(ctx)
	obs := watchReadiness(wctx, cs, "bench-")
	go obs.timeline(wctx, 15*time.Second, e.cluster.CPU)
	waited, err := e.bargeFleet(ctx, "apply", "-f", file, "--wait", "--timeout", "10m")
	stopWatch()
	if err != nil {
		return err
	}
	printClusterCPU(e, "apply --wait", cpu)
	bound, ready, claims, boundN, pods, readyN := obs.report()
	fmt.Printf("  apply --wait: %s; in the cluster, the last of %d/%d claims was bound at %s and the last of %d/%d pods Ready at %s\n",
		secs(waited.wall), boundN, claims, secs(bound), readyN, pods, secs(ready))
	e.report.add(row{name: fmt.Sprintf("fleet: apply --wait %d tenants", fleetTenants), barge: secs(waited.wall),
		ref: "no wait " + secs(run.wall), ratio: "-", goal: "<= +20s",
		note: fmt.Sprintf("+%s for readiness; the cluster made its last pod Ready at %s, %s before the wait ended", secs(waited.wall-run.wall), secs(ready), secs(waited.wall-ready))})
	if err := clean(); err != nil {
		return err
	}

	if !fleetPart("helm") {
		return nil
	}

	// (b) Helm v3.22: 100 tenants, 10 processes in parallel.
	helmTime, err := helmFleet(ctx, e, dir)
	if err != nil {
		return err
	}
	if err := clean(); err != nil {
		return err
	}
	helmRate := float64(fleetHelmTenants) / helmTime.Seconds()
	bargeRate := float64(fleetTenants) / run.wall.Seconds()
	e.report.add(row{name: "fleet: throughput, releases/s", barge: fmt.Sprintf("%.1f/s", bargeRate),
		ref:   fmt.Sprintf("helm %.1f/s (%d in %s, %d procs)", helmRate, fleetHelmTenants, secs(helmTime), fleetHelmProcs),
		ratio: fmt.Sprintf("%.2f", bargeRate/helmRate), goal: ">= 4"})
	return nil
}

// writeBenchFleet writes the example Joomla fleet for n tenants.
func writeBenchFleet(e *env, dir, name string, n int) (string, error) {
	var tenants strings.Builder
	for i := range n {
		fmt.Fprintf(&tenants, "- name: t%04d\n", i)
	}
	if err := os.WriteFile(filepath.Join(dir, "tenants.yaml"), []byte(tenants.String()), 0o644); err != nil {
		return "", err
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
    chart: %s
    perTenant: true
    values:
      - %s
      - ingress:
          hosts:
            - name: "{{ .Tenant.name }}.joomla.example.com"
              tls: false
              tlsSecret: "{{ .Tenant.name }}-tls"
`, name, filepath.Join(e.root, "charts", "joomla"), filepath.Join(e.root, "examples", "joomla-fleet", "values.yaml"))
	path := filepath.Join(dir, "fleet.yaml")
	return path, os.WriteFile(path, []byte(src), 0o644)
}

// physicalLimit renders the fleet's tenants with barge's renderer and
// applies their namespaces, then all their objects, with server-side apply
// at concurrency conc, with no release bookkeeping at all. It returns the
// time of the applies and the number of writes.
func physicalLimit(ctx context.Context, e *env, file string, conc int) (time.Duration, int, error) {
	f, err := fleet.Load(file)
	if err != nil {
		return 0, 0, err
	}
	rels, err := f.Expand()
	if err != nil {
		return 0, 0, err
	}
	ch, err := chart.Load(rels[0].Chart)
	if err != nil {
		return 0, 0, err
	}
	r, err := render.New(ch)
	if err != nil {
		return 0, 0, err
	}
	var nss, objs []*unstructured.Unstructured
	for _, rel := range rels {
		res, err := r.Render(ctx, render.Options{ReleaseName: rel.Name, Namespace: rel.Namespace, Values: rel.Values})
		if err != nil {
			return 0, 0, err
		}
		nss = append(nss, &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "Namespace",
			"metadata": map[string]any{"name": rel.Namespace, "labels": map[string]any{"barge.dev/bench": "fleet"}},
		}})
		for _, doc := range render.SplitDocuments(res.Manifest) {
			var m map[string]any
			if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
				return 0, 0, err
			}
			if len(m) == 0 {
				continue
			}
			u := &unstructured.Unstructured{Object: m}
			u.SetNamespace(rel.Namespace)
			objs = append(objs, u)
		}
	}
	rc := e.cluster.RESTConfig()
	rc.QPS, rc.Burst = -1, 0 // no client-side limit
	kc, err := kube.NewForRESTConfig(rc)
	if err != nil {
		return 0, 0, err
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
	if err := apply(nss); err != nil {
		return 0, 0, err
	}
	if err := apply(objs); err != nil {
		return 0, 0, err
	}
	return time.Since(start), len(nss) + len(objs), nil
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

// bargeFleet runs barge with a fleet command and measures it.
func (e *env) bargeFleet(ctx context.Context, args ...string) (fleetRun, error) {
	cmd := exec.CommandContext(ctx, e.barge, append(args, "--kubeconfig", e.cluster.KubeconfigPath)...)
	cmd.Dir = e.root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	run := fleetRun{wall: time.Since(start)}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		run.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		run.maxRSS = ru.Maxrss << 10
	}
	if err != nil {
		tail := out.String()
		if len(tail) > 3000 {
			tail = tail[len(tail)-3000:]
		}
		return run, fmt.Errorf("barge %v: %v\n%s", args, err, tail)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, "API requests:") || strings.Contains(l, " releases in ") {
			fmt.Printf("  barge %s: %s\n", args[0], l)
		}
	}
	return run, nil
}

// helmFleet installs fleetHelmTenants Joomla tenants with Helm v3.22,
// fleetHelmProcs processes at a time, and returns the wall time.
func helmFleet(ctx context.Context, e *env, dir string) (time.Duration, error) {
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
				cmd := exec.CommandContext(ctx, e.helm3, "install", fmt.Sprintf("joomla-t%04d", i), filepath.Join(e.root, "charts", "joomla"),
					"-f", vals, "--set", fmt.Sprintf("ingress.hosts[0].name=t%04d.joomla.example.com", i),
					"-n", ns, "--create-namespace", "--kubeconfig", e.cluster.KubeconfigPath)
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
	// Helm's namespaces carry no label: label them for the clean-up.
	cs, err := kubernetes.NewForConfig(e.cluster.RESTConfig())
	if err != nil {
		return 0, err
	}
	for i := range fleetHelmTenants {
		patch := []byte(`{"metadata":{"labels":{"barge.dev/bench":"fleet"}}}`)
		if _, err := cs.CoreV1().Namespaces().Patch(ctx, fmt.Sprintf("bench-helm-t%04d", i), types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			return 0, err
		}
	}
	fmt.Printf("  (b) helm v3.22, %d tenants, %d processes: %s\n", fleetHelmTenants, fleetHelmProcs, secs(d))
	return d, nil
}

// deleteNamespaces deletes the namespaces of the fleet runs and waits until
// they, and the volumes of their claims, are gone.
func deleteNamespaces(ctx context.Context, cs kubernetes.Interface) error {
	list, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	var names []string
	for _, ns := range list.Items {
		if ns.Labels["barge.dev/bench"] == "fleet" || strings.HasPrefix(ns.Name, "bench-t") || strings.HasPrefix(ns.Name, "bench-helm-t") {
			names = append(names, ns.Name)
		}
	}
	for _, n := range names {
		if err := cs.CoreV1().Namespaces().Delete(ctx, n, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	deadline := time.Now().Add(20 * time.Minute)
	for _, n := range names {
		for {
			_, err := cs.CoreV1().Namespaces().Get(ctx, n, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("namespace %s still there after 20 minutes", n)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
	// The claims' volumes are deleted by the controller manager after their
	// namespaces: wait for them too, so that the next run does not meet a
	// cluster still busy with this one.
	for {
		pvs, err := cs.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		if len(pvs.Items) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d persistent volumes still there after 20 minutes", len(pvs.Items))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// requestTotals are the API server's request counts by verb.
type requestTotals map[string]float64

func (r requestTotals) writes() int {
	n := 0.0
	for _, v := range []string{"POST", "PUT", "PATCH", "APPLY", "DELETE", "CREATE", "UPDATE", "DELETECOLLECTION"} {
		n += r[v]
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
		_, rest, _ := strings.Cut(line, `verb="`)
		verb, _, _ := strings.Cut(rest, `"`)
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err == nil {
			out[verb] += v
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

// printProfile prints the top of a CPU profile.
func printProfile(e *env, path string) {
	out, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=25", e.barge, path).CombinedOutput()
	if err != nil {
		fmt.Printf("  pprof: %v\n", err)
		return
	}
	fmt.Printf("  barge CPU profile (top 25):\n%s\n", out)
}
