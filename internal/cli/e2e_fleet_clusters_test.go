package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/bargehq/barge/internal/localcluster"
	"github.com/bargehq/barge/pkg/fleet"
)

// fleetClusters is the world of the multi-cluster fleet tests: the shared
// local cluster, called east in the fleet files (reached through the
// command's --kubeconfig), and two clusters of their own, west and north,
// reached through kubeconfig files beside the fleet files.
type fleetClusters struct {
	e   *e2e
	dir string // the fleet files, the chart and the kubeconfigs
	id  string // makes the namespaces unique to the run
	cs  map[string]kubernetes.Interface
	own map[string]*localcluster.Cluster // west and north
}

// fleetChart is the chart of the multi-cluster tests: a ConfigMap saying
// which cluster it is on; with badPort, a Service the API server refuses;
// with gate, a Deployment whose pod is scheduled only once a node carries
// the label gate names (so that it is ready when the test says).
var fleetChart = map[string]string{
	"Chart.yaml":  "apiVersion: v2\nname: cm\nversion: 0.1.0\n",
	"values.yaml": "cluster: \"\"\nbadPort: 0\ngate: \"\"\n",
	"templates/cm.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}
data:
  cluster: {{ .Values.cluster | quote }}
{{- if .Values.badPort }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}
spec:
  ports:
    - port: {{ .Values.badPort }}
{{- end }}
{{- if .Values.gate }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: {{ .Release.Name }}
  template:
    metadata:
      labels:
        app: {{ .Release.Name }}
    spec:
      nodeSelector:
        {{ .Values.gate }}: open
      containers:
        - name: web
          image: nginx:1.27
{{- end }}
`,
}

// newFleetClusters starts west and north, in parallel, for the test t and
// its subtests; they are stopped when t ends, failed or not.
func newFleetClusters(t *testing.T) *fleetClusters {
	t.Helper()
	e := newE2E(t)
	fc := &fleetClusters{
		e:   e,
		dir: t.TempDir(),
		id:  e.ns[len(e.ns)-5:],
		cs:  map[string]kubernetes.Interface{"east": e.cs},
		own: map[string]*localcluster.Cluster{},
	}
	names := []string{"west", "north"}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	begin := time.Now()
	started := make([]*localcluster.Cluster, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			started[i], errs[i] = localcluster.Start(ctx, localcluster.Options{Log: prefixWriter{os.Stderr, name + " "}})
		}()
	}
	wg.Wait()
	for i, name := range names {
		if c := started[i]; c != nil {
			t.Cleanup(c.Stop)
			fc.own[name] = c
		}
		if errs[i] != nil {
			t.Fatalf("cluster %s: %v", name, errs[i])
		}
	}
	t.Logf("clusters west and north started in %.1f s", time.Since(begin).Seconds())
	for _, name := range names {
		c := fc.own[name]
		cs, err := kubernetes.NewForConfig(c.RESTConfig())
		if err != nil {
			t.Fatal(err)
		}
		fc.cs[name] = cs
		data, err := os.ReadFile(c.KubeconfigPath)
		if err != nil {
			t.Fatal(err)
		}
		fc.writeFile(name+".kubeconfig", string(data))
	}
	for path, content := range fleetChart {
		fc.writeFile(filepath.Join("charts", "cm", path), content)
	}
	t.Cleanup(func() {
		// west and north go with their clusters; east is shared.
		ctx := context.Background()
		l, err := e.cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
		if err != nil {
			return
		}
		for _, ns := range l.Items {
			if strings.HasPrefix(ns.Name, fc.ns("")) {
				_ = e.cs.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{})
			}
		}
	})
	return fc
}

// prefixWriter writes to w with a prefix (whole writes are lines here).
type prefixWriter struct {
	w      *os.File
	prefix string
}

func (p prefixWriter) Write(b []byte) (int, error) {
	_, err := p.w.Write(append([]byte(p.prefix), b...))
	return len(b), err
}

// ns returns the name of a namespace of the run.
func (fc *fleetClusters) ns(name string) string { return "fc" + fc.id + "-" + name }

// writeFile writes a file under the test's directory and returns its path.
func (fc *fleetClusters) writeFile(rel, content string) string {
	fc.e.t.Helper()
	p := filepath.Join(fc.dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		fc.e.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		fc.e.t.Fatal(err)
	}
	return p
}

// fleetFile writes a fleet file named name (its metadata.name too) with
// the given clusters, tenants and releases sections, and returns its path.
func (fc *fleetClusters) fleetFile(name, body string) string {
	fc.e.t.Helper()
	src := "apiVersion: barge.dev/v1alpha1\nkind: Fleet\nmetadata:\n  name: " + name + "\n" + body
	return fc.writeFile(name+".yaml", src)
}

// threeClusters is the clusters section naming the three clusters.
const threeClusters = `clusters:
  - name: east
  - {name: west, kubeconfig: west.kubeconfig}
  - {name: north, kubeconfig: north.kubeconfig}
`

// world returns fc for a subtest: its commands fail t, not the parent.
func (fc *fleetClusters) world(t *testing.T) (*fleetClusters, *e2e) {
	c := *fc
	e := *fc.e
	e.t = t
	c.e = &e
	return &c, &e
}

// records returns the latest record of each release the fleet owns on a
// cluster, as namespace/name -> status.
func (fc *fleetClusters) records(t *testing.T, cluster, fleetName string) map[string]string {
	t.Helper()
	l, err := fc.cs[cluster].CoreV1().Secrets("").List(context.Background(), metav1.ListOptions{
		LabelSelector: "owner=helm," + fleet.FleetLabel + "=" + fleetName,
	})
	if err != nil {
		t.Fatalf("cluster %s: list records: %v", cluster, err)
	}
	out := map[string]string{}
	latest := map[string]int{}
	for _, s := range l.Items {
		key := s.Namespace + "/" + s.Labels["name"]
		v, _ := strconv.Atoi(s.Labels["version"])
		if v >= latest[key] {
			latest[key], out[key] = v, s.Labels["status"]
		}
	}
	return out
}

// status returns the status of a release's latest record on a cluster, ""
// when it has none.
func (fc *fleetClusters) status(t *testing.T, cluster, fleetName, ns, name string) string {
	return fc.records(t, cluster, fleetName)[ns+"/"+name]
}

// configMap returns a ConfigMap's data on a cluster, nil when it does not
// exist.
func (fc *fleetClusters) configMap(t *testing.T, cluster, ns, name string) map[string]string {
	t.Helper()
	cm, err := fc.cs[cluster].CoreV1().ConfigMaps(ns).Get(context.Background(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatalf("cluster %s: get ConfigMap %s/%s: %v", cluster, ns, name, err)
	}
	return cm.Data
}

// wantRecords checks the releases a fleet owns on a cluster and their
// statuses (namespace/name -> status).
func (fc *fleetClusters) wantRecords(t *testing.T, cluster, fleetName string, want map[string]string) {
	t.Helper()
	got := fc.records(t, cluster, fleetName)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("cluster %s: the releases of fleet %s are %v, want %v", cluster, fleetName, got, want)
	}
}

// rowWith returns the first line of out holding the fields in this order
// (among others), "" when none does.
func rowWith(out string, fields ...string) string {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		i := 0
		for _, w := range f {
			if i < len(fields) && w == fields[i] {
				i++
			}
		}
		if i == len(fields) {
			return line
		}
	}
	return ""
}

// wantRow checks that the summary has a row for the release on the cluster
// with that result.
func wantRow(t *testing.T, r result, cluster, ns, name, result string) {
	t.Helper()
	if rowWith(r.stdout, cluster, ns, name, result) == "" {
		t.Errorf("summary lacks a row %s %s %s ... %s\n%s", cluster, ns, name, result, r)
	}
}

// clusterCounts returns the line of the summary counting a cluster's
// results, "" when there is none.
func clusterCounts(out, cluster string) string {
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, cluster) && strings.Contains(line, " ok, ") && strings.Contains(line, " unchanged, ") &&
			strings.Contains(line, " failed, ") && strings.Contains(line, " skipped") {
			return line
		}
	}
	return ""
}

// wantCounts checks a cluster's count line: ok, unchanged, failed, skipped.
func wantCounts(t *testing.T, r result, cluster string, ok, unchanged, failed, skipped int) {
	t.Helper()
	line := clusterCounts(r.stdout, cluster)
	want := fmt.Sprintf("%d ok, %d unchanged, %d failed, %d skipped", ok, unchanged, failed, skipped)
	if !strings.Contains(line, want) {
		t.Errorf("the counts of cluster %s are %q, want %q\n%s", cluster, line, want, r)
	}
}

// TestE2EFleetClusters applies fleets spread over three clusters: the
// shared one (east) and two started for the test (west and north). It
// checks the summary per cluster, plan's JSON and exit codes, the order
// needs impose across clusters (seen on the clusters, not in barge's
// output), a cycle refused before any change, releases skipped for a
// failed need, prune and destroy confined to the clusters the file names,
// and failures confined to a cluster unreachable from the start, given a
// missing kubeconfig, or stopped mid-apply (north, stopped last).
func TestE2EFleetClusters(t *testing.T) {
	fc := newFleetClusters(t)

	t.Run("apply on every cluster", func(t *testing.T) {
		fc, e := fc.world(t)
		shared := fc.ns("shared")
		file := fc.fleetFile("multi", threeClusters+`tenants:
  items: [{name: a, cluster: east}, {name: b, cluster: west}]
releases:
  - name: db
    namespace: `+shared+`
    cluster: [east, west, north]
    chart: ./charts/cm
    set: {cluster: "{{ .Cluster.name }}"}
  - name: "app-{{ .Tenant.name }}"
    namespace: "`+fc.ns("t")+`-{{ .Tenant.name }}"
    perTenant: true
    cluster: "{{ .Tenant.cluster }}"
    chart: ./charts/cm
    set: {cluster: "{{ .Tenant.cluster }}"}
    needs: [`+shared+`/db]
`)
		r := e.barge("plan", "-f", file, "-o", "json", "--detailed-exitcode")
		if r.code != 2 {
			t.Fatalf("plan --detailed-exitcode of a fleet to install: exit %d, want 2\n%s", r.code, r)
		}
		var plan struct {
			Releases []struct {
				Name, Namespace, Action, Cluster string
				Needs                            []string
			}
		}
		if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil {
			t.Fatalf("plan -o json: %v\n%s", err, r.stdout)
		}
		var got []string
		for _, rel := range plan.Releases {
			got = append(got, fmt.Sprintf("%s %s/%s %s needs %v", rel.Cluster, rel.Namespace, rel.Name, rel.Action, rel.Needs))
		}
		slices.Sort(got)
		want := []string{
			"east " + shared + "/db install needs []",
			"east " + fc.ns("t") + "-a/app-a install needs [east/" + shared + "/db]",
			"north " + shared + "/db install needs []",
			"west " + shared + "/db install needs []",
			"west " + fc.ns("t") + "-b/app-b install needs [west/" + shared + "/db]",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("plan -o json releases:\n%s\nwant:\n%s\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), r.stdout)
		}

		r = e.barge("apply", "-f", file)
		if r.code != 0 {
			t.Fatalf("apply: %s", r)
		}
		if !strings.Contains(r.stdout, "CLUSTER") {
			t.Errorf("summary has no CLUSTER column\n%s", r)
		}
		for _, c := range []string{"east", "west", "north"} {
			wantRow(t, r, c, shared, "db", "ok")
		}
		wantRow(t, r, "east", fc.ns("t")+"-a", "app-a", "ok")
		wantRow(t, r, "west", fc.ns("t")+"-b", "app-b", "ok")
		wantCounts(t, r, "east", 2, 0, 0, 0)
		wantCounts(t, r, "west", 2, 0, 0, 0)
		wantCounts(t, r, "north", 1, 0, 0, 0)
		// The rows are grouped by cluster: each cluster's rows are together.
		var order []string
		for _, line := range strings.Split(r.stdout, "\n") {
			for _, c := range []string{"east", "west", "north"} {
				if f := strings.Fields(line); len(f) > 0 && slices.Contains(f, c) && (slices.Contains(f, "db") || slices.Contains(f, "app-a") || slices.Contains(f, "app-b")) {
					if len(order) == 0 || order[len(order)-1] != c {
						order = append(order, c)
					}
				}
			}
		}
		if len(order) != 3 {
			t.Errorf("summary rows are not grouped by cluster (clusters in row order: %v)\n%s", order, r)
		}

		fc.wantRecords(t, "east", "multi", map[string]string{shared + "/db": "deployed", fc.ns("t") + "-a/app-a": "deployed"})
		fc.wantRecords(t, "west", "multi", map[string]string{shared + "/db": "deployed", fc.ns("t") + "-b/app-b": "deployed"})
		fc.wantRecords(t, "north", "multi", map[string]string{shared + "/db": "deployed"})
		for _, c := range []string{"east", "west", "north"} {
			if d := fc.configMap(t, c, shared, "db"); d["cluster"] != c {
				t.Errorf("cluster %s: ConfigMap db is %v, want cluster %s", c, d, c)
			}
		}
		if d := fc.configMap(t, "east", fc.ns("t")+"-a", "app-a"); d["cluster"] != "east" {
			t.Errorf("east: ConfigMap app-a is %v, want cluster east", d)
		}
		if d := fc.configMap(t, "west", fc.ns("t")+"-b", "app-b"); d["cluster"] != "west" {
			t.Errorf("west: ConfigMap app-b is %v, want cluster west", d)
		}

		r = e.barge("apply", "-f", file)
		if r.code != 0 {
			t.Fatalf("second apply: %s", r)
		}
		wantCounts(t, r, "east", 0, 2, 0, 0)
		wantCounts(t, r, "west", 0, 2, 0, 0)
		wantCounts(t, r, "north", 0, 1, 0, 0)
		if r := e.barge("plan", "-f", file, "--detailed-exitcode"); r.code != 0 {
			t.Errorf("plan --detailed-exitcode after apply: exit %d, want 0\n%s", r.code, r)
		}
	})

	t.Run("needs order releases across clusters", func(t *testing.T) {
		fc, e := fc.world(t)
		gate := "barge-e2e/gate-" + fc.id
		ns := fc.ns("order")
		file := fc.fleetFile("order", threeClusters+`releases:
  - name: gate
    namespace: `+ns+`
    cluster: east
    chart: ./charts/cm
    set: {gate: "`+gate+`"}
    wait: true
    timeout: 2m
  - name: after
    namespace: `+ns+`
    cluster: west
    chart: ./charts/cm
    needs: [east/`+ns+`/gate]
  - name: free
    namespace: `+ns+`
    cluster: north
    chart: ./charts/cm
`)
		s := e.start("apply", "-f", file)
		eventually(t, time.Minute, "gate pending-install on east and free deployed on north", func() bool {
			return fc.status(t, "east", "order", ns, "gate") == "pending-install" && fc.status(t, "north", "order", ns, "free") == "deployed"
		})
		// gate cannot be ready until its node exists: whatever barge
		// does meanwhile, after must not start.
		time.Sleep(3 * time.Second)
		if st := fc.status(t, "west", "order", ns, "after"); st != "" {
			t.Errorf("west: after has a record (%s) while its need east/%s/gate is not deployed", st, ns)
		}
		if fc.configMap(t, "west", ns, "after") != nil {
			t.Errorf("west: ConfigMap after exists while its need east/%s/gate is not deployed", ns)
		}
		opened := time.Now()
		e.labelNode(gate, "open")
		r := s.wait(t, 2*time.Minute)
		if r.code != 0 {
			t.Fatalf("apply: %s", r)
		}
		fc.wantRecords(t, "east", "order", map[string]string{ns + "/gate": "deployed"})
		fc.wantRecords(t, "west", "order", map[string]string{ns + "/after": "deployed"})
		fc.wantRecords(t, "north", "order", map[string]string{ns + "/free": "deployed"})
		sec, err := fc.cs["west"].CoreV1().Secrets(ns).Get(context.Background(), "sh.helm.release.v1.after.v1", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if created := sec.CreationTimestamp.Time; created.Before(opened.Truncate(time.Second)) {
			t.Errorf("west: after's record was created at %s, before gate could be ready (%s)", created, opened)
		}
	})

	t.Run("a needs cycle is refused before anything is applied", func(t *testing.T) {
		fc, e := fc.world(t)
		ns := fc.ns("cycle")
		file := fc.fleetFile("cycle", threeClusters+`releases:
  - {name: ra, namespace: `+ns+`, cluster: east, chart: ./charts/cm, needs: [west/`+ns+`/rb]}
  - {name: rb, namespace: `+ns+`, cluster: west, chart: ./charts/cm, needs: [north/`+ns+`/rc]}
  - {name: rc, namespace: `+ns+`, cluster: north, chart: ./charts/cm, needs: [east/`+ns+`/ra]}
  - {name: free, namespace: `+ns+`, cluster: north, chart: ./charts/cm}
`)
		for _, cmd := range []string{"apply", "plan"} {
			r := e.barge(cmd, "-f", file)
			if r.code != 1 {
				t.Errorf("%s of a fleet whose needs form a cycle: exit %d, want 1\n%s", cmd, r.code, r)
			}
			if !strings.Contains(r.stderr, "needs form a cycle") {
				t.Errorf("%s: the error does not say the needs form a cycle\n%s", cmd, r)
			}
			for _, id := range []string{"east/" + ns + "/ra", "west/" + ns + "/rb", "north/" + ns + "/rc"} {
				if !strings.Contains(r.stderr, id) {
					t.Errorf("%s: the error does not name %s\n%s", cmd, id, r)
				}
			}
		}
		for c, cs := range fc.cs {
			fc.wantRecords(t, c, "cycle", map[string]string{})
			if _, err := cs.CoreV1().Namespaces().Get(context.Background(), ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("cluster %s: namespace %s was made (err %v) for a fleet refused", c, ns, err)
			}
		}
	})

	t.Run("a release whose need failed is skipped", func(t *testing.T) {
		fc, e := fc.world(t)
		ns := fc.ns("skip")
		file := fc.fleetFile("skip", threeClusters+`releases:
  - {name: bad, namespace: `+ns+`, cluster: east, chart: ./charts/cm, set: {badPort: "70000"}}
  - {name: dep, namespace: `+ns+`, cluster: west, chart: ./charts/cm, needs: [east/`+ns+`/bad]}
  - {name: dep2, namespace: `+ns+`, cluster: west, chart: ./charts/cm, needs: [dep]}
  - {name: other, namespace: `+ns+`, cluster: north, chart: ./charts/cm}
`)
		r := e.barge("apply", "-f", file)
		if r.code != 1 {
			t.Fatalf("apply with a failing need: exit %d, want 1\n%s", r.code, r)
		}
		wantRow(t, r, "east", ns, "bad", "FAILED")
		wantRow(t, r, "west", ns, "dep", "skipped")
		wantRow(t, r, "west", ns, "dep2", "skipped")
		wantRow(t, r, "north", ns, "other", "ok")
		wantCounts(t, r, "east", 0, 0, 1, 0)
		wantCounts(t, r, "west", 0, 0, 0, 2)
		wantCounts(t, r, "north", 1, 0, 0, 0)
		// A release's ID, cluster/namespace/name, is what tells its copies
		// on several clusters apart.
		wantErrorLine(t, r, ns+"/bad", "east")
		wantErrorLine(t, r, ns+"/dep", "west", "east/"+ns+"/bad")
		wantErrorLine(t, r, ns+"/dep2", "west", "west/"+ns+"/dep")
		fc.wantRecords(t, "east", "skip", map[string]string{ns + "/bad": "failed"})
		fc.wantRecords(t, "west", "skip", map[string]string{})
		fc.wantRecords(t, "north", "skip", map[string]string{ns + "/other": "deployed"})
		if fc.configMap(t, "west", ns, "dep") != nil || fc.configMap(t, "west", ns, "dep2") != nil {
			t.Errorf("west: a skipped release's ConfigMap exists")
		}
	})

	t.Run("an unreachable cluster fails only its releases", func(t *testing.T) {
		fc, e := fc.world(t)
		ns := fc.ns("down")
		addr := closedAddress(t)
		cfg, err := clientcmd.LoadFromFile(fc.own["west"].KubeconfigPath)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cfg.Clusters {
			c.Server = "https://" + addr
		}
		if err := clientcmd.WriteToFile(*cfg, filepath.Join(fc.dir, "down.kubeconfig")); err != nil {
			t.Fatal(err)
		}
		file := fc.fleetFile("down", `clusters:
  - name: east
  - {name: west, kubeconfig: west.kubeconfig}
  - {name: down, kubeconfig: down.kubeconfig}
releases:
  - {name: r, namespace: `+ns+`, cluster: [east, west, down], chart: ./charts/cm}
  - {name: s, namespace: `+ns+`, cluster: down, chart: ./charts/cm}
`)
		begin := time.Now()
		r := e.barge("apply", "-f", file, "--timeout", "1m")
		took := time.Since(begin)
		if r.code != 1 {
			t.Fatalf("apply with an unreachable cluster: exit %d, want 1\n%s", r.code, r)
		}
		t.Logf("apply with an unreachable cluster took %s", took.Round(time.Millisecond))
		fc.wantRecords(t, "east", "down", map[string]string{ns + "/r": "deployed"})
		fc.wantRecords(t, "west", "down", map[string]string{ns + "/r": "deployed"})
		wantRow(t, r, "east", ns, "r", "ok")
		wantRow(t, r, "west", ns, "r", "ok")
		var about []string
		for _, line := range strings.Split(errorLines(r.stderr), "\n") {
			if strings.Contains(line, "cluster down:") && !strings.Contains(line, "/r") {
				about = append(about, line)
			}
		}
		if len(about) == 0 || !strings.Contains(strings.Join(about, "\n"), addr) {
			t.Errorf("no line names the unreachable cluster down and its address %s\n%s", addr, r)
		}
		if r := e.barge("plan", "-f", file, "--detailed-exitcode"); r.code != 1 {
			t.Errorf("plan --detailed-exitcode with an unreachable cluster: exit %d, want 1\n%s", r.code, r)
		}
	})

	t.Run("prune and destroy touch only the clusters the file names", func(t *testing.T) {
		fc, e := fc.world(t)
		ns := fc.ns("scope")
		tns := fc.ns("scope-t")
		releases := func(clusters, tenantA string) string {
			return `tenants:
  items: [{name: a, cluster: ` + tenantA + `}, {name: b, cluster: west}]
releases:
  - {name: keep, namespace: ` + ns + `, cluster: [` + clusters + `], chart: ./charts/cm}
  - name: "t-{{ .Tenant.name }}"
    namespace: ` + tns + `
    perTenant: true
    cluster: "{{ .Tenant.cluster }}"
    chart: ./charts/cm
`
		}
		file := fc.fleetFile("scope", threeClusters+releases("east, west, north", "east"))
		e.mustBarge("apply", "-f", file)
		fc.wantRecords(t, "north", "scope", map[string]string{ns + "/keep": "deployed"})

		// north leaves the file; tenant a moves from east to west.
		fc.fleetFile("scope", `clusters:
  - name: east
  - {name: west, kubeconfig: west.kubeconfig}
`+releases("east, west", "west"))
		r := e.barge("apply", "-f", file, "--prune")
		if r.code != 0 {
			t.Fatalf("apply --prune: %s", r)
		}
		wantRow(t, r, "west", tns, "t-a", "ok")
		wantRow(t, r, "east", tns, "t-a", "prune")
		fc.wantRecords(t, "east", "scope", map[string]string{ns + "/keep": "deployed"})
		fc.wantRecords(t, "west", "scope", map[string]string{ns + "/keep": "deployed", tns + "/t-a": "deployed", tns + "/t-b": "deployed"})
		fc.wantRecords(t, "north", "scope", map[string]string{ns + "/keep": "deployed"})
		if fc.configMap(t, "east", tns, "t-a") != nil {
			t.Errorf("east: the ConfigMap of the pruned t-a is left")
		}
		if fc.configMap(t, "west", tns, "t-a") == nil {
			t.Errorf("west: no ConfigMap t-a")
		}

		r = e.barge("destroy", "-f", file)
		if r.code != 0 {
			t.Fatalf("destroy: %s", r)
		}
		fc.wantRecords(t, "east", "scope", map[string]string{})
		fc.wantRecords(t, "west", "scope", map[string]string{})
		fc.wantRecords(t, "north", "scope", map[string]string{ns + "/keep": "deployed"})
		if fc.configMap(t, "north", ns, "keep") == nil {
			t.Errorf("north: destroy of a file not naming north removed its ConfigMap keep")
		}
	})

	t.Run("a cluster whose kubeconfig is missing is named with the file's field", func(t *testing.T) {
		fc, e := fc.world(t)
		ns := fc.ns("gone")
		file := fc.fleetFile("gone", `clusters:
  - name: east
  - {name: gone, kubeconfig: gone.kubeconfig}
releases:
  - {name: r, namespace: `+ns+`, cluster: [east, gone], chart: ./charts/cm}
`)
		r := e.barge("apply", "-f", file)
		if r.code != 1 {
			t.Fatalf("apply with a cluster whose kubeconfig is missing: exit %d, want 1\n%s", r.code, r)
		}
		fc.wantRecords(t, "east", "gone", map[string]string{ns + "/r": "deployed"})
		wantCounts(t, r, "gone", 0, 0, 1, 0)
		msg := errorSection(r.stderr)
		if !strings.Contains(msg, "cluster gone") || !strings.Contains(msg, "gone.kubeconfig") {
			t.Errorf("the error does not name the cluster gone and its kubeconfig gone.kubeconfig\n%s", r)
		}
		// The path comes from the fleet file, not from the command line.
		if strings.Contains(msg, "(--kubeconfig)") {
			t.Errorf("the error blames --kubeconfig for the kubeconfig the fleet file names\n%s", r)
		}
	})

	// Last: it stops north.
	t.Run("a cluster stopped mid-apply fails only its releases", func(t *testing.T) {
		fc, e := fc.world(t)
		gate := "barge-e2e/stop-" + fc.id
		ns := fc.ns("stop")
		file := fc.fleetFile("stop", threeClusters+`releases:
  - {name: gate, namespace: `+ns+`, cluster: east, chart: ./charts/cm, set: {gate: "`+gate+`"}, wait: true, timeout: 2m}
  - {name: w1, namespace: `+ns+`, cluster: west, chart: ./charts/cm}
  - {name: w2, namespace: `+ns+`, cluster: west, chart: ./charts/cm, needs: [east/`+ns+`/gate]}
  - {name: n1, namespace: `+ns+`, cluster: north, chart: ./charts/cm}
  - {name: n2, namespace: `+ns+`, cluster: north, chart: ./charts/cm}
  - {name: n3, namespace: `+ns+`, cluster: north, chart: ./charts/cm, needs: [east/`+ns+`/gate]}
  - {name: n4, namespace: `+ns+`, cluster: north, chart: ./charts/cm, needs: [east/`+ns+`/gate]}
`)
		s := e.start("apply", "-f", file)
		eventually(t, time.Minute, "n1 and n2 deployed on north, gate pending on east", func() bool {
			return fc.status(t, "north", "stop", ns, "n1") == "deployed" && fc.status(t, "north", "stop", ns, "n2") == "deployed" &&
				fc.status(t, "east", "stop", ns, "gate") == "pending-install"
		})
		begin := time.Now()
		fc.own["north"].Stop()
		t.Logf("north stopped in %.1f s", time.Since(begin).Seconds())
		e.labelNode(gate, "open")
		begin = time.Now()
		r := s.wait(t, 3*time.Minute)
		t.Logf("apply ended %.1f s after north stopped and the gate opened", time.Since(begin).Seconds())
		if r.code != 1 {
			t.Fatalf("apply with a cluster stopped: exit %d, want 1\n%s", r.code, r)
		}
		fc.wantRecords(t, "east", "stop", map[string]string{ns + "/gate": "deployed"})
		fc.wantRecords(t, "west", "stop", map[string]string{ns + "/w1": "deployed", ns + "/w2": "deployed"})
		wantRow(t, r, "north", ns, "n1", "ok")
		wantRow(t, r, "north", ns, "n3", "FAILED")
		wantRow(t, r, "north", ns, "n4", "FAILED")
		wantCounts(t, r, "east", 1, 0, 0, 0)
		wantCounts(t, r, "west", 2, 0, 0, 0)
		wantCounts(t, r, "north", 2, 0, 2, 0)
		wantErrorLine(t, r, ns+"/n3", "north")
		wantErrorLine(t, r, ns+"/n4", "north")
	})
}

// errorSection returns what the command printed from its "Error:" line on.
func errorSection(stderr string) string {
	if i := strings.Index(stderr, "Error: "); i >= 0 {
		return stderr[i:]
	}
	return ""
}

// wantErrorLine checks that the line of the command's error about a
// release (namespace/name: its own line, or the line of its cluster that
// lists it) holds each of names.
func wantErrorLine(t *testing.T, r result, release string, names ...string) {
	t.Helper()
	for _, line := range strings.Split(errorSection(r.stderr), "\n") {
		// A release's own line ("ns/name: ..."), or its cluster's line
		// listing it ("(2 releases failed: c/ns/a, c/ns/b)").
		if !strings.Contains(line, release+":") && !strings.Contains(line, release+",") && !strings.Contains(line, release+")") {
			continue
		}
		for _, n := range names {
			if !strings.Contains(line, n) {
				t.Errorf("the error's line about %s does not name %s: %q\n%s", release, n, line, r)
			}
		}
		return
	}
	t.Errorf("no line of the error names %s\n%s", release, r)
}

// closedAddress returns host:port of a loopback port nothing listens on.
func closedAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
