package cli

import (
	"context"
	"net/http"

	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/rest"

	"github.com/bargehq/barge/pkg/chart/render"
	"github.com/bargehq/barge/pkg/cluster"
	"github.com/bargehq/barge/pkg/kube"
	"github.com/bargehq/barge/pkg/kubeschema"
	"github.com/bargehq/barge/pkg/release"
	"github.com/bargehq/barge/pkg/release/storage"
)

// clusterClients are what release commands use to talk to the cluster.
type clusterClients struct {
	rest    *rest.Config
	store   *storage.Secrets
	kube    *kube.Client
	session *cluster.Session // the reachability check's, discovering the server's API groups with kube
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
	// Commands that work on objects render or check them against the API
	// versions the server serves: ask for them while the version is being
	// asked, rather than after.
	session, err := cluster.Connect(ctx, rc, cluster.Options{DiscoverAPIs: withKube})
	if err != nil {
		return nil, err
	}
	store, err := storage.NewSecrets(rc, namespace, storage.Options{Logger: logger})
	if err != nil {
		return nil, err
	}
	cc := &clusterClients{rest: rc, store: store, session: session}
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

// engine returns a release engine for namespace on the connected cluster,
// with templates seeing the cluster's version and API versions and lookup
// reading from it. early, when not nil, has the chart the command deploys
// parsed already.
func (cc *clusterClients) engine(ctx context.Context, cfg *Config, namespace, fieldManager string, early *earlyRenderer) (*release.Engine, error) {
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
		Lookup:               cluster.NewObjects(cc.kube),
		DiscoverCapabilities: cc.session.Capabilities,
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

// clusterCapabilities asks the cluster of kc for its API versions, and for
// its version unless known already (v), as templates see them in
// .Capabilities.
func clusterCapabilities(ctx context.Context, kc *kube.Client, v *version.Info) (*render.Capabilities, error) {
	return cluster.Capabilities(ctx, kc.RESTConfig(), v)
}
