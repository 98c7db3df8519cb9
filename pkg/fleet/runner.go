package fleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"sync"

	helmchart "helm.sh/helm/v3/pkg/chart"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/bargehq/barge/pkg/chart/render"
	"github.com/bargehq/barge/pkg/chart/source"
	"github.com/bargehq/barge/pkg/kube"
	"github.com/bargehq/barge/pkg/kubeschema"
	"github.com/bargehq/barge/pkg/release"
	"github.com/bargehq/barge/pkg/release/storage"
	"github.com/bargehq/barge/pkg/repo"
)

// Lister lists objects of one kind in every namespace, those selector
// matches (all with a nil selector); objects of a cluster-scoped kind have
// no namespace. *cluster.Objects satisfies it.
type Lister interface {
	List(ctx context.Context, gvk schema.GroupVersionKind, selector labels.Selector) ([]unstructured.Unstructured, error)
}

// Creator creates an object as fieldManager, failing with an error that
// apierrors.IsAlreadyExists recognises when it exists. *cluster.Objects
// satisfies it.
type Creator interface {
	Create(ctx context.Context, obj *unstructured.Unstructured, fieldManager string) (*unstructured.Unstructured, error)
}

// Objects is what a Runner reads and writes of the cluster's objects
// besides its releases' own: Config.Objects.
type Objects interface {
	Lister
	Creator
}

// DefaultConcurrency is how many releases a Runner works on at once when
// the options give no number: enough to keep a local API server busy.
const DefaultConcurrency = 32

// Config configures a Runner.
type Config struct {
	// Kube applies, reads, deletes and waits; one client serves every
	// release, sharing its discovery, REST mapping and connections.
	// Required.
	Kube *kube.Client
	// Store keeps the records; the Runner makes a view of it per release
	// namespace, and lists all namespaces to prune. Required.
	Store *storage.Secrets
	// Capabilities are what templates see as .Capabilities; nil means
	// render's defaults.
	Capabilities *render.Capabilities
	// Lookup serves the lookup template function; nil returns empty results.
	Lookup render.Lookuper
	// Objects lists, for a plan's lookups, the objects of a kind that
	// releases own (see Runner.Plan), and creates the default
	// ServiceAccounts of the namespaces an Apply makes first (see
	// Runner.Apply). nil lists nothing (each lookup asks Lookup) and
	// creates no account (installs into new namespaces wait for the
	// controller's). *cluster.Objects satisfies it.
	Objects Objects
	// FieldManager is the server-side apply field manager; empty means
	// release.DefaultFieldManager.
	FieldManager string
	// PostRenderer finds the post-renderer a release's PostRenderer names
	// (a plugin, or an executable); nil runs Command as an executable
	// found in $PATH or at its path.
	PostRenderer func(command string, args []string) (release.PostRenderer, error)
	// Schema is the Kubernetes API schema each release's objects are
	// checked against before they are applied (release.Config's Schema);
	// nil skips the check.
	Schema *kubeschema.Schema
	// Logger receives debug messages and warnings; nil discards them.
	Logger *slog.Logger
	// Charts finds the releases' charts in repositories (repo/chart,
	// repo:, chart URLs); nil takes charts as local paths only.
	Charts *repo.Resolver
	// Registry holds the flags for the OCI registries of oci:// charts
	// (TLS settings, PlainHTTP; credentials come from the registry
	// config); its Chart is ignored.
	Registry repo.Ref
}

// Runner plans and executes fleets on one cluster.
//
// A Runner may be used by several goroutines at once. It caches the charts
// it loads (by path) and their parsed templates for its lifetime.
type Runner struct {
	cfg    Config
	charts *chartCache
}

// chartCache holds the charts a Runner loaded and their renderers; the
// Runners of a fleet's clusters share one.
type chartCache struct {
	mu        sync.Mutex
	charts    map[string]*loadedChart
	renderers map[*helmchart.Chart]*render.Renderer
}

// loadedChart is one chart of the fleet, opened by the first release that
// needs it while the others wait.
type loadedChart struct {
	mu     sync.Mutex
	done   bool
	opened *source.Opened
	err    error
}

// NewRunner returns a Runner.
func NewRunner(cfg Config) (*Runner, error) {
	return newRunner(cfg, &chartCache{charts: map[string]*loadedChart{}, renderers: map[*helmchart.Chart]*render.Renderer{}})
}

// Sibling returns a Runner on another cluster, configured by cfg, that
// shares r's charts and their parsed templates: a fleet over several
// clusters loads each chart once.
func (r *Runner) Sibling(cfg Config) (*Runner, error) {
	return newRunner(cfg, r.charts)
}

