package release_test

import (
	"context"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/bargehq/barge/internal/localcluster"
	"github.com/bargehq/barge/pkg/kube"
	"github.com/bargehq/barge/pkg/release"
	"github.com/bargehq/barge/pkg/release/storage"
)

// env is a namespace of the local cluster with an engine on it.
type env struct {
	t      *testing.T
	ns     string
	cs     kubernetes.Interface
	kc     *kube.Client
	store  *storage.Secrets
	engine *release.Engine
	pods   *podPhases
}

// newEnv makes a fresh namespace and an engine for it whose locks are held
// as holder.
func newEnv(t *testing.T) *env {
	t.Helper()
	c := localcluster.Get(t)
	ns := c.Namespace(t)
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ns: ns, cs: cs}
	e.kc, err = kube.NewForRESTConfig(c.RESTConfig(), kube.WithNamespace(ns), kube.WithCacheDir(""))
	if err != nil {
		t.Fatal(err)
	}
	e.store, e.engine = e.engineAs("tester")
	e.pods = startPodPhases(t, cs, ns)
	return e
}

// engineAs returns another engine on the same namespace holding locks as holder.
func (e *env) engineAs(holder string) (*storage.Secrets, *release.Engine) {
	e.t.Helper()
	c := localcluster.Get(e.t)
	store, err := storage.NewSecrets(c.RESTConfig(), e.ns, storage.Options{Holder: holder})
	if err != nil {
		e.t.Fatal(err)
	}
	eng, err := release.New(release.Config{Namespace: e.ns, Store: store, Cluster: e.kc})
	if err != nil {
		e.t.Fatal(err)
	}
	return store, eng
}

// configMap returns a ConfigMap of the namespace, or nil if there is none.
func (e *env) configMap(name string) *corev1.ConfigMap {
	e.t.Helper()
	cm, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(context.Background(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return cm
}

// exists reports whether a Job exists in the namespace.
func (e *env) job(name string) (uid string, ok bool) {
	e.t.Helper()
	j, err := e.cs.BatchV1().Jobs(e.ns).Get(context.Background(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return "", false
	}
	if err != nil {
		e.t.Fatal(err)
	}
	if j.DeletionTimestamp != nil {
		return "", false
	}
	return string(j.UID), true
}

// statuses returns the status of every stored revision, by revision.
func (e *env) statuses(name string) map[int]release.Status {
	e.t.Helper()
	hist, err := e.store.History(context.Background(), name)
	if err != nil {
		return nil
	}
	out := map[int]release.Status{}
	for _, h := range hist {
		out[h.Revision] = h.Status
	}
	return out
}

// waitFor polls cond until it holds or 30 seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// phaseAnnotation on a Pod asks podPhases to end it in that phase
// (Succeeded or Failed). kwok runs Pods but only completes those of Jobs:
// podPhases plays the kubelet's part for bare hook and test Pods.
const phaseAnnotation = "test.barge.dev/phase"

// gateAnnotation on a Pod holds it running until the test opens the gate
// of that name.
const gateAnnotation = "test.barge.dev/gate"

type podPhases struct {
	mu   sync.Mutex
	open map[string]bool
}

func (p *podPhases) openGate(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.open[name] = true
}

func (p *podPhases) isOpen(name string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return name == "" || p.open[name]
}

// startPodPhases ends the annotated Pods of ns until the test ends.
func startPodPhases(t *testing.T, cs kubernetes.Interface, ns string) *podPhases {
	p := &podPhases{open: map[string]bool{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			if err == nil {
				for i := range pods.Items {
					pod := &pods.Items[i]
					phase := corev1.PodPhase(pod.Annotations[phaseAnnotation])
					if phase == "" || pod.Status.Phase == phase || pod.DeletionTimestamp != nil || !p.isOpen(pod.Annotations[gateAnnotation]) {
						continue
					}
					pod.Status.Phase = phase
					if phase == corev1.PodFailed {
						pod.Status.Reason, pod.Status.Message = "Error", "container exited with code 1"
					}
					_, _ = cs.CoreV1().Pods(ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return p
}
