package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/bargehq/barge/pkg/chart/render"
	"github.com/bargehq/barge/pkg/kube"
	"github.com/bargehq/barge/pkg/kube/discovery"
	"github.com/bargehq/barge/pkg/kubeschema"
	"github.com/bargehq/barge/pkg/release"
	"github.com/bargehq/barge/pkg/release/storage"
)

// reachTimeout bounds the check that the cluster answers, made before a
// command reads or writes anything.
const reachTimeout = 15 * time.Second

// clusterClients are what release commands use to talk to the cluster.
type clusterClients struct {
	rest    *rest.Config
	store   *storage.Secrets
	kube    *kube.Client
	version *version.Info // the answer to the reachability check
	apis    *apiDiscovery // the server's API groups, asked for by connect with kube
}

// connect checks that the cluster answers and returns a release store for
// namespace (all namespaces when empty) and, with withKube, a kube client.
// An unreachable cluster is reported before anything is written.
func (c *Config) connect(ctx context.Context, namespace string, withKube bool) (*clusterClients, error) {
	rc, err := c.Kube.RESTConfig()
	if err != nil {
		return nil, err
	}
	logger := c.Logger()
	if c.Debug {
		rc.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &requestLog{next: rt, logger: logger} })
	}
	var apis *apiDiscovery
	if withKube {
		// Commands that work on objects render or check them against the
		// API versions the server serves: ask for them while the version
		// is being asked, rather than after.
		if apis, err = discoverAPIs(ctx, rc); err != nil {
			return nil, err
		}
	}
	v, err := reachable(ctx, rc)
	if err != nil {
		return nil, err
	}
	store, err := storage.NewSecrets(rc, namespace, storage.Options{Logger: logger})
	if err != nil {
		return nil, err
	}
	cc := &clusterClients{rest: rc, store: store, version: v, apis: apis}
	if withKube {
		ns := namespace
		if ns == "" {
			ns = c.Namespace()
		}
		kc, err := kube.NewForRESTConfig(rc, kube.WithNamespace(ns), kube.WithLogger(logger))
		if err != nil {
			return nil, err
		}
		cc.kube = kc
	}
	return cc, nil
}

// reachable asks the cluster for its version, giving up after reachTimeout
// or when ctx ends, and returns it.
func reachable(ctx context.Context, rc *rest.Config) (*version.Info, error) {
	dc := rest.CopyConfig(rc)
	dc.Timeout = reachTimeout
	client, err := discovery.New(dc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes cluster at %s: %w", rc.Host, err)
	}
	v, err := client.ServerVersion(ctx)
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		// A server that answers 401 or 403 is reached: its credentials or
		// permissions are at fault, not its address.
		if ae := kube.ExplainAccess(err, rc.Host); ae != err {
			return nil, ae
		}
		return nil, &unreachableError{host: rc.Host, err: err}
	}
	return v, nil
}

// unreachableError says the cluster did not answer, and what to check.
type unreachableError struct {
	host string
	err  error
}

func (e *unreachableError) Error() string {
	return fmt.Sprintf("kubernetes cluster unreachable at %s: %v (nothing was changed; check the server address of the kube-context, --kubeconfig, --kube-context or --kube-apiserver, and that the cluster is running)", e.host, e.err)
}

func (e *unreachableError) Unwrap() error { return e.err }

// isUnreachable reports whether err says the cluster did not answer.
func isUnreachable(err error) bool {
	var u *unreachableError
	return errors.As(err, &u)
}

// engine returns a release engine for namespace on the connected cluster,
// with templates seeing the cluster's version and API versions and lookup
// reading from it. early, when not nil, has the chart the command deploys
// parsed already.
func (cc *clusterClients) engine(ctx context.Context, cfg *Config, namespace, fieldManager string, early *earlyRenderer) (*release.Engine, error) {
	discover := func(ctx context.Context) (*render.Capabilities, error) {
		lists, err := cc.apis.wait(ctx)
		if err != nil {
			return nil, err
		}
		return capabilities(cc.version, lists)
	}
	schema, err := kubeschema.Embedded()
	if err != nil {
		return nil, err
	}
	return release.New(release.Config{
		Namespace:            namespace,
		Schema:               schema,
		Store:                cc.store.InNamespace(namespace),
		Cluster:              cc.kube,
		Logger:               cfg.Logger(),
		FieldManager:         fieldManager,
		Lookup:               lookuper{cc.kube},
		DiscoverCapabilities: discover,
		Renderer:             early.renderer,
		Notices:              cfg.warn,
	})
}

