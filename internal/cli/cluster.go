package cli

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"

	"github.com/bargehq/barge/pkg/kube"
	"github.com/bargehq/barge/pkg/release/storage"
)

// reachTimeout bounds the check that the cluster answers, made before a
// command reads or writes anything.
const reachTimeout = 15 * time.Second

// clusterClients are what release commands use to talk to the cluster.
type clusterClients struct {
	rest  *rest.Config
	store *storage.Secrets
	kube  *kube.Client
}

// connect checks that the cluster answers and returns a release store for
// namespace (all namespaces when empty) and, with withKube, a kube client.
// An unreachable cluster is reported before anything is written.
func (c *Config) connect(ctx context.Context, namespace string, withKube bool) (*clusterClients, error) {
	rc, err := c.Kube.RESTConfig()
	if err != nil {
		return nil, err
	}
	if err := reachable(ctx, rc); err != nil {
		return nil, err
	}
	logger := c.Logger()
	store, err := storage.NewSecrets(rc, namespace, storage.Options{Logger: logger})
	if err != nil {
		return nil, err
	}
	cc := &clusterClients{rest: rc, store: store}
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
// or when ctx ends.
func reachable(ctx context.Context, rc *rest.Config) error {
	dc := rest.CopyConfig(rc)
	dc.Timeout = reachTimeout
	client, err := discovery.NewDiscoveryClientForConfig(dc)
	if err != nil {
		return fmt.Errorf("kubernetes cluster at %s: %w", rc.Host, err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := client.ServerVersion()
		done <- err
	}()
	select {
	case err = <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		return &unreachableError{host: rc.Host, err: err}
	}
	return nil
}

// unreachableError says the cluster did not answer, and what to check.
type unreachableError struct {
	host string
	err  error
}

func (e *unreachableError) Error() string {
	return fmt.Sprintf("kubernetes cluster unreachable at %s: %v (nothing was changed; check --kubeconfig, --kube-context and that the cluster is running)", e.host, e.err)
}

func (e *unreachableError) Unwrap() error { return e.err }
