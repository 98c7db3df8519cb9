package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/rest"

	"github.com/bargehq/barge/pkg/chart/render"
	"github.com/bargehq/barge/pkg/kube"
	"github.com/bargehq/barge/pkg/kube/discovery"
)

// ReachTimeout bounds the check that the cluster answers, made before a
// command reads or writes anything.
const ReachTimeout = 15 * time.Second

// Session is one cluster, found to answer: its version, and the discovery
// of its API groups when Connect was asked to start it.
//
// A Session may be used by several goroutines at once.
type Session struct {
	rest    *rest.Config
	version *version.Info
	apis    *apiDiscovery
}

// Options tune Connect.
type Options struct {
	// DiscoverAPIs starts asking the server for its API groups and
	// resources while its version is asked, rather than after, for the
	// session's Capabilities.
	DiscoverAPIs bool
}

// Connect checks that the cluster of rc answers, giving up after
// ReachTimeout or when ctx ends, and returns a session with it. An
// unreachable cluster is an *UnreachableError; one that answers 401 or
// 403 a *kube.AccessError. rc is kept as given, not copied: wrappers added
// to it later (rest.Config.Wrap) apply to the session's later requests.
// The discovery started with opts.DiscoverAPIs ends with ctx.
func Connect(ctx context.Context, rc *rest.Config, opts Options) (*Session, error) {
	s := &Session{rest: rc}
	if opts.DiscoverAPIs {
		var err error
		if s.apis, err = discoverAPIs(ctx, rc); err != nil {
			return nil, err
		}
	}
	v, err := reachable(ctx, rc)
	if err != nil {
		return nil, err
	}
	s.version = v
	return s, nil
}

// Version returns the cluster's version, as it answered Connect.
func (s *Session) Version() *version.Info { return s.version }

// Capabilities returns what templates see in .Capabilities of the
// cluster: its version and the API versions it serves, asked for afresh
// (by Connect with DiscoverAPIs, or now), so that a chart sees the CRDs
// installed a moment ago, as with Helm.
func (s *Session) Capabilities(ctx context.Context) (*render.Capabilities, error) {
	if s.apis == nil {
		return Capabilities(ctx, s.rest, s.version)
	}
	lists, err := s.apis.wait(ctx)
	if err != nil {
		return nil, err
	}
	return CapabilitiesOf(s.version, lists)
}

// reachable asks the cluster for its version, giving up after ReachTimeout
// or when ctx ends, and returns it.
func reachable(ctx context.Context, rc *rest.Config) (*version.Info, error) {
	dc := rest.CopyConfig(rc)
	dc.Timeout = ReachTimeout
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
		return nil, &UnreachableError{Host: rc.Host, Err: err}
	}
	return v, nil
}

// UnreachableError says the cluster did not answer, and what to check.
type UnreachableError struct {
	// Host is the cluster's address.
	Host string
	// Err is why it did not answer.
	Err error
}

// Error says that nothing was changed and which settings name the cluster.
func (e *UnreachableError) Error() string {
	return fmt.Sprintf("kubernetes cluster unreachable at %s: %v (nothing was changed; check the server address of the kube-context, --kubeconfig, --kube-context or --kube-apiserver, and that the cluster is running)", e.Host, e.Err)
}

// Unwrap returns Err.
func (e *UnreachableError) Unwrap() error { return e.Err }

// IsUnreachable reports whether err says the cluster did not answer.
func IsUnreachable(err error) bool {
	var u *UnreachableError
	return errors.As(err, &u)
}