// clientEngine returns an engine that talks to no cluster, for client-side
// dry runs: an empty in-memory store and the default capabilities. early,
// when not nil, has the chart the command deploys parsed already.
func clientEngine(cfg *Config, namespace string, early *earlyRenderer) (*release.Engine, error) {
	schema, err := kubeschema.Embedded()
	if err != nil {
		return nil, err
	}
	return release.New(release.Config{
		Namespace: namespace,
		Schema:    schema,
		Store:     storage.NewMemory(namespace, storage.Options{}),
		Logger:    cfg.Logger(),
		Renderer:  early.renderer,
	})
}

// clusterCapabilities asks the cluster for its API versions, and for its
// version unless known already (v), as templates see them in .Capabilities.
func clusterCapabilities(ctx context.Context, kc *kube.Client, v *version.Info) (*render.Capabilities, error) {
	rc := kc.RESTConfig()
	dc, err := discovery.New(rc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes cluster at %s: %w", rc.Host, err)
	}
	if v == nil {
		if v, err = dc.ServerVersion(ctx); err != nil {
			return nil, fmt.Errorf("kubernetes cluster version: %w", err)
		}
	}
	lists, err := serverResources(ctx, dc)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return capabilities(v, lists)
}

// capabilities are what templates see in .Capabilities of a cluster of
// version v serving the API resources lists.
func capabilities(v *version.Info, lists []*metav1.APIResourceList) (*render.Capabilities, error) {
	caps := render.DefaultCapabilities()
	kv, err := render.ParseKubeVersion(v.GitVersion)
	if err != nil {
		return nil, fmt.Errorf("kubernetes cluster version %q: %w", v.GitVersion, err)
	}
	caps.KubeVersion = *kv
	var set render.VersionSet
	for _, l := range lists {
		set = append(set, l.GroupVersion)
		for _, r := range l.APIResources {
			set = append(set, l.GroupVersion+"/"+r.Kind)
		}
	}
	caps.APIVersions = set
	return caps, nil
}

// apiDiscovery is a discovery of the server's API groups and resources
// running in the background. Helm asks afresh for every operation, without
// a cache, so that a chart sees the CRDs installed a moment ago; so does
// barge.
type apiDiscovery struct {
	done  chan struct{}
	lists []*metav1.APIResourceList
	err   error
}

// discoverAPIs starts asking the server of rc for its API groups and
// resources, until ctx ends or discoveryTimeout passes.
func discoverAPIs(ctx context.Context, rc *rest.Config) (*apiDiscovery, error) {
	dc := rest.CopyConfig(rc)
	dc.Timeout = discoveryTimeout
	client, err := discovery.New(dc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes cluster at %s: %w", rc.Host, err)
	}
	d := &apiDiscovery{done: make(chan struct{})}
	go func() {
		defer close(d.done)
		d.lists, d.err = serverResources(ctx, client)
	}()
	return d, nil
}

// serverResources returns the API resources the server serves. Partial
// discovery failures (an aggregated API down) still give the rest, as in
// Helm.
func serverResources(ctx context.Context, dc *discovery.Client) ([]*metav1.APIResourceList, error) {
	lists, err := dc.ServerResources(ctx)
	if err != nil && len(lists) == 0 {
		return nil, fmt.Errorf("kubernetes API discovery: %w", err)
	}
	return lists, nil
}

// discoveryTimeout bounds the discovery of the server's APIs.
const discoveryTimeout = time.Minute

// wait returns the discovered API resource lists once known.
func (d *apiDiscovery) wait(ctx context.Context) ([]*metav1.APIResourceList, error) {
	select {
	case <-d.done:
		return d.lists, d.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// lookuper serves the lookup template function from the cluster.
type lookuper struct{ kc *kube.Client }

// Lookup returns one object, or a List of them when name is empty, and an
// empty map when nothing is found, as Helm's lookup does.
func (l lookuper) Lookup(ctx context.Context, apiVersion, kind, namespace, name string) (map[string]any, error) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return nil, fmt.Errorf("lookup %s %s: %w", apiVersion, kind, err)
	}
	m, err := l.kc.RESTMapper().RESTMapping(gv.WithKind(kind).GroupKind(), gv.Version)
	if err != nil {
		if meta.IsNoMatchError(err) {
			return map[string]any{}, nil
		}
		return nil, fmt.Errorf("lookup %s %s: %w", apiVersion, kind, err)
	}
	var ri dynamic.ResourceInterface = l.kc.Dynamic().Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace && namespace != "" {
		ri = l.kc.Dynamic().Resource(m.Resource).Namespace(namespace)
	}
	if name != "" {
		obj, err := ri.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return map[string]any{}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("lookup %s %s %s/%s: %w", apiVersion, kind, namespace, name, err)
		}
		return obj.Object, nil
	}
	list, err := ri.List(ctx, metav1.ListOptions{})
	if apierrors.IsNotFound(err) {
		return map[string]any{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lookup %s %s in %q: %w", apiVersion, kind, namespace, err)
	}
	return list.UnstructuredContent(), nil
}
