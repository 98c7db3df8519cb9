package cli

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bargehq/barge/internal/faultproxy"
)

// triggerWriter collects what a command writes and calls fire once, as
// soon as a line containing every one of match is written.
type triggerWriter struct {
	match []string
	fire  func()

	mu   sync.Mutex
	b    bytes.Buffer
	done bool
}

func (w *triggerWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, _ := w.b.Write(p)
	if !w.done {
		for _, line := range strings.Split(w.b.String(), "\n") {
			if containsAll(line, w.match) {
				w.done = true
				w.fire()
				break
			}
		}
	}
	return n, nil
}

func (w *triggerWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// TestE2EUpgradeTimeoutBoundsStalledAPIServer upgrades a release of 200
// ConfigMaps with --timeout 20s through a proxy that freezes the connection
// to the API server once the first ConfigMap is applied, and thaws it 23 s
// after the start, past the deadline: the upgrade must stop at its deadline
// rather than finish late, end within the deadline and the final writes'
// budget, exit non-zero saying what it was doing and what it had done, and
// leave the revision recorded failed, not pending.
func TestE2EUpgradeTimeoutBoundsStalledAPIServer(t *testing.T) {
	e := newE2E(t)
	e.mustBarge("install", "stall", fixture("many"))

	p, err := faultproxy.Start(strings.TrimPrefix(e.cluster.Server, "https://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })

	const (
		timeout    = 20 * time.Second
		thawAt     = 23 * time.Second
		bound      = timeout + 10*time.Second + 3*time.Second // the final writes' budget, and slack
		giveUpTime = 3 * time.Minute
	)
	ctx, cancel := context.WithTimeout(context.Background(), giveUpTime)
	defer cancel()
	cmd := e.bargeCmd(ctx, "--kube-apiserver", "https://"+p.Addr(), "--debug",
		"upgrade", "stall", fixture("many"), "--set", "message=changed", "--timeout", timeout.String())
	var frozenAt time.Time
	stderr := &triggerWriter{match: []string{"method=PATCH", "/configmaps/stall-", "status=200"}, fire: func() {
		p.Freeze()
		frozenAt = time.Now()
	}}
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	thaw := time.AfterFunc(thawAt, p.Thaw)
	defer thaw.Stop()
	err = cmd.Wait()
	took := time.Since(start)
	p.Thaw()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	t.Logf("upgrade took %s (frozen %s after the start), exit %d", took.Round(100*time.Millisecond), frozenAt.Sub(start).Round(time.Millisecond), code)
	errLines := errorLines(stderr.String())
	if frozenAt.IsZero() {
		t.Fatalf("the upgrade applied no ConfigMap through the proxy; exit %d\n%s", code, errLines)
	}
	if code == 0 {
		t.Errorf("the upgrade succeeded %s after a --timeout of %s, through a connection frozen from %s to %s",
			took.Round(time.Second), timeout, frozenAt.Sub(start).Round(time.Second), thawAt)
	}
	if took > bound {
		t.Errorf("the upgrade took %s: want at most %s (--timeout %s and the final writes' budget)", took.Round(time.Second), bound, timeout)
	}
	for _, want := range []string{"UPGRADE FAILED", "timed out after 20s while", "objects applied", "revision 2 recorded failed"} {
		if !strings.Contains(errLines, want) {
			t.Errorf("the upgrade's error lacks %q:\n%s", want, errLines)
		}
	}
	if got := e.revisionStatuses("stall"); got[2] != "failed" {
		t.Errorf("revisions after the timed-out upgrade: %v, want revision 2 failed", got)
	}
}

// errorLines returns the lines of a --debug stderr that are not debug log
// lines: what the user would see without --debug.
func errorLines(stderr string) string {
	var b strings.Builder
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "time=") {
			continue
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}
