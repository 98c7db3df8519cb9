package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/bargehq/barge/internal/localregistry"
	"github.com/bargehq/barge/pkg/chart/archive"
)

// ociFleetTenants is the size of the fleet on one OCI chart: as many as
// helmFleet installs.
const ociFleetTenants = fleetHelmTenants

// benchRegistry is the real OCI registry (internal/localregistry) behind a
// reverse proxy on loopback that counts the GETs of each blob, with
// charts/joomla pushed to it by barge.
type benchRegistry struct {
	reg   *localregistry.Registry
	srv   *httptest.Server
	host  string // the proxy's address, as oci:// references name it
	ref   string // oci://HOST/charts/joomla
	ver   string // the version of charts/joomla
	layer string // the path of the chart layer's blob
	dir   string

	mu   sync.Mutex
	gets map[string]int // GETs of blobs, by path
}

// newBenchRegistry starts the registry and its counting proxy, packages
// charts/joomla and pushes it with barge.
func newBenchRegistry(ctx context.Context, e *env) (*benchRegistry, error) {
	reg, err := localregistry.Start(ctx, localregistry.Options{})
	if err != nil {
		return nil, err
	}
	target, err := url.Parse(reg.URL)
	if err != nil {
		reg.Stop()
		return nil, err
	}
	r := &benchRegistry{reg: reg, gets: map[string]int{}}
	proxy := httputil.NewSingleHostReverseProxy(target)
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodGet && strings.Contains(req.URL.Path, "/blobs/sha256:") {
			r.mu.Lock()
			r.gets[req.URL.Path]++
			r.mu.Unlock()
		}
		proxy.ServeHTTP(w, req)
	}))
	r.host = strings.TrimPrefix(r.srv.URL, "http://")
	r.ref = "oci://" + r.host + "/charts/joomla"
	if r.dir, err = os.MkdirTemp("", "barge-bench-oci-"); err != nil {
		r.close()
		return nil, err
	}
	pkg, err := archive.Package(filepath.Join(e.root, "charts", "joomla"), r.dir, archive.PackageOptions{})
	if err != nil {
		r.close()
		return nil, err
	}
	ch, err := archive.LoadFile(pkg, archive.DefaultLimits())
	if err != nil {
		r.close()
		return nil, err
	}
	data, err := os.ReadFile(pkg)
	if err != nil {
		r.close()
		return nil, err
	}
	r.ver = ch.Metadata.Version
	r.layer = fmt.Sprintf("/v2/charts/joomla/blobs/sha256:%x", sha256.Sum256(data))
	home := filepath.Join(r.dir, "push")
	if _, err := runIn(ctx, repoEnv(home), r.dir, e.barge, "push", pkg, "oci://"+r.host+"/charts", "--plain-http"); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

// layerGets returns how many times the chart layer has been downloaded.
func (r *benchRegistry) layerGets() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gets[r.layer]
}

func (r *benchRegistry) close() {
	r.srv.Close()
	r.reg.Stop()
	if r.dir != "" {
		_ = os.RemoveAll(r.dir)
	}
}

// ociTool is one side of the comparison, with a home of its own.
type ociTool struct {
	name, bin, home string
	env             []string
}

// benchOCI times, against the real OCI registry on loopback, `pull` and
// `install` of charts/joomla pushed there, barge against Helm v3.22, and a
// fleet of 100 tenants on that one chart, against as many `helm install`s
// (10 at a time, as the fleet section does), counting the chart layer's
// downloads.
func benchOCI(ctx context.Context, e *env) error {
	r, err := newBenchRegistry(ctx, e)
	if err != nil {
		return err
	}
	defer r.close()
	var tools []*ociTool
	for _, t := range []struct{ name, bin string }{{"barge", e.barge}, {"helm", e.helm3}} {
		home := filepath.Join(r.dir, t.name)
		if err := os.MkdirAll(home, 0o755); err != nil {
			return err
		}
		tools = append(tools, &ociTool{name: t.name, bin: t.bin, home: home, env: repoEnv(home)})
	}
	fmt.Printf("  %s, version %s, on the registry behind a counting proxy at %s\n", r.ref, r.ver, r.host)
	if err := benchOCIPull(ctx, e, r, tools); err != nil {
		return err
	}
	if err := benchOCIInstall(ctx, e, r, tools); err != nil {
		return err
	}
	return benchOCIFleet(ctx, e, r)
}