func newRunner(cfg Config, charts *chartCache) (*Runner, error) {
	if cfg.Kube == nil {
		return nil, errors.New("fleet runner: no kube client given")
	}
	if cfg.Store == nil {
		return nil, errors.New("fleet runner: no release store given")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.FieldManager == "" {
		cfg.FieldManager = release.DefaultFieldManager
	}
	return &Runner{cfg: cfg, charts: charts}, nil
}

// chart loads the chart of rel once (per reference, version and
// repository) and checks it can be installed, and that a local chart has
// the version rel asks for.
func (r *Runner) chart(ctx context.Context, rel *Release) (*helmchart.Chart, error) {
	key := rel.Chart + "\x00" + rel.Version + "\x00" + rel.Repo
	cc := r.charts
	cc.mu.Lock()
	lc, ok := cc.charts[key]
	if !ok {
		lc = &loadedChart{}
		cc.charts[key] = lc
	}
	cc.mu.Unlock()
	lc.mu.Lock()
	if !lc.done {
		ref := r.cfg.Registry
		ref.Chart, ref.Version, ref.RepoURL = rel.Chart, rel.Version, rel.Repo
		opened, err := source.Open(ctx, ref, source.Options{Resolver: r.cfg.Charts, Installable: true})
		// The end of this release's own context (its deadline, its
		// cancellation) says nothing of the chart: the next release
		// that needs it tries again.
		if err != nil && ctx.Err() != nil {
			lc.mu.Unlock()
			return nil, fmt.Errorf("%s: chart %s: %w", rel.Source, rel.Chart, err)
		}
		lc.opened, lc.err, lc.done = opened, err, true
	}
	opened, err := lc.opened, lc.err
	lc.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("%s: chart %s: %w", rel.Source, rel.Chart, err)
	}
	ch := opened.Chart
	local := opened.Located == nil || opened.Located.URL == ""
	if local && rel.Version != "" && ch.Metadata.Version != rel.Version {
		return nil, fmt.Errorf("%s: chart %s is version %s, but the fleet file asks for %s: change version, or point chart at the right version",
			rel.Source, rel.Chart, ch.Metadata.Version, rel.Version)
	}
	return ch, nil
}

// renderer returns the one renderer of ch.
func (r *Runner) renderer(ch *helmchart.Chart) (*render.Renderer, error) {
	cc := r.charts
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if rd, ok := cc.renderers[ch]; ok {
		return rd, nil
	}
	rd, err := render.New(ch)
	if err != nil {
		return nil, err
	}
	cc.renderers[ch] = rd
	return rd, nil
}

// store returns the store's view of namespace.
func (r *Runner) store(namespace string) *storage.Secrets {
	return r.cfg.Store.InNamespace(namespace)
}

// engine returns a release engine for namespace, working on the cluster
// through cluster (the Runner's client when nil). Engines are cheap: they
// share the client, the store's clients and the renderers.
func (r *Runner) engine(namespace string, cluster release.Cluster) (*release.Engine, error) {
	if cluster == nil {
		cluster = r.cfg.Kube
	}
	return release.New(release.Config{
		Namespace:    namespace,
		Store:        r.store(namespace),
		Cluster:      cluster,
		Logger:       r.cfg.Logger,
		FieldManager: r.cfg.FieldManager,
		Capabilities: r.cfg.Capabilities,
		Lookup:       r.cfg.Lookup,
		Renderer:     r.renderer,
		Schema:       r.cfg.Schema,
	})
}

// forEach runs f for items 0..n-1 with at most limit at once, stopping
// early (leaving the rest undone) when ctx ends.
func forEach(ctx context.Context, n, limit int, f func(i int)) {
	if limit <= 0 {
		limit = DefaultConcurrency
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			f(i)
		}()
	}
	wg.Wait()
}

// postRenderer returns the post-renderer of rel, nil when it has none.
func (r *Runner) postRenderer(rel *Release) (release.PostRenderer, error) {
	pr := rel.PostRenderer
	if pr == nil {
		return nil, nil
	}
	if r.cfg.PostRenderer != nil {
		out, err := r.cfg.PostRenderer(pr.Command, pr.Args)
		if err != nil {
			return nil, fmt.Errorf("%s: postRenderer: %w", rel.Source, err)
		}
		return out, nil
	}
	path, err := exec.LookPath(pr.Command)
	if err != nil {
		return nil, fmt.Errorf("%s: postRenderer: %w", rel.Source, err)
	}
	return release.ExecPostRenderer(path, pr.Args), nil
}
