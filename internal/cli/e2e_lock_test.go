package cli

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// revisionStatuses returns the status of each revision of a release, from
// `barge history -o json`.
func (e *e2e) revisionStatuses(name string) map[int]string {
	e.t.Helper()
	r := e.mustBarge("history", name, "-o", "json")
	var rows []struct {
		Revision    int    `json:"revision"`
		Status      string `json:"status"`
		Description string `json:"description"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		e.t.Fatalf("history -o json: %v\n%s", err, r.stdout)
	}
	out := map[int]string{}
	for _, row := range rows {
		out[row.Revision] = row.Status
	}
	return out
}

// startWaitingUpgrade starts an upgrade of name whose pods need a node
// labelled key=go, and returns once it is waiting for them.
func (e *e2e) startWaitingUpgrade(name, message, key string) *started {
	e.t.Helper()
	s := e.start("upgrade", name, fixture("web"), "--set", "message="+message, "--set", "nodeSelector."+key+"=go", "--wait", "--timeout", "2m")
	eventually(e.t, time.Minute, "the upgrade to wait for its Deployment", func() bool {
		return strings.Contains(s.stderr.String(), "waiting: Deployment/"+name)
	})
	return s
}

// labelNode sets a label on a node of the cluster until the test ends.
func (e *e2e) labelNode(key, value string) {
	e.t.Helper()
	ctx := context.Background()
	nodes, err := e.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil || len(nodes.Items) == 0 {
		e.t.Fatalf("no node to label: %v", err)
	}
	node := nodes.Items[0].Name
	patch := `{"metadata":{"labels":{"` + key + `":"` + value + `"}}}`
	if _, err := e.cs.CoreV1().Nodes().Patch(ctx, node, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		unpatch := `{"metadata":{"labels":{"` + key + `":null}}}`
		_, _ = e.cs.CoreV1().Nodes().Patch(context.Background(), node, types.MergePatchType, []byte(unpatch), metav1.PatchOptions{})
	})
}

// TestE2EConcurrentUpgrades runs two upgrades of one release at once: the
// second finds the release locked, says by whom and since when, and changes
// nothing; the first succeeds.
func TestE2EConcurrentUpgrades(t *testing.T) {
	e := newE2E(t)
	e.mustBarge("install", "race", fixture("web"), "--wait", "--timeout", "1m")
	key := "barge-e2e-" + e.ns
	first := e.startWaitingUpgrade("race", "first", key)

	second := e.barge("upgrade", "race", fixture("web"), "--set", "message=second")
	if second.code == 0 {
		t.Fatalf("second upgrade succeeded while the first held the release: %s", second)
	}
	for _, want := range []string{"locked by", "since", "another operation is in progress"} {
		if !strings.Contains(second.stderr, want) {
			t.Errorf("second upgrade's error lacks %q:\n%s", want, second.stderr)
		}
	}
	if strings.Contains(second.stderr, "UPGRADE FAILED") {
		t.Errorf("a locked release is not a failed upgrade:\n%s", second.stderr)
	}

	e.labelNode(key, "go")
	r := first.wait(t, 2*time.Minute)
	if r.code != 0 {
		t.Fatalf("first upgrade: %s", r)
	}
	got := e.revisionStatuses("race")
	want := map[int]string{1: "superseded", 2: "deployed"}
	if len(got) != len(want) || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("revisions = %v, want %v (the second upgrade must write nothing)", got, want)
	}
	if m := e.configMapData("race-config")["message"]; m != "first" {
		t.Errorf("ConfigMap message = %q, want first", m)
	}
}

// TestE2EKilledOperation kills an upgrade with SIGKILL while it waits: the
// release stays locked until the lease lapses, then the next operation marks
// the interrupted revision failed and proceeds.
func TestE2EKilledOperation(t *testing.T) {
	e := newE2E(t)
	e.mustBarge("install", "killed", fixture("web"), "--wait", "--timeout", "1m")
	s := e.startWaitingUpgrade("killed", "doomed", "barge-e2e-never")
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	s.wait(t, 30*time.Second)
	if st := e.revisionStatuses("killed"); st[2] != "pending-upgrade" {
		t.Fatalf("after SIGKILL, revision 2 is %q, want pending-upgrade", st[2])
	}

	r := e.barge("upgrade", "killed", fixture("web"), "--set", "message=next")
	if r.code == 0 || !strings.Contains(r.stderr, "locked by") {
		t.Fatalf("upgrade right after the kill: want the lock refused, got %s", r)
	}

	var last result
	eventually(t, 90*time.Second, "the dead holder's lease to lapse", func() bool {
		last = e.barge("upgrade", "killed", fixture("web"), "--set", "message=next")
		if last.code != 0 && !strings.Contains(last.stderr, "locked by") {
			t.Fatalf("upgrade after the kill failed for another reason: %s", last)
		}
		return last.code == 0
	})
	st := e.revisionStatuses("killed")
	if st[2] != "failed" || st[3] != "deployed" {
		t.Errorf("revisions = %v, want 2 failed (interrupted) and 3 deployed", st)
	}
	hist := e.mustBarge("history", "killed").stdout
	if !strings.Contains(hist, "interrupted") {
		t.Errorf("history does not say revision 2 was interrupted:\n%s", hist)
	}
	if m := e.configMapData("killed-config")["message"]; m != "next" {
		t.Errorf("ConfigMap message = %q, want next", m)
	}
}

// TestE2EInterrupted sends SIGINT to an upgrade while it waits: it stops,
// records the revision failed, and releases the lock at once.
func TestE2EInterrupted(t *testing.T) {
	e := newE2E(t)
	e.mustBarge("install", "sig", fixture("web"), "--wait", "--timeout", "1m")
	s := e.startWaitingUpgrade("sig", "interrupted", "barge-e2e-never")
	if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	r := s.wait(t, 30*time.Second)
	if r.code == 0 {
		t.Fatalf("interrupted upgrade exited 0: %s", r)
	}
	if !strings.Contains(r.stderr, "interrupted") {
		t.Errorf("error does not say the upgrade was interrupted:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, "goroutine ") {
		t.Errorf("stack trace in the error output:\n%s", r.stderr)
	}
	st := e.mustBarge("status", "sig").stdout
	if !strings.Contains(st, "STATUS: failed\nREVISION: 2\n") {
		t.Errorf("status after SIGINT:\n%s", st)
	}
	if l := e.leases(); len(l) != 0 {
		t.Errorf("lock not released after SIGINT: Leases %v", l)
	}
	e.mustBarge("rollback", "sig", "1", "--wait", "--timeout", "1m")
	if st := e.revisionStatuses("sig"); st[3] != "deployed" {
		t.Errorf("rollback after SIGINT: revisions %v", st)
	}
}
