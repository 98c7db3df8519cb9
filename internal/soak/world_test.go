package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/bargehq/barge/internal/syncbuf"
)

// leasePrefix starts the name of the Lease that locks a release (barge's
// documented lock: barge.release.<name> in the release's namespace).
const leasePrefix = "barge.release."

// world is what every trial of a run shares: the binaries, the cluster,
// the namespace, the chart, and the bystander releases no trial may touch.
// Its methods may be called from several goroutines at once.
type world struct {
	barge, helm string
	home        string // HOME of the processes the suite runs
	kubeconfig  string // the cluster's admin kubeconfig, straight to the API server
	target      string // the API server's host:port, for the proxies
	ns          string
	cs          kubernetes.Interface
	chart       string
	takeOver    bool // barge has --take-over

	// window is how long each operation takes undisturbed, measured once:
	// moments drawn as a fraction of it fall within the operation.
	window map[Op]time.Duration

	mu        sync.Mutex
	bystander string // the bystanders' state when last checked
}

// proc is a process the suite started.
type proc struct {
	label    string
	cmd      *exec.Cmd
	out, err syncbuf.Buffer
	start    time.Time
	done     chan struct{}
	end      time.Time
	code     int // exit code; 128+n when killed by signal n; -1 if it did not start
}

// env returns the environment of the processes the suite runs: their own
// HOME and caches, nothing of the user's.
func (w *world) env() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + w.home,
		"XDG_CACHE_HOME=" + filepath.Join(w.home, "cache"),
		"HELM_CACHE_HOME=" + filepath.Join(w.home, "helm", "cache"),
		"HELM_CONFIG_HOME=" + filepath.Join(w.home, "helm", "config"),
		"HELM_DATA_HOME=" + filepath.Join(w.home, "helm", "data"),
	}
}

// start starts bin (w.barge or w.helm) on kubeconfig with args.
func (w *world) start(bin, kubeconfig string, args ...string) *proc {
	full := append([]string{"--kubeconfig", kubeconfig, "--namespace", w.ns}, args...)
	p := &proc{label: filepath.Base(bin) + " " + strings.Join(args, " "), cmd: exec.Command(bin, full...), done: make(chan struct{})}
	p.cmd.Env = w.env()
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.err
	p.start = time.Now()
	if err := p.cmd.Start(); err != nil {
		p.code, p.end = -1, time.Now()
		fmt.Fprintf(&p.err, "start: %v", err)
		close(p.done)
		return p
	}
	go func() {
		err := p.cmd.Wait()
		p.end = time.Now()
		if ee, ok := err.(*exec.ExitError); ok {
			p.code = ee.ExitCode()
			if st, ok := ee.Sys().(syscall.WaitStatus); ok && st.Signaled() {
				p.code = 128 + int(st.Signal())
			}
		} else if err != nil {
			p.code = -1
		}
		close(p.done)
	}()
	return p
}

// run runs bin to its end, killing it after limit.
func (w *world) run(bin, kubeconfig string, limit time.Duration, args ...string) *proc {
	p := w.start(bin, kubeconfig, args...)
	if !p.wait(limit) {
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	return p
}

// ended reports whether the process has ended.
func (p *proc) ended() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits up to d for the process to end, and says whether it did.
func (p *proc) wait(d time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(d):
		return false
	}
}

// signal sends sig if the process still runs, and says whether it did.
func (p *proc) signal(sig syscall.Signal) bool {
	if p.ended() || p.cmd.Process == nil {
		return false
	}
	return p.cmd.Process.Signal(sig) == nil
}

// String says how the process ended, with the end of its error output.
func (p *proc) String() string {
	state := "still running"
	if p.ended() {
		state = fmt.Sprintf("exit %d after %s", p.code, p.end.Sub(p.start).Round(10*time.Millisecond))
	}
	s := p.label + " -> " + state
	if e := tail(p.err.String(), 6); e != "" {
		s += "\n" + e
	}
	return s
}

