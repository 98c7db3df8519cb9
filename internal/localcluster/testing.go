package localcluster

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// shared is the cluster of one test binary. A test binary is one process and
// TestMain its single entry point, so this is the one place where the package
// keeps state: it is only touched through Main and Get.
var shared struct {
	once    sync.Once
	cluster *Cluster
	err     error
	mu      sync.Mutex
}

// Main runs a package's tests with one local cluster for the whole test
// binary, started on first use by Get and stopped when the tests end, even
// on SIGINT or SIGTERM. Call it from TestMain:
//
//	func TestMain(m *testing.M) { localcluster.Main(m) }
//
// The tests' caches (XDG_CACHE_HOME: discovery, charts) go to a temporary
// directory removed at the end, never into the user's home; cleanups run
// then too, for what the package's tests left.
func Main(m *testing.M, cleanups ...func()) {
	if cache, err := os.MkdirTemp("", "barge-test-cache-"); err == nil {
		_ = os.Setenv("XDG_CACHE_HOME", cache)
		cleanups = append(cleanups, func() { _ = os.RemoveAll(cache) })
	}
	end := func() {
		stopShared()
		for _, c := range cleanups {
			c()
		}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		end()
		fmt.Fprintf(os.Stderr, "localcluster: stopped on %v\n", s)
		os.Exit(130)
	}()
	code := m.Run()
	end()
	os.Exit(code)
}

// skipShort skips an end-to-end test with `go test -short`: tests that
// need a cluster run only without it.
func skipShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: needs the local cluster (run without -short)")
	}
}

func stopShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.cluster != nil {
		shared.cluster.Stop()
		shared.cluster = nil
	}
}

// Get returns the test binary's cluster, starting it on first use. With
// `go test -short` it skips the test: cluster tests are end-to-end tests.
// A cluster that fails to start fails the test with the component's log.
func Get(t testing.TB) *Cluster {
	t.Helper()
	skipShort(t)
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		c, err := Start(ctx, Options{Log: os.Stderr})
		shared.mu.Lock()
		shared.cluster, shared.err = c, err
		shared.mu.Unlock()
	})
	if shared.err != nil {
		t.Fatalf("local cluster: %v", shared.err)
	}
	return shared.cluster
}

// Namespace creates a namespace for test t, named after it, and deletes it
// when the test ends. It returns once pods can be created in it.
func (c *Cluster) Namespace(t testing.TB) string {
	t.Helper()
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: namespacePrefix(t.Name())}}
	created, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	t.Cleanup(func() {
		_ = cs.CoreV1().Namespaces().Delete(context.Background(), created.Name, metav1.DeleteOptions{})
	})
	if err := WaitServiceAccount(ctx, cs, created.Name); err != nil {
		t.Fatal(err)
	}
	return created.Name
}

// namespacePrefix turns a test name into a valid namespace name prefix.
func namespacePrefix(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
				b.WriteByte('-')
			}
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > 40 {
		s = strings.TrimRight(s[:40], "-")
	}
	if s == "" {
		s = "test"
	}
	return s + "-"
}