// benchOCIPull times `pull` cold (a fresh repository cache each run) and
// warm (the cache of an earlier pull kept).
func benchOCIPull(ctx context.Context, e *env, r *benchRegistry, tools []*ociTool) error {
	pull := func(t *ociTool, dest, cache string) (time.Duration, error) {
		if err := os.MkdirAll(filepath.Join(t.home, dest), 0o755); err != nil {
			return 0, err
		}
		return runIn(ctx, t.env, t.home, t.bin, "pull", r.ref, "--version", r.ver, "--plain-http",
			"-d", dest, "--repository-cache", filepath.Join(t.home, cache))
	}
	for _, warm := range []bool{false, true} {
		ds := map[string][]time.Duration{}
		downloads := map[string]int{}
		for _, t := range tools {
			if warm {
				if _, err := pull(t, "pull-warm", "cache-warm"); err != nil {
					return err
				}
			}
		}
		for i := range e.runs {
			for _, t := range tools {
				dest, cache := fmt.Sprintf("pull-cold-%d", i), fmt.Sprintf("cache-cold-%d", i)
				if warm {
					dest, cache = fmt.Sprintf("pull-warm-%d", i), "cache-warm"
				}
				before := r.layerGets()
				d, err := pull(t, dest, cache)
				if err != nil {
					return err
				}
				downloads[t.name] += r.layerGets() - before
				ds[t.name] = append(ds[t.name], d)
			}
		}
		b, h := median(ds["barge"]), median(ds["helm"])
		name, goal := "pull oci:// joomla, cold cache", "<= 1"
		note := fmt.Sprintf("layer downloads in %d runs: barge %d, helm %d", e.runs, downloads["barge"], downloads["helm"])
		if warm {
			name, goal = "pull oci:// joomla, warm cache", "<= 1, 0 downloads"
			note += "; helm keeps no OCI cache"
		}
		e.report.add(row{name: name, barge: secs(b), ref: "helm " + secs(h), ratio: ratio(b, h), goal: goal, note: note})
	}
	return nil
}

// benchOCIInstall times `install` of the OCI chart with the talk's values,
// barge against Helm v3.22, each run with a fresh repository cache and in a
// fresh namespace of the shared cluster, as benchInstallRepo does.
func benchOCIInstall(ctx context.Context, e *env, r *benchRegistry, tools []*ociTool) error {
	talk := filepath.Join(e.root, "charts", "joomla", "examples", "talk-values.yaml")
	ds := map[string][]time.Duration{}
	for i := range e.runs {
		for _, t := range tools {
			ns := fmt.Sprintf("bench-oci-%s-%d", t.name, i)
			if err := e.namespace(ctx, ns); err != nil {
				return err
			}
			d, err := runIn(ctx, t.env, t.home, t.bin, "install", "joomla1", r.ref, "--version", r.ver, "--plain-http",
				"--repository-cache", filepath.Join(t.home, fmt.Sprintf("cache-install-%d", i)),
				"-f", talk, "-n", ns, "--kubeconfig", e.cluster.KubeconfigPath)
			if err != nil {
				return err
			}
			if err := e.settle(ctx, ns); err != nil {
				return err
			}
			ds[t.name] = append(ds[t.name], d)
		}
	}
	b, h := median(ds["barge"]), median(ds["helm"])
	e.report.add(row{name: "install oci:// joomla (talk values), cold cache", barge: secs(b), ref: "helm " + secs(h), ratio: ratio(b, h), goal: "<= 0.5"})
	return nil
}

// benchOCIFleet applies a fleet of ociFleetTenants tenants on the OCI chart
// with barge, then installs as many with Helm v3.22 (helmFleet, 10
// processes), each on a fresh cluster as the fleet section does, and counts
// the chart layer's downloads of each. One run each: a fleet takes a while.
func benchOCIFleet(ctx context.Context, e *env, r *benchRegistry) error {
	file, err := writeChartFleet(e, r.dir, "bench-oci", r.ref, r.ver, ociFleetTenants)
	if err != nil {
		return err
	}
	if e.cluster != nil {
		// As in the fleet section: the shared cluster would only take CPU
		// from the fresh ones; a later section starts another.
		e.cluster.Stop()
		e.cluster = nil
	}
	cache := filepath.Join(r.dir, "fleet-cache")
	var applied, again fleetRun
	var bargeGets, againGets int
	err = e.onFreshCluster(ctx, false, func(fe *env, _ kubernetes.Interface) error {
		before := r.layerGets()
		run, err := fe.bargeFleet(ctx, "apply", "-f", file, "--plain-http", "--repository-cache", cache)
		if err != nil {
			return err
		}
		applied, bargeGets = run, r.layerGets()-before
		before = r.layerGets()
		if again, err = fe.bargeFleet(ctx, "apply", "-f", file, "--plain-http", "--repository-cache", cache); err != nil {
			return err
		}
		againGets = r.layerGets() - before
		fmt.Printf("  barge apply, %d tenants on %s: %s, client CPU %s, %d chart layer download(s); again, no change: %s, %d download(s)\n",
			ociFleetTenants, r.ref, secs(applied.wall), secs(applied.cpu), bargeGets, secs(again.wall), againGets)
		return nil
	})
	if err != nil {
		return err
	}
	var helmTime time.Duration
	var helmGets int
	err = e.onFreshCluster(ctx, false, func(fe *env, _ kubernetes.Interface) error {
		before := r.layerGets()
		var err error
		helmTime, err = helmFleet(ctx, fe, r.dir, r.ref, "--version", r.ver, "--plain-http")
		helmGets = r.layerGets() - before
		return err
	})
	if err != nil {
		return err
	}
	e.report.add(row{name: fmt.Sprintf("fleet: apply %d tenants on one oci:// chart", ociFleetTenants), barge: secs(applied.wall),
		ref:   fmt.Sprintf("helm %s (%d installs, %d procs)", secs(helmTime), fleetHelmTenants, fleetHelmProcs),
		ratio: ratio(applied.wall, helmTime), goal: "<= 0.25, 1 download",
		note: fmt.Sprintf("chart layer downloads: barge %d (again, no change: %d in %s), helm %d; 1 run each, fresh clusters",
			bargeGets, againGets, secs(again.wall), helmGets)})
	return nil
}
