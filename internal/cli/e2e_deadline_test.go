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
// to the API server once the first ConfigMaps are applied. The upgrade must
// stop at its deadline rather than finish late or hang, exit non-zero and
// say what it was doing and what it had done.
//
// When the connection comes back within the final writes' budget (thawed
// 23 s after the start), the upgrade ends within the deadline and that
// budget, with its revision recorded failed, not pending. When it stays
// frozen, the upgrade ends all the same, saying that the revision could
// not be recorded; the lock's release (lock.go) may take 10 s more.
func TestE2EUpgradeTimeoutBoundsStalledAPIServer(t *testing.T) {
	const timeout = 20 * time.Second
	for _, tc := range []struct {
		name   string
		thawAt time.Duration // after the start; zero: once the upgrade ends
		bound  time.Duration
		want   []string
	}{
		{
			name:   "connection back within the final writes' budget",
			thawAt: 23 * time.Second,
			bound:  timeout + 10*time.Second + 3*time.Second, // the final writes' budget, and slack
			want:   []string{"UPGRADE FAILED", "timed out after 20s while", "objects applied", "revision 2 recorded failed"},
		},
		{
			name:  "connection frozen to the end",
			bound: timeout + 10*time.Second + 10*time.Second + 3*time.Second, // the final writes', the unlock's, slack
			want:  []string{"UPGRADE FAILED", "timed out after 20s while", "objects applied", "revision 2 could not be recorded failed"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newE2E(t)
			e.mustBarge("install", "stall", fixture("many"))

			p, err := faultproxy.Start(strings.TrimPrefix(e.cluster.Server, "https://"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = p.Close() })

			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
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
			if tc.thawAt > 0 {
				thaw := time.AfterFunc(tc.thawAt, p.Thaw)
				defer thaw.Stop()
			}
			err = cmd.Wait()
			took := time.Since(start)
			p.Thaw()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			errLines := errorLines(stderr.String())
			t.Logf("upgrade took %s (frozen %s after the start), exit %d\n%s", took.Round(100*time.Millisecond), frozenAt.Sub(start).Round(time.Millisecond), code, errLines)
			if frozenAt.IsZero() {
				t.Fatalf("the upgrade applied no ConfigMap through the proxy; exit %d", code)
			}
			if code == 0 {
				t.Errorf("the upgrade succeeded %s after a --timeout of %s, through a connection frozen %s after the start",
					took.Round(time.Second), timeout, frozenAt.Sub(start).Round(time.Millisecond))
			}
			if took > tc.bound {
				t.Errorf("the upgrade took %s: want at most %s", took.Round(time.Second), tc.bound)
			}
			for _, want := range tc.want {
				if !strings.Contains(errLines, want) {
					t.Errorf("the upgrade's error lacks %q", want)
				}
			}
			got := e.revisionStatuses("stall")
			if tc.thawAt > 0 && got[2] != "failed" {
				t.Errorf("revisions after the timed-out upgrade: %v, want revision 2 failed", got)
			}
			if tc.thawAt == 0 && got[2] != "failed" && got[2] != "pending-upgrade" {
				t.Errorf("revisions after the timed-out upgrade: %v, want revision 2 failed or pending-upgrade", got)
			}
		})
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
