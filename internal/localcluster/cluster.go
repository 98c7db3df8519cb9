package localcluster

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Options configure a cluster.
type Options struct {
	// Dir is where the cluster keeps its data, logs and kubeconfig. Empty
	// means a new temporary directory, removed by Stop.
	Dir string
	// BinDir holds the binaries built by hack/tools/build.sh. Empty means
	// $BARGE_TOOLS_BIN, else .cache/bin at the repository's root.
	BinDir string
	// Versions name the binaries to use; zero means hack/tools/versions.env.
	Versions Versions
	// Nodes is the number of fake nodes; zero means 3.
	Nodes int
	// Log receives progress lines; nil means none.
	Log io.Writer
	// Profiling serves the API server's CPU and heap profiles under
	// /debug/pprof, for benchmarks that ask where its time goes.
	Profiling bool
}

// Versions are the versions of the cluster's binaries.
type Versions struct {
	Kube, Etcd, Kwok string
}

// Cluster is a running local cluster. Its methods may be called from several
// goroutines once Start has returned.
type Cluster struct {
	// Dir is the cluster's directory.
	Dir string
	// KubeconfigPath is the path of an admin kubeconfig for the cluster.
	KubeconfigPath string
	// Server is the API server's URL.
	Server string
	// Token is a bearer token with admin rights, for testing token authentication.
	Token string
	// CAFile is the path of the cluster's certificate authority.
	CAFile string

	rest    *rest.Config
	procs   []*process
	tempDir bool
	log     io.Writer
}

// RESTConfig returns an admin client configuration for the cluster.
func (c *Cluster) RESTConfig() *rest.Config { return rest.CopyConfig(c.rest) }

func (o *Options) defaults() error {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Nodes == 0 {
		o.Nodes = 3
	}
	if o.BinDir == "" {
		o.BinDir = os.Getenv("BARGE_TOOLS_BIN")
	}
	if o.BinDir == "" || o.Versions == (Versions{}) {
		root, err := repoRoot()
		if err != nil {
			return err
		}
		if o.BinDir == "" {
			o.BinDir = filepath.Join(root, ".cache", "bin")
		}
		if o.Versions == (Versions{}) {
			v, err := readVersions(filepath.Join(root, "hack", "tools", "versions.env"))
			if err != nil {
				return err
			}
			o.Versions = v
		}
	}
	return nil
}

// repoRoot finds barge's repository root from the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "hack", "tools", "versions.env")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("hack/tools/versions.env not found above the working directory: run from barge's repository or set Options.BinDir and Options.Versions")
		}
		dir = parent
	}
}

func readVersions(path string) (Versions, error) {
	f, err := os.Open(path)
	if err != nil {
		return Versions{}, err
	}
	defer f.Close()
	var v Versions
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, val, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok || strings.HasPrefix(k, "#") {
			continue
		}
		switch k {
		case "KUBE_VERSION":
			v.Kube = val
		case "ETCD_VERSION":
			v.Etcd = val
		case "KWOK_VERSION":
			v.Kwok = val
		}
	}
	if v.Kube == "" || v.Etcd == "" || v.Kwok == "" {
		return v, fmt.Errorf("%s: KUBE_VERSION, ETCD_VERSION and KWOK_VERSION must all be set", path)
	}
	return v, sc.Err()
}

func (o *Options) bin(name, version string) (string, error) {
	p := filepath.Join(o.BinDir, name+"-"+version)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s %s not found at %s: build it with `make tools` (hack/tools/build.sh)", name, version, p)
	}
	return p, nil
}