// tail returns the last n non-empty lines of s.
func tail(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// proxyKubeconfig writes a copy of the admin kubeconfig whose server is
// the proxy at addr, and returns its path.
func (w *world) proxyKubeconfig(dir, addr string) (string, error) {
	cfg, err := clientcmd.LoadFromFile(w.kubeconfig)
	if err != nil {
		return "", err
	}
	for _, c := range cfg.Clusters {
		c.Server = "https://" + addr
	}
	path := filepath.Join(dir, "kubeconfig-proxy")
	return path, clientcmd.WriteToFile(*cfg, path)
}

// apiTarget returns the host:port of the kubeconfig's server.
func apiTarget(kubeconfig string) (string, error) {
	cfg, err := clientcmd.LoadFromFile(kubeconfig)
	if err != nil {
		return "", err
	}
	for _, c := range cfg.Clusters {
		u, err := url.Parse(c.Server)
		if err != nil {
			return "", err
		}
		return u.Host, nil
	}
	return "", fmt.Errorf("%s: no cluster", kubeconfig)
}

// snapshot reads a release's state: its records, both histories, its live
// objects and its Lease.
func (w *world) snapshot(ctx context.Context, name string) (Snapshot, error) {
	s := Snapshot{Release: name}
	secrets, err := w.cs.CoreV1().Secrets(w.ns).List(ctx, metav1.ListOptions{LabelSelector: "owner=helm,name=" + name})
	if err != nil {
		return s, fmt.Errorf("list records: %w", err)
	}
	for _, sec := range secrets.Items {
		rev, err := DecodeRevision(sec.Data["release"])
		if err != nil {
			s.RecordErrs = append(s.RecordErrs, fmt.Sprintf("Secret %s: %v", sec.Name, err))
			continue
		}
		s.Revisions = append(s.Revisions, rev)
	}
	sort.Slice(s.Revisions, func(i, j int) bool { return s.Revisions[i].Version < s.Revisions[j].Version })
	none := len(secrets.Items) == 0
	s.Barge = w.history(w.barge, name, none)
	s.Helm = w.history(w.helm, name, none)

	sel := metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=" + name}
	keep := func(m metav1.ObjectMeta) bool {
		_, hook := m.Annotations["helm.sh/hook"]
		return m.DeletionTimestamp == nil && !hook
	}
	cms, err := w.cs.CoreV1().ConfigMaps(w.ns).List(ctx, sel)
	if err != nil {
		return s, err
	}
	for _, o := range cms.Items {
		if keep(o.ObjectMeta) {
			s.Live = append(s.Live, Object{Kind: "ConfigMap", Name: o.Name, Token: o.Data["token"]})
		}
	}
	deps, err := w.cs.AppsV1().Deployments(w.ns).List(ctx, sel)
	if err != nil {
		return s, err
	}
	for _, o := range deps.Items {
		if keep(o.ObjectMeta) {
			s.Live = append(s.Live, Object{Kind: "Deployment", Name: o.Name, Token: o.Spec.Template.Annotations["token"]})
		}
	}
	jobs, err := w.cs.BatchV1().Jobs(w.ns).List(ctx, sel)
	if err != nil {
		return s, err
	}
	for _, o := range jobs.Items {
		if keep(o.ObjectMeta) {
			s.Live = append(s.Live, Object{Kind: "Job", Name: o.Name, Token: o.Spec.Template.Annotations["token"]})
		}
	}
	_, err = w.cs.CoordinationV1().Leases(w.ns).Get(ctx, leasePrefix+name, metav1.GetOptions{})
	switch {
	case err == nil:
		s.Lease = true
	case !apierrors.IsNotFound(err):
		return s, err
	}
	return s, nil
}

// history runs bin's `history -o json` on a release. With no records, a
// "not found" failure is the right answer.
func (w *world) history(bin, name string, none bool) History {
	p := w.run(bin, w.kubeconfig, time.Minute, "history", name, "-o", "json")
	if p.code != 0 {
		if none && strings.Contains(strings.ToLower(p.err.String()), "not found") {
			return History{}
		}
		return History{Err: p.String()}
	}
	var rows []HistoryRow
	if err := json.Unmarshal(bytes.TrimSpace([]byte(p.out.String())), &rows); err != nil {
		return History{Err: fmt.Sprintf("%s: output is not JSON rows: %v\n%s", p.label, err, tail(p.out.String(), 5))}
	}
	return History{Rows: rows}
}

// leaseExpiry returns when the release's Lease lapses, and false if there
// is none.
func (w *world) leaseExpiry(ctx context.Context, name string) (time.Time, bool) {
	l, err := w.cs.CoordinationV1().Leases(w.ns).Get(ctx, leasePrefix+name, metav1.GetOptions{})
	if err != nil || l.Spec.RenewTime == nil || l.Spec.LeaseDurationSeconds == nil {
		return time.Time{}, false
	}
	return l.Spec.RenewTime.Add(time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second), true
}

// recorder records the changes of some releases' records, as a watch
// sees them, and closes pending when one turns pending-* or uninstalling,
// whoever wrote it.
type recorder struct {
	pending chan struct{}
	mu      sync.Mutex
	events  []RecordEvent
}

// watchRecords starts recording the records of names until ctx ends; times
// count from begin. A watch the server ends is started again from the last
// change seen; a gap it could not bridge is recorded as such.
func (w *world) watchRecords(ctx context.Context, names []string, begin time.Time) *recorder {
	r := &recorder{pending: make(chan struct{})}
	sel := fmt.Sprintf("owner=helm,name in (%s)", strings.Join(names, ","))
	note := func(e RecordEvent) {
		r.mu.Lock()
		r.events = append(r.events, e)
		r.mu.Unlock()
	}
	go func() {
		closed, rv := false, ""
		for ctx.Err() == nil {
			wi, err := w.cs.CoreV1().Secrets(w.ns).Watch(ctx, metav1.ListOptions{LabelSelector: sel, ResourceVersion: rv})
			if err != nil {
				if ctx.Err() == nil {
					note(RecordEvent{Release: strings.Join(names, ","), Status: "(watch failed: " + err.Error() + ")", At: time.Since(begin)})
					rv = "" // start over from the current state
					time.Sleep(200 * time.Millisecond)
				}
				continue
			}
			for ev := range wi.ResultChan() {
				s, ok := ev.Object.(*corev1.Secret)
				if !ok {
					if ev.Type == watch.Error {
						note(RecordEvent{Release: strings.Join(names, ","), Status: "(watch error, restarted from the current state)", At: time.Since(begin)})
						rv = ""
					}
					continue
				}
				rv = s.ResourceVersion
				e := RecordEvent{Secret: s.Name, Release: s.Labels["name"], Version: s.Labels["version"], Status: s.Labels["status"], At: time.Since(begin)}
				if ev.Type == watch.Deleted {
					e.Status = ""
				}
				note(e)
				if st := e.Status; !closed && (strings.HasPrefix(st, "pending") || st == "uninstalling") {
					close(r.pending)
					closed = true
				}
			}
			wi.Stop()
		}
	}()
	return r
}

// recorded returns the changes seen so far.
func (r *recorder) recorded() []RecordEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]RecordEvent(nil), r.events...)
}

