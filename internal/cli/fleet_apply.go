package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/bargehq/barge/pkg/cluster"
	"github.com/bargehq/barge/pkg/fleet"
	"github.com/bargehq/barge/pkg/kube"
	"github.com/bargehq/barge/pkg/kubeschema"
	"github.com/bargehq/barge/pkg/release"
	"github.com/bargehq/barge/pkg/release/storage"
	"github.com/bargehq/barge/pkg/repo"
)

// Client-side rate limits of the fleet commands when --qps and
// --burst-limit are not given: high enough that the API server, not the
// client, is what limits a fleet.
const (
	fleetQPS   = 5000
	fleetBurst = 10000
)

// fleetLeaseDuration is how long the lock of a fleet's release outlives its
// holder's last renewal (renewed at a third of it). Longer than a single
// release's (storage.DefaultLeaseDuration): a fleet holds hundreds of locks
// at once, and every renewal is a write the API server must fit between
// the fleet's applies. With --wait, the lock lasts --timeout longer still
// (fleetLease).
const fleetLeaseDuration = 2 * time.Minute

// fleetFlags are the flags the fleet commands share.
type fleetFlags struct {
	file         string
	environment  string
	selector     string
	concurrency  int
	cpuProfile   string
	requestStats bool
	// registry holds the flags for the OCI registries of oci:// charts.
	registry repo.Ref
}

// Bind registers the shared fleet flags on fs.
func (f *fleetFlags) Bind(fs *pflag.FlagSet) {
	fs.StringVarP(&f.file, "file", "f", "", "the fleet file (required)")
	fs.StringVarP(&f.environment, "environment", "e", "", "the environment of the fleet file whose values templates see (default \"default\")")
	fs.StringVarP(&f.selector, "selector", "l", "", "act only on the releases whose labels match this selector (e.g. tier=gold,barge.dev/tenant in (acme,globex))")
	fs.IntVar(&f.concurrency, "concurrency", fleet.DefaultConcurrency, "how many releases to work on at once, on each cluster")
	fs.StringVar(&f.cpuProfile, "cpu-profile", "", "write a CPU profile of the command to this file")
	_ = fs.MarkHidden("cpu-profile")
	fs.BoolVar(&f.requestStats, "request-stats", false, "print how many API requests of each method the command made")
	fs.BoolVar(&f.registry.PlainHTTP, "plain-http", false, "use insecure HTTP connections for the oci:// charts' registries")
	fs.BoolVar(&f.registry.Insecure, "insecure-skip-tls-verify", false, "skip tls certificate checks for the oci:// charts' registries")
	bindTLSFiles(fs, &f.registry.CertFile, &f.registry.KeyFile, &f.registry.CAFile)
}

// fleetSession is a loaded fleet file and a runner on each of its clusters.
type fleetSession struct {
	file     *fleet.File
	releases []*fleet.Release
	selector labels.Selector
	clusters *fleet.Clusters
	requests *requestCounter // nil without --request-stats
}

// requestCounter counts the API requests a command makes, by HTTP method,
// over all its clusters.
type requestCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

// countingTransport counts the requests of one cluster's client in a
// requestCounter. Its RoundTrip is called from many goroutines at once.
type countingTransport struct {
	rt http.RoundTripper
	c  *requestCounter
}

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.c.mu.Lock()
	t.c.counts[req.Method]++
	t.c.mu.Unlock()
	return t.rt.RoundTrip(req)
}

// print writes the counts, and their average over n releases, to w.
func (c *requestCounter) print(w io.Writer, n int) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var parts []string
	for _, m := range slices.Sorted(maps.Keys(c.counts)) {
		parts = append(parts, fmt.Sprintf("%s %d (%.1f/release)", m, c.counts[m], float64(c.counts[m])/float64(max(n, 1))))
	}
	fmt.Fprintf(w, "API requests: %s\n", strings.Join(parts, ", "))
}

