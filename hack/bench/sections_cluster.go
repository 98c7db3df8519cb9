package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/bargehq/barge/pkg/chart"
	"github.com/bargehq/barge/pkg/chart/render"
	"github.com/bargehq/barge/pkg/chart/values"
	"github.com/bargehq/barge/pkg/release"
	"github.com/bargehq/barge/pkg/release/storage"
)

// command runs bin against the benchmark cluster and returns its duration.
func (e *env) command(ctx context.Context, bin string, args ...string) (time.Duration, error) {
	return e.commandExit(ctx, []int{0}, bin, args...)
}

// commandExit is command for a program whose exit codes in ok all mean success.
func (e *env) commandExit(ctx context.Context, ok []int, bin string, args ...string) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, bin, append(args, "--kubeconfig", e.cluster.KubeconfigPath)...)
	cmd.Dir = e.root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil && !slices.Contains(ok, cmd.ProcessState.ExitCode()) {
		return d, fmt.Errorf("%s %v: %v\n%s", filepath.Base(bin), args, err, out.String())
	}
	return d, nil
}

func (e *env) namespace(ctx context.Context, name string) error {
	cs, err := kubernetes.NewForConfig(e.cluster.RESTConfig())
	if err != nil {
		return err
	}
	_, err = cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	return err
}

// settle waits until every claim of namespace ns is bound and every pod
// Ready, then a moment more, so that one run's aftermath does not weigh on
// the next. It gives up quietly after a minute.
func (e *env) settle(ctx context.Context, ns string) error {
	cs, err := kubernetes.NewForConfig(e.cluster.RESTConfig())
	if err != nil {
		return err
	}
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		claims, err := cs.CoreV1().PersistentVolumeClaims(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		done := len(pods.Items) > 0
		for _, c := range claims.Items {
			done = done && c.Status.Phase == corev1.ClaimBound
		}
		for i := range pods.Items {
			done = done && podReady(&pods.Items[i])
		}
		if done {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(time.Second)
	return nil
}

// benchInstall times one install of charts/joomla with the talk's values,
// barge against helm v3.22, alternating, each in a fresh namespace on a
// cluster done with the previous one.
func benchInstall(ctx context.Context, e *env) error {
	talk := filepath.Join("charts", "joomla", "examples", "talk-values.yaml")
	var bs, hs []time.Duration
	for i := range e.runs {
		for _, tool := range []struct {
			name string
			bin  string
			ds   *[]time.Duration
		}{{"barge", e.barge, &bs}, {"helm", e.helm3, &hs}} {
			ns := fmt.Sprintf("bench-install-%s-%d", tool.name, i)
			if err := e.namespace(ctx, ns); err != nil {
				return err
			}
			d, err := e.command(ctx, tool.bin, "install", "joomla1", "./charts/joomla", "-f", talk, "-n", ns)
			if err != nil {
				return err
			}
			// The controllers' work on this install (claims, pods) would
			// otherwise overlap the next one, whichever tool it is.
			if err := e.settle(ctx, ns); err != nil {
				return err
			}
			*tool.ds = append(*tool.ds, d)
		}
	}
	b, h := median(bs), median(hs)
	e.report.add(row{name: "install charts/joomla (talk values)", barge: secs(b), ref: "helm " + secs(h), ratio: ratio(b, h), goal: "<= 0.5"})
	return nil
}

// benchList stores 1,000 releases of charts/joomla with 5 revisions each, in
// Helm's format across 10 namespaces, then times `list -A`.
func benchList(ctx context.Context, e *env) error {
	const releases, revs, namespaces = 1000, 5, 10
	ch, err := chart.Load(filepath.Join(e.root, "charts", "joomla"))
	if err != nil {
		return err
	}
	talk, err := values.ReadFile(filepath.Join(e.root, "charts", "joomla", "examples", "talk-values.yaml"))
	if err != nil {
		return err
	}
	r, err := render.New(ch)
	if err != nil {
		return err
	}
	for n := range namespaces {
		if err := e.namespace(ctx, fmt.Sprintf("bench-list-%d", n)); err != nil {
			return err
		}
	}
	fmt.Printf("  storing %d releases x %d revisions...\n", releases, revs)
	jobs := make(chan *release.Release)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range 32 {
		wg.Go(func() {
			for rls := range jobs {
				s, err := storage.NewSecrets(e.cluster.RESTConfig(), rls.Namespace, storage.Options{})
				if err == nil {
					err = s.Create(ctx, rls)
				}
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
				}
			}
		})
	}
	now := time.Now()
	for i := range releases {
		name := fmt.Sprintf("tenant-%04d", i)
		ns := fmt.Sprintf("bench-list-%d", i%namespaces)
		res, err := r.Render(ctx, render.Options{ReleaseName: name, Namespace: ns, Values: talk})
		if err != nil {
			close(jobs)
			wg.Wait()
			return err
		}
		for v := 1; v <= revs; v++ {
			st := release.StatusSuperseded
			if v == revs {
				st = release.StatusDeployed
			}
			jobs <- &release.Release{
				Name: name, Namespace: ns, Version: v, Chart: ch, Config: talk, Manifest: res.Manifest,
				Info: &release.Info{FirstDeployed: now, LastDeployed: now, Status: st, Description: "Upgrade complete", Notes: res.Notes},
			}
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	var bs, hs []time.Duration
	for range e.runs {
		d, err := e.command(ctx, e.barge, "list", "-A")
		if err != nil {
			return err
		}
		bs = append(bs, d)
		d, err = e.command(ctx, e.helm3, "list", "-A")
		if err != nil {
			return err
		}
		hs = append(hs, d)
	}
	b, h := median(bs), median(hs)
	e.report.add(row{name: "list -A, 1,000 releases x 5 revisions", barge: secs(b), ref: "helm " + secs(h), ratio: ratio(b, h), goal: "< 0.5 s and <= 0.1"})
	_ = os.Stdout.Sync()
	return nil
}
