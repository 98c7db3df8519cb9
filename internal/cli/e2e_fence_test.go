package cli

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/bargehq/barge/internal/faultproxy"
)

// startHelm starts a reference Helm binary in the background against the
// test's cluster and namespace.
func (e *e2e) startHelm(version string, args ...string) *started {
	e.t.Helper()
	return e.startCmd(e.helmCmd(context.Background(), version, args...))
}

// countDeployed returns how many revisions of statuses are deployed.
func countDeployed(statuses map[int]string) int {
	n := 0
	for _, s := range statuses {
		if s == "deployed" {
			n++
		}
	}
	return n
}

// TestE2ELostLockStops freezes the connection of an upgrade (A) that has
// recorded its pending revision and waits for its pods, long enough for
// its lock to lapse; another upgrade (B) takes the lock over, marks A's
// revision failed and deploys its own. When the connection comes back and
// A's pods become ready, A must not finish: it stops, exits non-zero
// saying it lost its lock, and writes nothing, so that B's revision stays
// the one deployed.
func TestE2ELostLockStops(t *testing.T) {
	e := newE2E(t)
	e.mustBarge("install", "fence", fixture("web"), "--wait", "--timeout", "1m")
	p, err := faultproxy.Start(strings.TrimPrefix(e.cluster.Server, "https://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })

	key := "barge-e2e-fence-" + e.ns
	a := e.start("--kube-apiserver", "https://"+p.Addr(), "upgrade", "fence", fixture("web"),
		"--set", "message=from-a", "--set", "nodeSelector."+key+"=go", "--wait", "--timeout", "3m")
	eventually(t, time.Minute, "A to wait for its Deployment", func() bool {
		return strings.Contains(a.stderr.String(), "waiting: Deployment/fence")
	})
	p.Freeze()
	frozen := time.Now()

	// B gets the lock once A's lease (30 s) has lapsed.
	var b result
	eventually(t, 90*time.Second, "A's lease to lapse", func() bool {
		b = e.barge("upgrade", "fence", fixture("web"), "--set", "message=from-b")
		if b.code != 0 && !strings.Contains(b.stderr, "locked by") {
			t.Fatalf("B failed for another reason: %s", b)
		}
		return b.code == 0
	})
	t.Logf("B deployed %s after the freeze", time.Since(frozen).Round(time.Second))
	if !strings.Contains(b.stderr, "revision 2 was left pending-upgrade") {
		t.Errorf("B does not say it recovered A's revision:\n%s", b.stderr)
	}

	// A's connection comes back, and its pods can be scheduled.
	p.Thaw()
	e.labelNode(key, "go")
	ra := a.wait(t, 2*time.Minute)
	if ra.code == 0 {
		t.Errorf("A finished with exit 0 after losing its lock: %s", ra)
	}
	for _, want := range []string{"lock", "stopped"} {
		if !strings.Contains(ra.stderr, want) {
			t.Errorf("A's error lacks %q:\n%s", want, ra.stderr)
		}
	}
	if strings.Contains(ra.stderr, "goroutine ") {
		t.Errorf("stack trace in A's output:\n%s", ra.stderr)
	}

	got := e.revisionStatuses("fence")
	want := map[int]string{1: "superseded", 2: "failed", 3: "deployed"}
	for rev, st := range want {
		if got[rev] != st {
			t.Errorf("revision %d is %q, want %q (all: %v)", rev, got[rev], st, got)
		}
	}
	if n := countDeployed(got); n != 1 {
		t.Errorf("%d deployed revisions, want 1: %v", n, got)
	}
	// Give a late write of A's the time to land, then look again.
	time.Sleep(3 * time.Second)
	if m := e.configMapData("fence-config")["message"]; m != "from-b" {
		t.Errorf("ConfigMap message = %q, want from-b (B's deployed revision)", m)
	}
	if got2 := e.revisionStatuses("fence"); got2[3] != "deployed" || countDeployed(got2) != 1 {
		t.Errorf("revisions changed after A ended: %v", got2)
	}
}

// TestE2EHelmAlongside starts `barge upgrade` while `helm upgrade` works
// on the same release: barge must refuse, naming Helm's pending revision
// and its age, and write nothing, as Helm itself refuses; Helm then
// finishes alone. When Helm is killed instead, leaving its revision
// pending, --take-over recovers it at once.
func TestE2EHelmAlongside(t *testing.T) {
	e := newE2E(t)
	e.mustHelm("v3.22.0", "install", "side", fixture("web"), "--wait", "--timeout", "1m")
	key := "barge-e2e-side-" + e.ns

	h := e.startHelm("v3.22.0", "upgrade", "side", fixture("web"), "--set", "message=from-helm",
		"--set", "nodeSelector."+key+"=go", "--wait", "--timeout", "2m")
	eventually(t, time.Minute, "helm's revision 2 to be pending", func() bool {
		return e.revisionStatuses("side")[2] == "pending-upgrade"
	})
	r := e.barge("upgrade", "side", fixture("web"), "--set", "message=from-barge")
	if r.code == 0 {
		t.Fatalf("barge upgraded while helm's upgrade was in progress: %s", r)
	}
	for _, want := range []string{"another operation", "revision 2 is pending-upgrade", "ago", "--take-over"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("barge's refusal lacks %q:\n%s", want, r.stderr)
		}
	}
	if got := e.revisionStatuses("side"); got[2] != "pending-upgrade" || len(got) != 2 {
		t.Errorf("barge wrote while refusing: revisions %v", got)
	}

	e.labelNode(key, "go")
	if hr := h.wait(t, 2*time.Minute); hr.code != 0 {
		t.Fatalf("helm upgrade: %s", hr)
	}
	got := e.revisionStatuses("side")
	if got[1] != "superseded" || got[2] != "deployed" || countDeployed(got) != 1 {
		t.Errorf("revisions after helm finished: %v, want 1 superseded and 2 deployed, alone", got)
	}
	if m := e.configMapData("side-config")["message"]; m != "from-helm" {
		t.Errorf("ConfigMap message = %q, want from-helm", m)
	}

	// Helm killed mid-upgrade leaves revision 3 pending for good.
	h = e.startHelm("v3.22.0", "upgrade", "side", fixture("web"), "--set", "message=killed",
		"--set", "nodeSelector.barge-e2e-never=go", "--wait", "--timeout", "2m")
	eventually(t, time.Minute, "helm's revision 3 to be pending", func() bool {
		return e.revisionStatuses("side")[3] == "pending-upgrade"
	})
	if err := h.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	h.wait(t, 30*time.Second)
	if r := e.barge("upgrade", "side", fixture("web"), "--set", "message=from-barge"); r.code == 0 || !strings.Contains(r.stderr, "--take-over") {
		t.Fatalf("barge upgrade right after helm was killed: want a refusal naming --take-over, got %s", r)
	}
	r = e.mustBarge("upgrade", "side", fixture("web"), "--set", "message=from-barge", "--take-over")
	if !strings.Contains(r.stderr, "revision 3 was left pending-upgrade") {
		t.Errorf("--take-over does not say what it found and did:\n%s", r.stderr)
	}
	got = e.revisionStatuses("side")
	if got[3] != "failed" || got[4] != "deployed" || countDeployed(got) != 1 {
		t.Errorf("revisions after --take-over: %v, want 3 failed and 4 deployed, alone", got)
	}
	if hist := e.mustHelm("v3.22.0", "history", "side"); !strings.Contains(hist.stdout, "deployed") {
		t.Errorf("helm history after --take-over:\n%s", hist.stdout)
	}
}

// TestE2EInterruptedUninstall kills an uninstall (SIGKILL) while it waits
// for an object to go: the release is left uninstalling with some objects
// deleted. Once the dead holder's lock lapses, `upgrade --install` must
// say what it found, recover the release and restore its objects; a
// SIGTERM'd uninstall must leave the release recorded failed, not
// uninstalling.
func TestE2EInterruptedUninstall(t *testing.T) {
	e := newE2E(t)
	e.mustBarge("install", "gone", fixture("web"), "--wait", "--timeout", "1m")
	e.holdConfigMap("gone-config")

	u := e.start("uninstall", "gone", "--wait", "--timeout", "2m")
	eventually(t, time.Minute, "the ConfigMap to be terminating", func() bool {
		cm, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(context.Background(), "gone-config", metav1.GetOptions{})
		return err == nil && cm.DeletionTimestamp != nil
	})
	if err := u.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	u.wait(t, 30*time.Second)
	if got := e.revisionStatuses("gone"); got[1] != "uninstalling" {
		t.Fatalf("after SIGKILL, revision 1 is %q, want uninstalling", got[1])
	}
	e.releaseConfigMap("gone-config")

	var r result
	eventually(t, 90*time.Second, "the dead holder's lease to lapse", func() bool {
		r = e.barge("upgrade", "--install", "gone", fixture("web"), "--set", "message=back")
		if r.code != 0 && !strings.Contains(r.stderr, "locked by") {
			t.Fatalf("upgrade --install after the killed uninstall failed for another reason: %s", r)
		}
		return r.code == 0
	})
	if !strings.Contains(r.stderr, "revision 1 was left uninstalling") {
		t.Errorf("upgrade --install does not say what it found:\n%s", r.stderr)
	}
	got := e.revisionStatuses("gone")
	if got[1] != "failed" || got[2] != "deployed" || countDeployed(got) != 1 {
		t.Errorf("revisions = %v, want 1 failed (interrupted uninstall) and 2 deployed", got)
	}
	if m := e.configMapData("gone-config")["message"]; m != "back" {
		t.Errorf("ConfigMap message = %q, want back (restored by the upgrade)", m)
	}

	// SIGTERM: barge stops and records what it left.
	e.holdConfigMap("gone-config")
	u = e.start("uninstall", "gone", "--wait", "--timeout", "2m")
	eventually(t, time.Minute, "the ConfigMap to be terminating", func() bool {
		cm, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(context.Background(), "gone-config", metav1.GetOptions{})
		return err == nil && cm.DeletionTimestamp != nil
	})
	if err := u.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	ru := u.wait(t, 45*time.Second)
	e.releaseConfigMap("gone-config")
	if ru.code == 0 {
		t.Errorf("SIGTERM'd uninstall exited 0: %s", ru)
	}
	// The objects were deleted before the signal came: the records are
	// purged, or, had it come during the deletions, the last is failed.
	if h := e.barge("history", "gone", "-o", "json"); h.code == 0 {
		got = e.revisionStatuses("gone")
		for rev, st := range got {
			if st == "uninstalling" || strings.HasPrefix(st, "pending") {
				t.Errorf("after SIGTERM, revision %d is %s: %v", rev, st, got)
			}
		}
	}
	if l := e.leases(); len(l) != 0 {
		t.Errorf("lock not released after SIGTERM: Leases %v", l)
	}
	e.mustBarge("uninstall", "gone", "--ignore-not-found")
	if s := e.releaseSecrets(); len(s) != 0 {
		t.Errorf("records left after the second uninstall: %v", s)
	}
}

// holdConfigMap adds a finalizer to a ConfigMap, so that its deletion
// waits until releaseConfigMap.
func (e *e2e) holdConfigMap(name string) {
	e.t.Helper()
	patch := `{"metadata":{"finalizers":["barge.test/hold"]}}`
	if _, err := e.cs.CoreV1().ConfigMaps(e.ns).Patch(context.Background(), name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { e.releaseConfigMap(name) })
}

// releaseConfigMap removes the finalizer holdConfigMap added.
func (e *e2e) releaseConfigMap(name string) {
	patch := `{"metadata":{"finalizers":null}}`
	_, _ = e.cs.CoreV1().ConfigMaps(e.ns).Patch(context.Background(), name, types.MergePatchType, []byte(patch), metav1.PatchOptions{})
}