// Start starts a cluster and returns once the API server answers and every
// fake node is Ready. On failure everything started is stopped and the error
// carries the end of the failing component's log.
func Start(ctx context.Context, opts Options) (c *Cluster, err error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	bins := map[string]string{}
	for name, version := range map[string]string{
		"etcd": opts.Versions.Etcd, "kube-apiserver": opts.Versions.Kube,
		"kube-controller-manager": opts.Versions.Kube, "kube-scheduler": opts.Versions.Kube,
		"kwok": opts.Versions.Kwok,
	} {
		if bins[name], err = opts.bin(name, version); err != nil {
			return nil, err
		}
	}
	stages := filepath.Join(opts.BinDir, "kwok-stages-"+opts.Versions.Kwok+".yaml")
	if _, err := os.Stat(stages); err != nil {
		return nil, fmt.Errorf("kwok stages not found at %s: build them with `make tools`", stages)
	}

	c = &Cluster{Dir: opts.Dir, log: opts.Log}
	if c.Dir == "" {
		if c.Dir, err = os.MkdirTemp("", "barge-cluster-"); err != nil {
			return nil, err
		}
		c.tempDir = true
	} else if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			c.Stop()
			c = nil
		}
	}()
	begin := time.Now()
	p, err := generatePKI(c.Dir)
	if err != nil {
		return c, err
	}
	ports, err := freePorts(6)
	if err != nil {
		return c, err
	}
	etcdPort, peerPort, apiPort, cmPort, schedPort, kwokPort := ports[0], ports[1], ports[2], ports[3], ports[4], ports[5]
	c.Server = fmt.Sprintf("https://127.0.0.1:%d", apiPort)
	c.Token = p.adminToken
	c.CAFile = p.caCert
	// The credentials are given as data, not files: client-go reloads a
	// client certificate given as a file, and logs an error every few
	// seconds once Stop has removed it.
	var creds rest.TLSClientConfig
	for _, f := range []struct {
		dst  *[]byte
		path string
	}{{&creds.CAData, p.caCert}, {&creds.CertData, p.adminCert}, {&creds.KeyData, p.adminKey}} {
		if *f.dst, err = os.ReadFile(f.path); err != nil {
			return c, err
		}
	}
	c.rest = &rest.Config{Host: c.Server, TLSClientConfig: creds, QPS: 500, Burst: 1000}
	c.KubeconfigPath = filepath.Join(c.Dir, "kubeconfig")
	if err := writeKubeconfig(c.KubeconfigPath, c.Server, p); err != nil {
		return c, err
	}

	// etcd
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", etcdPort)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", peerPort)
	etcd, err := c.start("etcd", bins["etcd"],
		"--name=barge", "--data-dir="+filepath.Join(c.Dir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=barge="+peerURL, "--unsafe-no-fsync=true",
		"--quota-backend-bytes=8589934592", "--log-level=warn")
	if err != nil {
		return c, err
	}
	if err := etcd.waitHealthy(ctx, 30*time.Second, httpCheck(http.DefaultClient, etcdURL+"/health")); err != nil {
		return c, err
	}
	c.progress("etcd healthy", begin)

	// kube-apiserver
	api, err := c.start("kube-apiserver", bins["kube-apiserver"],
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port="+strconv.Itoa(apiPort),
		"--tls-cert-file="+p.serverCert, "--tls-private-key-file="+p.serverKey,
		"--client-ca-file="+p.caCert, "--token-auth-file="+p.tokenFile,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+p.saPub, "--service-account-signing-key-file="+p.saKey,
		"--service-cluster-ip-range=10.96.0.0/12",
		"--authorization-mode=Node,RBAC", "--allow-privileged=true",
		// The endpoint reconciler refuses a loopback address; nothing here
		// needs the kubernetes Service to have endpoints.
		"--endpoint-reconciler-type=none",
		"--max-requests-inflight=800", "--max-mutating-requests-inflight=400",
		"--profiling="+strconv.FormatBool(opts.Profiling), "--enable-priority-and-fairness=true",
		"--cert-dir="+filepath.Join(c.Dir, "apiserver-certs"))
	if err != nil {
		return c, err
	}
	adminHTTP, err := c.httpClient(p)
	if err != nil {
		return c, err
	}
	if err := api.waitHealthy(ctx, 90*time.Second, httpCheck(adminHTTP, c.Server+"/readyz")); err != nil {
		return c, err
	}
	c.progress("kube-apiserver ready", begin)

	// The controller manager, the scheduler and kwok depend only on the API
	// server: start them together, then check each.
	insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	cm, err := c.start("kube-controller-manager", bins["kube-controller-manager"],
		"--kubeconfig="+c.KubeconfigPath,
		"--authentication-kubeconfig="+c.KubeconfigPath, "--authorization-kubeconfig="+c.KubeconfigPath,
		"--bind-address=127.0.0.1", "--secure-port="+strconv.Itoa(cmPort),
		"--leader-elect=false", "--use-service-account-credentials=false",
		"--service-account-private-key-file="+p.saKey, "--root-ca-file="+p.caCert,
		"--cluster-signing-cert-file="+p.caCert, "--cluster-signing-key-file="+p.caKey,
		"--enable-hostpath-provisioner=true",
		"--controllers=*,-node-ipam-controller",
		"--kube-api-qps=500", "--kube-api-burst=1000",
		"--concurrent-deployment-syncs=20", "--concurrent-replicaset-syncs=20",
		"--concurrent-statefulset-syncs=20", "--concurrent-job-syncs=20",
		"--concurrent-service-endpoint-syncs=20", "--concurrent-serviceaccount-token-syncs=20",
		"--concurrent-gc-syncs=50", "--concurrent-namespace-syncs=20",
		"--node-monitor-grace-period=2m",
		"--profiling=false")
	if err != nil {
		return c, err
	}
	schedCfg := filepath.Join(c.Dir, "scheduler.yaml")
	if err := os.WriteFile(schedCfg, []byte(fmt.Sprintf(`apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  kubeconfig: %q
  qps: 500
  burst: 1000
leaderElection:
  leaderElect: false
`, c.KubeconfigPath)), 0o600); err != nil {
		return c, err
	}
	sched, err := c.start("kube-scheduler", bins["kube-scheduler"],
		"--config="+schedCfg,
		"--authentication-kubeconfig="+c.KubeconfigPath, "--authorization-kubeconfig="+c.KubeconfigPath,
		"--bind-address=127.0.0.1", "--secure-port="+strconv.Itoa(schedPort), "--profiling=false")
	if err != nil {
		return c, err
	}
	own, err := c.writeKwokConfig()
	if err != nil {
		return c, err
	}
	kwok, err := c.start("kwok", bins["kwok"],
		"--kubeconfig="+c.KubeconfigPath, "--config="+stages, "--config="+own,
		"--manage-all-nodes=false", "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
		"--cidr=10.0.0.1/16", "--node-ip=10.0.0.1",
		"--node-lease-duration-seconds=40",
		"--server-address=127.0.0.1:"+strconv.Itoa(kwokPort))
	if err != nil {
		return c, err
	}
	if err := cm.waitHealthy(ctx, 60*time.Second, httpCheck(insecure, fmt.Sprintf("https://127.0.0.1:%d/healthz", cmPort))); err != nil {
		return c, err
	}
	if err := sched.waitHealthy(ctx, 60*time.Second, httpCheck(insecure, fmt.Sprintf("https://127.0.0.1:%d/healthz", schedPort))); err != nil {
		return c, err
	}
	if err := kwok.waitHealthy(ctx, 60*time.Second, httpCheck(http.DefaultClient, fmt.Sprintf("http://127.0.0.1:%d/healthz", kwokPort))); err != nil {
		return c, err
	}
	c.progress("controller-manager, scheduler and kwok healthy", begin)

	cs, err := kubernetes.NewForConfig(c.rest)
	if err != nil {
		return c, err
	}
	if err := bootstrap(ctx, cs, opts.Nodes); err != nil {
		return c, fmt.Errorf("bootstrap: %w\n--- last lines of kwok's log ---\n%s", err, kwok.tail(20))
	}
	c.progress(fmt.Sprintf("%d nodes Ready, default StorageClass set", opts.Nodes), begin)
	return c, nil
}

