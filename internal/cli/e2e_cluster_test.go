package cli

import (
	"strings"
	"testing"
	"time"
)

// TestE2EVersion checks that `barge version` reaches the cluster.
func TestE2EVersion(t *testing.T) {
	e := newE2E(t)
	r := e.mustBarge("version")
	if !strings.Contains(r.stdout, "Server: v1.37.2") {
		t.Errorf("barge version does not show the server's version:\n%s", r.stdout)
	}
}

// TestE2EUnreachable points barge at an address where no cluster answers:
// every command fails at once with a clear error, and nothing is written.
func TestE2EUnreachable(t *testing.T) {
	e := newE2E(t)
	dead := []string{"--kube-apiserver", "https://127.0.0.1:1"}
	tests := []struct {
		name string
		args []string
	}{
		{"install", []string{"install", "ghost", fixture("web"), "--wait"}},
		{"upgrade --install", []string{"upgrade", "--install", "ghost", fixture("web")}},
		{"list", []string{"list"}},
		{"uninstall", []string{"uninstall", "ghost"}},
		{"status", []string{"status", "ghost"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			begin := time.Now()
			r := e.barge(append(dead, tc.args...)...)
			if r.code == 0 {
				t.Fatalf("succeeded without a cluster: %s", r)
			}
			if !strings.Contains(r.stderr, "kubernetes cluster unreachable at https://127.0.0.1:1") {
				t.Errorf("error does not say the cluster is unreachable:\n%s", r.stderr)
			}
			if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic") {
				t.Errorf("stack trace in the error output:\n%s", r.stderr)
			}
			if d := time.Since(begin); d > 30*time.Second {
				t.Errorf("took %s to give up", d)
			}
			if r.stdout != "" {
				t.Errorf("wrote to stdout: %q", r.stdout)
			}
		})
	}
	if s := e.releaseSecrets(); len(s) != 0 {
		t.Errorf("records written: %v", s)
	}
}
