package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/bargehq/barge/internal/localcluster"
	"github.com/bargehq/barge/internal/syncbuf"
)

// e2eBinaries holds the barge binary the end-to-end tests run, built once
// per test binary by TestMain. TestMain writes it before any test runs;
// tests only read it.
var e2eBinaries struct {
	dir   string // temporary directory holding the binary and caches
	barge string // path of the barge binary
	err   error  // why the build failed
}

// TestMain builds barge once for the end-to-end tests (not with -short),
// then runs the tests with the local cluster.
func TestMain(m *testing.M) {
	flag.Parse()
	if !testing.Short() {
		buildBarge()
	}
	localcluster.Main(m, func() {
		if e2eBinaries.dir != "" {
			_ = os.RemoveAll(e2eBinaries.dir)
		}
	})
}

// buildBarge builds cmd/barge into a fresh temporary directory, removed
// when the tests end (see TestMain). Directories left by runs that were
// killed are removed once they are a day old.
func buildBarge() {
	tmp := os.TempDir()
	if old, _ := filepath.Glob(filepath.Join(tmp, "barge-e2e-*")); len(old) > 0 {
		for _, d := range old {
			if fi, err := os.Stat(d); err == nil && time.Since(fi.ModTime()) > 24*time.Hour {
				_ = os.RemoveAll(d)
			}
		}
	}
	dir, err := os.MkdirTemp(tmp, "barge-e2e-")
	if err != nil {
		e2eBinaries.err = err
		return
	}
	e2eBinaries.dir = dir
	bin := filepath.Join(dir, "barge")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/bargehq/barge/cmd/barge")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		e2eBinaries.err = fmt.Errorf("go build ./cmd/barge: %v\n%s", err, out.String())
		return
	}
	e2eBinaries.barge = bin
}

// e2e is one end-to-end test's world: the cluster, a namespace of its own,
// and the commands it runs.
type e2e struct {
	t          *testing.T
	cluster    *localcluster.Cluster
	ns         string
	kubeconfig string
	cs         kubernetes.Interface
	helmHome   string
}

// newE2E returns the world of an end-to-end test, skipping it with -short.
func newE2E(t *testing.T) *e2e {
	t.Helper()
	c := localcluster.Get(t)
	if e2eBinaries.err != nil {
		t.Fatalf("building barge: %v", e2eBinaries.err)
	}
	if e2eBinaries.barge == "" {
		t.Fatal("barge was not built: TestMain did not run buildBarge")
	}
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	return &e2e{t: t, cluster: c, ns: c.Namespace(t), kubeconfig: c.KubeconfigPath, cs: cs}
}

// result is how a command ended.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// repoPath returns the path of a file of the repository from this package.
func repoPath(rel string) string {
	return filepath.Join("..", "..", rel)
}

// fixture returns the path of a chart under testdata/e2e.
func fixture(name string) string {
	return filepath.Join("testdata", "e2e", name)
}

// bargeCmd returns the command running barge against the test's cluster
// and namespace.
func (e *e2e) bargeCmd(ctx context.Context, args ...string) *exec.Cmd {
	full := append([]string{"--kubeconfig", e.kubeconfig, "--namespace", e.ns}, args...)
	cmd := exec.CommandContext(ctx, e2eBinaries.barge, full...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + e2eBinaries.dir,
		"XDG_CACHE_HOME=" + filepath.Join(e2eBinaries.dir, "cache"),
	}
	return cmd
}

// run runs a command to its end (at most 3 minutes).
func run(t *testing.T, cmd *exec.Cmd) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("%s: %v", cmd, err)
		}
		r.code = ee.ExitCode()
	}
	return r
}

// barge runs barge and returns how it ended.
func (e *e2e) barge(args ...string) result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	return run(e.t, e.bargeCmd(ctx, args...))
}

