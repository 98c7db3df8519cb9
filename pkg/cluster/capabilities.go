package cluster

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/rest"

	"github.com/bargehq/barge/pkg/chart/render"
	"github.com/bargehq/barge/pkg/kube/discovery"
)

// discoveryTimeout bounds the discovery of the server's APIs.
const discoveryTimeout = time.Minute

// Capabilities asks the cluster of rc for its API versions, and for its
// version unless known already (v), as templates see them in
// .Capabilities.
func Capabilities(ctx context.Context, rc *rest.Config, v *version.Info) (*render.Capabilities, error) {
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
	return CapabilitiesOf(v, lists)
}

// CapabilitiesOf returns what templates see in .Capabilities of a cluster
// of version v serving the API resources lists.
func CapabilitiesOf(v *version.Info, lists []*metav1.APIResourceList) (*render.Capabilities, error) {
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

// wait returns the discovered API resource lists once known.
func (d *apiDiscovery) wait(ctx context.Context) ([]*metav1.APIResourceList, error) {
	select {
	case <-d.done:
		return d.lists, d.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
