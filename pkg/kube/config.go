package kube

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Default client-side rate limits. client-go's own defaults (5 QPS, burst 10)
// throttle even a single install against a local cluster; these leave the API
// server, not the client, as the bottleneck.
const (
	DefaultQPS   = 200
	DefaultBurst = 400
)

// Config says how to reach a cluster. Its zero value uses the kubeconfig
// loading rules of kubectl ($KUBECONFIG, then ~/.kube/config).
type Config struct {
	// Kubeconfig is the path of a kubeconfig file; empty means $KUBECONFIG or ~/.kube/config.
	Kubeconfig string
	// Context is the kubeconfig context to use; empty means the current one.
	Context string
	// Namespace overrides the context's namespace.
	Namespace string
	// APIServer overrides the server address.
	APIServer string
	// Token is a bearer token used instead of the kubeconfig's credentials.
	Token string
	// CAFile is a certificate authority file for the server.
	CAFile string
	// Insecure skips verification of the server's certificate.
	Insecure bool
	// TLSServerName is the name the server's certificate is checked
	// against, instead of the host of the server's address.
	TLSServerName string
	// AsUser is the user to impersonate: every request is made as that
	// user, with its rights (the credentials must allow impersonating it).
	AsUser string
	// AsGroups are the groups to impersonate, with AsUser.
	AsGroups []string
	// QPS and Burst are the client-side rate limits; zero means DefaultQPS and DefaultBurst.
	QPS   float32
	Burst int
	// RequestTimeout bounds how long one request waits for the server (see
	// WithRequestTimeout); zero means DefaultRequestTimeout, negative none.
	RequestTimeout time.Duration
}

// explain turns an error loading the client configuration into one that
// says which kubeconfig file is missing and how to point barge at a
// cluster, instead of client-go's advice about KUBERNETES_MASTER.
func (c Config) explain(err error) error {
	const fix = "point barge at a cluster with --kubeconfig FILE, $KUBECONFIG or --kube-apiserver URL"
	if c.Kubeconfig != "" {
		if _, serr := os.Stat(c.Kubeconfig); errors.Is(serr, fs.ErrNotExist) {
			return fmt.Errorf("kubeconfig %s (--kubeconfig) does not exist: check the path, or %s", c.Kubeconfig, fix)
		}
	}
	if !clientcmd.IsEmptyConfig(err) {
		return fmt.Errorf("kubernetes client configuration: %w (%s)", err, fix)
	}
	files := clientcmd.NewDefaultClientConfigLoadingRules().GetLoadingPrecedence()
	return noConfig(os.Getenv(clientcmd.RecommendedConfigPathEnvVar) != "", files)
}

// noConfig explains an empty configuration loaded from files, named by
// $KUBECONFIG when fromEnv, else the default ~/.kube/config.
func noConfig(fromEnv bool, files []string) error {
	const fix = "point barge at a cluster with --kubeconfig FILE, $KUBECONFIG or --kube-apiserver URL"
	var missing []string
	for _, f := range files {
		if _, serr := os.Stat(f); errors.Is(serr, fs.ErrNotExist) {
			missing = append(missing, f)
		}
	}
	switch {
	case fromEnv && len(missing) > 0:
		return fmt.Errorf("no cluster configured: the kubeconfig file %s ($KUBECONFIG) does not exist: check the path, or %s", strings.Join(missing, ", "), fix)
	case len(missing) > 0:
		return fmt.Errorf("no cluster configured: %s does not exist and neither --kubeconfig nor $KUBECONFIG is set: %s", strings.Join(missing, ", "), fix)
	}
	return fmt.Errorf("no cluster configured: the kubeconfig names no cluster to use (no current context?): %s, or pick one with --kube-context", fix)
}

func (c Config) clientConfig() clientcmd.ClientConfig {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if c.Kubeconfig != "" {
		rules.ExplicitPath = c.Kubeconfig
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: c.Context}
	if c.Namespace != "" {
		overrides.Context.Namespace = c.Namespace
	}
	if c.APIServer != "" {
		overrides.ClusterInfo.Server = c.APIServer
	}
	if c.Token != "" {
		overrides.AuthInfo.Token = c.Token
	}
	if c.CAFile != "" {
		overrides.ClusterInfo.CertificateAuthority = c.CAFile
	}
	if c.Insecure {
		overrides.ClusterInfo.InsecureSkipTLSVerify = true
	}
	if c.TLSServerName != "" {
		overrides.ClusterInfo.TLSServerName = c.TLSServerName
	}
	if c.AsUser != "" {
		overrides.AuthInfo.Impersonate = c.AsUser
	}
	if len(c.AsGroups) > 0 {
		overrides.AuthInfo.ImpersonateGroups = c.AsGroups
	}
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
}

// RESTConfig returns the client configuration for the cluster, with the rate
// limits and the request timeout applied.
func (c Config) RESTConfig() (*rest.Config, error) {
	rc, err := c.clientConfig().ClientConfig()
	if err != nil {
		return nil, c.explain(err)
	}
	rc.QPS = c.QPS
	if rc.QPS == 0 {
		rc.QPS = DefaultQPS
	}
	rc.Burst = c.Burst
	if rc.Burst == 0 {
		rc.Burst = DefaultBurst
	}
	return WithRequestTimeout(rc, c.RequestTimeout), nil
}

// DefaultNamespace returns the namespace to work in: the one set in Config,
// else the kubeconfig context's, else "default".
func (c Config) DefaultNamespace() string {
	if c.Namespace != "" {
		return c.Namespace
	}
	ns, _, err := c.clientConfig().Namespace()
	if err != nil || ns == "" {
		return "default"
	}
	return ns
}