// mustBarge runs barge and fails the test unless it succeeds.
func (e *e2e) mustBarge(args ...string) result {
	e.t.Helper()
	r := e.barge(args...)
	if r.code != 0 {
		e.t.Fatalf("barge %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// helm runs a reference Helm binary (helm-v3.22.0 or helm-v4.3.1) against
// the test's cluster and namespace, failing the test when it is not built.
func (e *e2e) helm(version string, args ...string) result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	return run(e.t, e.helmCmd(ctx, version, args...))
}

// helmCmd returns the command running a reference Helm binary against the
// test's cluster and namespace, with a home of its own for the test.
func (e *e2e) helmCmd(ctx context.Context, version string, args ...string) *exec.Cmd {
	e.t.Helper()
	dir := os.Getenv("BARGE_TOOLS_BIN")
	if dir == "" {
		dir = repoPath(".cache/bin")
	}
	bin, err := filepath.Abs(filepath.Join(dir, "helm-"+version))
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		e.t.Fatalf("helm %s not found at %s: build it with `make tools`", version, bin)
	}
	if e.helmHome == "" {
		e.helmHome = e.t.TempDir()
	}
	full := append([]string{"--kubeconfig", e.kubeconfig, "--namespace", e.ns}, args...)
	cmd := exec.CommandContext(ctx, bin, full...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + e.helmHome,
		"HELM_CACHE_HOME=" + filepath.Join(e.helmHome, "cache"),
		"HELM_CONFIG_HOME=" + filepath.Join(e.helmHome, "config"),
		"HELM_DATA_HOME=" + filepath.Join(e.helmHome, "data"),
	}
	return cmd
}

// mustHelm runs helm and fails the test unless it succeeds.
func (e *e2e) mustHelm(version string, args ...string) result {
	e.t.Helper()
	r := e.helm(version, args...)
	if r.code != 0 {
		e.t.Fatalf("helm-%s %s: %s", version, strings.Join(args, " "), r)
	}
	return r
}

// releaseSecrets returns the names of the release records in the namespace.
func (e *e2e) releaseSecrets() []string {
	e.t.Helper()
	l, err := e.cs.CoreV1().Secrets(e.ns).List(context.Background(), metav1.ListOptions{LabelSelector: "owner=helm"})
	if err != nil {
		e.t.Fatal(err)
	}
	var names []string
	for _, s := range l.Items {
		names = append(names, s.Name)
	}
	return names
}

// leases returns the names of the Leases in the namespace.
func (e *e2e) leases() []string {
	e.t.Helper()
	l, err := e.cs.CoordinationV1().Leases(e.ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	var names []string
	for _, s := range l.Items {
		names = append(names, s.Name)
	}
	return names
}

// configMapData returns a ConfigMap's data, or nil if it does not exist.
func (e *e2e) configMapData(name string) map[string]string {
	e.t.Helper()
	cm, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(context.Background(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return cm.Data
}

// eventually polls cond every half second until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// started is a barge command running in the background.
type started struct {
	cmd            *exec.Cmd
	stdout, stderr *syncbuf.Buffer
	done           chan result
}

// start starts barge in the background.
func (e *e2e) start(args ...string) *started {
	e.t.Helper()
	if runtime.GOOS == "windows" {
		e.t.Skip("signals: POSIX only")
	}
	return e.startCmd(e.bargeCmd(context.Background(), args...))
}

// startCmd starts cmd in the background, killed when the test ends.
func (e *e2e) startCmd(cmd *exec.Cmd) *started {
	e.t.Helper()
	s := &started{cmd: cmd, stdout: &syncbuf.Buffer{}, stderr: &syncbuf.Buffer{}, done: make(chan result, 1)}
	cmd.Stdout, cmd.Stderr = s.stdout, s.stderr
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = cmd.Process.Kill() })
	go func() {
		err := cmd.Wait()
		r := result{stdout: s.stdout.String(), stderr: s.stderr.String()}
		if ee, ok := err.(*exec.ExitError); ok {
			r.code = ee.ExitCode()
			if st, ok := ee.Sys().(syscall.WaitStatus); ok && st.Signaled() {
				r.code = 128 + int(st.Signal())
			}
		}
		s.done <- r
	}()
	return s
}

// wait waits for the background command to end.
func (s *started) wait(t *testing.T, timeout time.Duration) result {
	t.Helper()
	select {
	case r := <-s.done:
		return r
	case <-time.After(timeout):
		t.Fatalf("%s still running after %s\n--- stderr so far\n%s", s.cmd, timeout, s.stderr.String())
	}
	return result{}
}