// bystanders are releases installed once per run, by barge and by helm,
// that no trial names: they must stay exactly as they were.
var bystanders = []string{"bystander-barge", "bystander-helm"}

// installBystanders installs the bystanders and records their state.
func (w *world) installBystanders(ctx context.Context) error {
	for _, name := range bystanders {
		bin := w.barge
		if strings.HasSuffix(name, "helm") {
			bin = w.helm
		}
		p := w.run(bin, w.kubeconfig, 2*time.Minute, "install", name, w.chart, "--set", "token=bystander", "--wait", "--timeout", "2m")
		if p.code != 0 {
			return fmt.Errorf("bystander: %s", p)
		}
	}
	s, err := w.bystanderState(ctx)
	w.bystander = s
	return err
}

// bystanderState describes what the bystanders are made of: their records'
// and ConfigMaps' resource versions, their Deployments' generations.
func (w *world) bystanderState(ctx context.Context) (string, error) {
	var b strings.Builder
	for _, name := range bystanders {
		secs, err := w.cs.CoreV1().Secrets(w.ns).List(ctx, metav1.ListOptions{LabelSelector: "owner=helm,name=" + name})
		if err != nil {
			return "", err
		}
		for _, s := range secs.Items {
			fmt.Fprintf(&b, "Secret/%s rv=%s status=%s\n", s.Name, s.ResourceVersion, s.Labels["status"])
		}
		cm, err := w.cs.CoreV1().ConfigMaps(w.ns).Get(ctx, name+"-config", metav1.GetOptions{})
		if err != nil {
			fmt.Fprintf(&b, "ConfigMap/%s-config: %v\n", name, err)
		} else {
			fmt.Fprintf(&b, "ConfigMap/%s rv=%s token=%s\n", cm.Name, cm.ResourceVersion, cm.Data["token"])
		}
		d, err := w.cs.AppsV1().Deployments(w.ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			fmt.Fprintf(&b, "Deployment/%s: %v\n", name, err)
		} else {
			fmt.Fprintf(&b, "Deployment/%s generation=%d deleting=%v\n", d.Name, d.Generation, d.DeletionTimestamp != nil)
		}
	}
	return b.String(), nil
}

// checkBystanders compares the bystanders with their last known state and
// returns what changed; a change is reported once.
func (w *world) checkBystanders(ctx context.Context) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now, err := w.bystanderState(ctx)
	if err != nil {
		return "", err
	}
	if now == w.bystander {
		return "", nil
	}
	was := w.bystander
	w.bystander = now
	return fmt.Sprintf("the bystander releases changed\n--- was\n%s--- now\n%s", was, now), nil
}