// open reads the fleet file and connects to its clusters, all at once. wait
// is how the command's releases will wait, which sets how long their locks
// last. When the file lists no clusters, failing to reach the command's
// cluster is the command's error; when it lists some, a cluster that
// cannot be reached fails only its own releases.
func (f *fleetFlags) open(ctx context.Context, cfg *Config, wait release.WaitOptions) (*fleetSession, error) {
	if f.file == "" {
		return nil, errors.New("-f/--file: give the fleet file, e.g. barge apply -f fleet.yaml")
	}
	file, err := fleet.Load(f.file)
	if err != nil {
		return nil, err
	}
	rels, err := file.Expand(fleet.ExpandOptions{Environment: f.environment})
	if err != nil {
		return nil, fmt.Errorf("fleet file %s: %w", f.file, err)
	}
	s := &fleetSession{file: file, releases: rels}
	wait = fleet.LongestWait(wait, rels)
	if f.selector != "" {
		if s.selector, err = labels.Parse(f.selector); err != nil {
			return nil, fmt.Errorf("-l/--selector %q: %w", f.selector, err)
		}
	}
	if f.requestStats {
		s.requests = &requestCounter{counts: map[string]int{}}
	}
	specs := file.ClusterSpecs()
	multi := len(specs) > 0
	if !multi {
		specs = []fleet.ClusterSpec{{}}
	}
	// What every cluster's runner shares; connect adds the cluster's own.
	schema, err := kubeschema.Embedded()
	if err != nil {
		return nil, err
	}
	shared := fleet.Config{
		Schema: schema, FieldManager: defaultFieldManager, Charts: cfg.resolver(), Registry: f.registry,
		PostRenderer: func(command string, args []string) (release.PostRenderer, error) {
			p := postRendererFlags{bin: command, args: args}
			if err := p.resolve(cfg); err != nil {
				return nil, err
			}
			return p.renderer(), nil
		},
	}
	configs := make([]fleet.Config, len(specs))
	errs := make([]error, len(specs))
	var wg sync.WaitGroup
	for i, spec := range specs {
		wg.Go(func() { configs[i], errs[i] = connectCluster(ctx, cfg, spec, shared, wait, s.requests) })
	}
	wg.Wait()
	if !multi && errs[0] != nil {
		return nil, errs[0]
	}
	runners := make([]fleet.ClusterRunner, len(specs))
	var first *fleet.Runner
	for i, spec := range specs {
		runners[i] = fleet.ClusterRunner{Name: spec.Name, Concurrency: spec.Concurrency, Err: errs[i]}
		if errs[i] != nil {
			continue
		}
		var r *fleet.Runner
		if first == nil {
			r, err = fleet.NewRunner(configs[i])
			first = r
		} else {
			r, err = first.Sibling(configs[i])
		}
		if err != nil {
			return nil, err
		}
		runners[i].Runner = r
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	s.clusters, err = fleet.NewClusters(runners)
	return s, err
}

// connectCluster connects to the cluster spec names (the command's own
// when it names none) and returns shared, the configuration every runner
// has, with this cluster's client, store and capabilities. A cluster
// the fleet file names by kubeconfig or context takes nothing of the
// command's flags that point at a server (--kube-apiserver, --kube-token,
// --kube-ca-file and their like): those are the command's one cluster's.
func connectCluster(ctx context.Context, cfg *Config, spec fleet.ClusterSpec, shared fleet.Config, wait release.WaitOptions, requests *requestCounter) (fleet.Config, error) {
	if spec.Kubeconfig != "" {
		// The fleet file names it: say so, not --kubeconfig.
		st, err := os.Stat(spec.Kubeconfig)
		switch {
		case err != nil:
			return fleet.Config{}, fmt.Errorf("kubeconfig %s cannot be read (%v): fix the cluster's kubeconfig in the fleet file, a path relative to the file", spec.Kubeconfig, errors.Unwrap(err))
		case st.Size() == 0:
			return fleet.Config{}, fmt.Errorf("kubeconfig %s is empty: give it a cluster, a user and a context, or fix the cluster's kubeconfig in the fleet file", spec.Kubeconfig)
		}
	}
	kc := cfg.Kube
	if spec.Kubeconfig != "" || spec.Context != "" {
		kc.Context = spec.Context
		if spec.Kubeconfig != "" {
			kc.Kubeconfig = spec.Kubeconfig
		}
		kc.APIServer, kc.Token, kc.CAFile, kc.Insecure, kc.TLSServerName = "", "", "", false, ""
	}
	kc.QPS = cmp.Or(spec.QPS, kc.QPS, fleetQPS)
	kc.Burst = cmp.Or(spec.Burst, kc.Burst, fleetBurst)
	rc, err := kc.RESTConfig()
	if err != nil {
		return fleet.Config{}, err
	}
	session, err := cluster.Connect(ctx, rc, cluster.Options{})
	var ue *cluster.UnreachableError
	if spec.Name != "" && errors.As(err, &ue) {
		// Named by the fleet file, not by the command's flags.
		return fleet.Config{}, fmt.Errorf("unreachable at %s: %w; nothing was changed on it: check its kubeconfig and context in the fleet file, and that it is running", ue.Host, ue.Err)
	}
	if err != nil {
		return fleet.Config{}, err
	}
	if requests != nil {
		rc.Wrap(func(rt http.RoundTripper) http.RoundTripper { return countingTransport{rt: rt, c: requests} })
	}
	logger := cfg.Logger()
	if spec.Name != "" {
		logger = logger.With("cluster", spec.Name)
	}
	store, err := storage.NewSecrets(rc, "", storage.Options{Logger: logger, LeaseDuration: fleetLease(wait)})
	if err != nil {
		return fleet.Config{}, err
	}
	kcl, err := kube.NewForRESTConfig(rc, kube.WithNamespace(cfg.Namespace()), kube.WithLogger(logger))
	if err != nil {
		return fleet.Config{}, err
	}
	caps, err := session.Capabilities(ctx)
	if err != nil {
		return fleet.Config{}, err
	}
	objects := cluster.NewObjects(kcl)
	c := shared
	c.Kube, c.Store, c.Capabilities, c.Lookup, c.Objects, c.Logger = kcl, store, caps, objects, objects, logger
	return c, nil
}

// profile starts a CPU profile when asked; the returned function stops it.
func (f *fleetFlags) profile() (func(), error) {
	if f.cpuProfile == "" {
		return func() {}, nil
	}
	out, err := os.Create(f.cpuProfile)
	if err != nil {
		return nil, fmt.Errorf("--cpu-profile: %w", err)
	}
	if err := pprof.StartCPUProfile(out); err != nil {
		out.Close()
		return nil, fmt.Errorf("--cpu-profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); out.Close() }, nil
}

// fleetApplyOptions are the flags of `barge apply`.
type fleetApplyOptions struct {
	fleet    fleetFlags
	wait     waitFlags
	atomic   bool
	takeOver bool
	prune    bool
	dryRun   bool
}

func newFleetApplyCmd(cfg *Config) *cobra.Command {
	o := &fleetApplyOptions{}
	o.wait.what = "apply"
	o.wait.perRelease = true
	cmd := &cobra.Command{
		Use:   "apply -f FLEET",
		Short: "Bring every release of a fleet file to its desired state",
		Long: `Bring every release of a fleet file to its desired state: install the
releases that are missing, upgrade those whose chart, values or rendered
objects differ from their last deployed revision, and leave the others alone
without writing anything for them. With --prune, also uninstall the releases
the fleet owns that its file no longer lists.

Releases are worked on concurrently (--concurrency) from one process: each
chart is loaded and parsed once, and one client serves them all. Every
release keeps its own lock and its own history in Helm's format, as
barge install and helm install would leave it. A failing release does not
stop the others; the command exits non-zero, naming each failure.

The fleet file format is described in docs/fleet.md.`,
		Example: `  barge apply -f fleet.yaml
  barge apply -f fleet.yaml --wait --timeout 10m --concurrency 64
  barge apply -f fleet.yaml -l barge.dev/tenant=acme
  barge apply -f fleet.yaml --prune --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cfg)
		},
	}
	f := cmd.Flags()
	o.fleet.Bind(f)
	o.wait.opts = new(release.WaitOptions)
	o.wait.Bind(f)
	f.BoolVar(&o.atomic, "atomic", false, "uninstall a release whose install fails, roll back one whose upgrade fails; implies --wait")
	bindTakeOver(f, &o.takeOver)
	f.BoolVar(&o.prune, "prune", false, "uninstall the releases this fleet owns (label barge.dev/fleet) that the file no longer lists")
	f.BoolVar(&o.dryRun, "dry-run", false, "print the plan (as barge plan) and change nothing")
	return cmd
}

func (o *fleetApplyOptions) run(ctx context.Context, cfg *Config) error {
	stop, err := o.fleet.profile()
	if err != nil {
		return err
	}
	defer stop()
	start := time.Now()
	// Connecting and planning share one deadline, --timeout, so that a
	// stalled API server cannot hold the command before any release
	// starts; each release's operation then has its own.
	pctx, cancel := release.WithTimeout(ctx, o.wait.opts.Timeout, false)
	defer cancel()
	s, err := o.fleet.open(pctx, cfg, release.WaitOptions{Wait: o.wait.opts.Wait || o.atomic, Timeout: o.wait.opts.Timeout})
	if err != nil {
		return err
	}
	plan, err := s.clusters.Plan(pctx, s.file.Metadata.Name, s.releases, fleet.PlanOptions{
		Selector: s.selector, Prune: o.prune, Concurrency: o.fleet.concurrency, Objects: o.dryRun,
	})
	if err != nil {
		return err
	}
	if o.dryRun {
		printPlan(cfg.Out, plan)
		return planErrors(plan)
	}
	// Releases that could not be planned are reported as they fail, first.
	work := plan.Count(fleet.ActionInstall) + plan.Count(fleet.ActionUpgrade) + plan.Count(fleet.ActionPrune) + len(plan.Errors())
	fmt.Fprintf(cfg.ErrOut, "fleet %s: %d to install, %d to upgrade, %d unchanged, %d to prune\n", plan.Fleet,
		plan.Count(fleet.ActionInstall), plan.Count(fleet.ActionUpgrade), plan.Count(fleet.ActionUnchanged), plan.Count(fleet.ActionPrune))
	disp := newFleetProgress(cfg.ErrOut, work)
	disp.run()
	rep := s.clusters.Apply(ctx, plan, fleet.ApplyOptions{
		WaitOptions: *o.wait.opts, Atomic: o.atomic, TakeOver: o.takeOver, Concurrency: o.fleet.concurrency, Events: disp.event,
		Namespaces: disp.preparing,
	})
	disp.finish()
	printReport(cfg.Out, rep, time.Since(start))
	s.requests.print(cfg.ErrOut, len(rep.Results))
	return reportError(ctx, rep)
}

// fleetLease is how long a release's lock outlives the last renewal of a
// holder that died. A release waiting (wait.Wait) holds its lock for up to
// wait.Timeout, and a thousand of them renewing every 40 s made two thirds
// as many writes as the applies; so a waiting fleet's locks last fleetLeaseDuration plus
// the timeout, renewed at a third of that, and a fleet command killed
// outright leaves its locks for as long.
func fleetLease(wait release.WaitOptions) time.Duration {
	if wait.Wait {
		return fleetLeaseDuration + max(wait.Timeout, 0)
	}
	return fleetLeaseDuration
}

// reportError is nil when every release succeeded, else an exit error
// naming each failure. The releases that failed because their cluster
// could not be reached are named once per cluster.
func reportError(ctx context.Context, rep *fleet.Report) error {
	failed := rep.Failed()
	if len(failed) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d releases failed", len(failed), len(rep.Results))
	if ctx.Err() != nil {
		b.WriteString(" (interrupted: releases in flight were recorded failed, those not started were skipped)")
	}
	b.WriteString(":")
	var down clusterFailures
	for _, x := range failed {
		switch {
		case down.add(x.Change.ID(), x.Err):
		case x.Skipped && x.Err == nil:
			fmt.Fprintf(&b, "\n  %s: skipped (interrupted before it started)", x.Change.ID())
		default:
			fmt.Fprintf(&b, "\n  %v", x.Err)
		}
	}
	down.write(&b, " failed")
	return &ExitError{Code: 1, Err: errors.New(b.String())}
}

// clusterFailures gathers the failures due to a cluster that could not be
// reached, to name each cluster once rather than once per release.
type clusterFailures struct {
	order []string
	ids   map[string][]string // the releases, by cluster
	cause map[string]error
}

// add counts the failure err of release id when it is a cluster's, and
// says whether it was.
func (d *clusterFailures) add(id string, err error) bool {
	var ce *fleet.ClusterError
	if !errors.As(err, &ce) {
		return false
	}
	if d.ids == nil {
		d.ids, d.cause = map[string][]string{}, map[string]error{}
	}
	if len(d.ids[ce.Cluster]) == 0 {
		d.order = append(d.order, ce.Cluster)
		d.cause[ce.Cluster] = ce
	}
	d.ids[ce.Cluster] = append(d.ids[ce.Cluster], id)
	return true
}

// maxReleasesNamed bounds the releases a cluster's failure line names.
const maxReleasesNamed = 5

// write prints a line per cluster: its failure, and how many releases it
// concerns and the first few of them, as "(N releases<what>: a, b, ...)".
func (d *clusterFailures) write(b *strings.Builder, what string) {
	for _, c := range d.order {
		ids := d.ids[c]
		named := strings.Join(ids[:min(len(ids), maxReleasesNamed)], ", ")
		if len(ids) > maxReleasesNamed {
			named += ", ..."
		}
		fmt.Fprintf(b, "\n  %v (%d %s%s: %s)", d.cause[c], len(ids), plural(len(ids), "release", "releases"), what, named)
	}
}

// planErrors is an exit error naming the releases that could not be
// planned; those of a cluster that could not be reached are named once.
func planErrors(p *fleet.Plan) error {
	errs := p.Errors()
	if len(errs) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d releases could not be planned:", len(errs))
	var down clusterFailures
	for _, c := range errs {
		if !down.add(c.ID(), c.Err) {
			fmt.Fprintf(&b, "\n  %v", c.Err)
		}
	}
	down.write(&b, "")
	return &ExitError{Code: 1, Err: errors.New(b.String())}
}

// resultCounts counts results as the summary names them: ok, unchanged,
// FAILED, skipped.
type resultCounts map[string]int

func (c resultCounts) String() string {
	return fmt.Sprintf("%d ok, %d unchanged, %d failed, %d skipped", c["ok"], c["unchanged"], c["FAILED"], c["skipped"])
}

// resultOf names the result of x in the summary.
func resultOf(x fleet.Result) string {
	switch {
	case x.Change.Action == fleet.ActionUnchanged && x.Err == nil:
		return "unchanged"
	case x.Skipped:
		return "skipped"
	case x.Err != nil:
		return "FAILED"
	}
	return "ok"
}

// printReport prints the table of results and a summary line; total is the
// command's time, planning included (rep.Duration is the execution's).
// When releases are on clusters the file names, rows name their cluster,
// and a line per cluster counts its results.
func printReport(w io.Writer, rep *fleet.Report, total time.Duration) {
	multi := slices.ContainsFunc(rep.Results, func(x fleet.Result) bool { return x.Change.Cluster != "" })
	t := &table{sep: "  "}
	head := []any{"NAMESPACE", "RELEASE", "ACTION", "RESULT", "REVISION", "TIME"}
	if multi {
		head = append([]any{"CLUSTER"}, head...)
	}
	t.row(head...)
	counts := resultCounts{}
	perCluster := map[string]resultCounts{}
	var clusters []string
	for _, x := range rep.Results {
		c := x.Change
		result := resultOf(x)
		counts[result]++
		if perCluster[c.Cluster] == nil {
			perCluster[c.Cluster] = resultCounts{}
			clusters = append(clusters, c.Cluster)
		}
		perCluster[c.Cluster][result]++
		rev := "-"
		if x.Revision > 0 && c.Action != fleet.ActionPrune {
			rev = fmt.Sprint(x.Revision)
		}
		d := "-"
		if x.Duration > 0 {
			d = x.Duration.Round(10 * time.Millisecond).String()
		}
		action := string(c.Action)
		if action == "" {
			action = "-" // not planned
		}
		row := []any{c.Namespace, c.Name, action, result, rev, d}
		if multi {
			row = append([]any{c.Cluster}, row...)
		}
		t.row(row...)
	}
	fmt.Fprint(w, t.String())
	fmt.Fprintln(w)
	if multi {
		for _, c := range clusters {
			n := 0
			for _, v := range perCluster[c] {
				n += v
			}
			fmt.Fprintf(w, "cluster %s: %d %s: %s\n", c, n, plural(n, "release", "releases"), perCluster[c])
		}
	}
	fmt.Fprintf(w, "%d releases in %s (%s of it applying): %s\n", len(rep.Results),
		total.Round(10*time.Millisecond), rep.Duration.Round(10*time.Millisecond), counts)
}

// plural returns one when n is 1, else many.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