func (c *Cluster) progress(msg string, begin time.Time) {
	fmt.Fprintf(c.log, "cluster: %s (%.1f s)\n", msg, time.Since(begin).Seconds())
}

func (c *Cluster) start(name, bin string, args ...string) (*process, error) {
	p, err := startProcess(c.Dir, name, bin, args...)
	if err != nil {
		return nil, err
	}
	c.procs = append(c.procs, p)
	return p, nil
}

// Stop stops every component in reverse order of start (SIGTERM, then
// SIGKILL after a grace period) and removes a temporary directory and the
// directories the host-path provisioner made for its volumes. It is
// safe to call more than once.
func (c *Cluster) Stop() {
	var volumes []string
	if len(c.procs) > 0 {
		volumes = c.hostPathVolumes()
	}
	for i := len(c.procs) - 1; i >= 0; i-- {
		c.procs[i].stop(5 * time.Second)
	}
	c.procs = nil
	for _, v := range volumes {
		_ = os.RemoveAll(v)
	}
	if c.tempDir {
		_ = os.RemoveAll(c.Dir)
	}
}

func (c *Cluster) httpClient(p *pki) (*http.Client, error) {
	rc := rest.CopyConfig(c.rest)
	tr, err := rest.TransportFor(rc)
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: tr}, nil
}

func httpCheck(client *http.Client, url string) func(context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
		}
		return nil
	}
}

func writeKubeconfig(path, server string, p *pki) error {
	ca, err := os.ReadFile(p.caCert)
	if err != nil {
		return err
	}
	cert, err := os.ReadFile(p.adminCert)
	if err != nil {
		return err
	}
	key, err := os.ReadFile(p.adminKey)
	if err != nil {
		return err
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["barge-local"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca}
	cfg.AuthInfos["barge-admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: cert, ClientKeyData: key}
	cfg.Contexts["barge-local"] = &clientcmdapi.Context{Cluster: "barge-local", AuthInfo: "barge-admin", Namespace: "default"}
	cfg.CurrentContext = "barge-local"
	return clientcmd.WriteToFile(*cfg, path)
}
