package release_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	coordv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/bargehq/barge/pkg/release"
)

func mustObj(t *testing.T, apiVersion, kind, ns, name string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}

func TestInstallUpgradeRollbackUninstall(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ch := loadChart(t, "app")

	rls, err := e.engine.Install(ctx, "web", ch, map[string]any{"extra": true, "keep": true}, release.InstallOptions{WaitOptions: release.WaitOptions{Wait: true}})
	if err != nil {
		t.Fatal(err)
	}
	if rls.Info.Status != release.StatusDeployed || rls.Info.Description != "Install complete" {
		t.Errorf("install: %s %q, want deployed \"Install complete\"", rls.Info.Status, rls.Info.Description)
	}
	cm := e.configMap("web-main")
	if cm == nil {
		t.Fatal("web-main not created")
	}
	owner := []string{cm.Labels["app.kubernetes.io/managed-by"], cm.Annotations["meta.helm.sh/release-name"], cm.Annotations["meta.helm.sh/release-namespace"]}
	if diff := cmp.Diff([]string{"Helm", "web", e.ns}, owner); diff != "" {
		t.Errorf("ownership metadata (-want +got):\n%s", diff)
	}

	// Revision 2 drops web-extra and web-kept; web-kept stays by policy.
	if _, err := e.engine.Upgrade(ctx, "web", ch, map[string]any{"version": "2"}, release.UpgradeOptions{}); err != nil {
		t.Fatal(err)
	}
	if e.configMap("web-extra") != nil {
		t.Error("web-extra, dropped by revision 2, still exists")
	}
	if e.configMap("web-kept") == nil {
		t.Error("web-kept (resource-policy keep) was deleted")
	}
	if got := e.configMap("web-main").Data["version"]; got != "2" {
		t.Errorf("web-main version = %q, want 2", got)
	}
	want := map[int]release.Status{1: release.StatusSuperseded, 2: release.StatusDeployed}
	if diff := cmp.Diff(want, e.statuses("web")); diff != "" {
		t.Errorf("history after upgrade (-want +got):\n%s", diff)
	}

	// Rolling back to 1 brings web-extra back.
	rb, err := e.engine.Rollback(ctx, "web", release.RollbackOptions{Revision: 1})
	if err != nil {
		t.Fatal(err)
	}
	if rb.Version != 3 || rb.Info.Description != "Rollback to 1" || rb.Info.Status != release.StatusDeployed {
		t.Errorf("rollback: revision %d %s %q, want 3 deployed \"Rollback to 1\"", rb.Version, rb.Info.Status, rb.Info.Description)
	}
	if e.configMap("web-extra") == nil || e.configMap("web-main").Data["version"] != "1" {
		t.Error("rollback to 1 did not restore web-extra and web-main's version 1")
	}
	want = map[int]release.Status{1: release.StatusSuperseded, 2: release.StatusSuperseded, 3: release.StatusDeployed}
	if diff := cmp.Diff(want, e.statuses("web")); diff != "" {
		t.Errorf("history after rollback (-want +got):\n%s", diff)
	}

	res, err := e.engine.Uninstall(ctx, "web", release.UninstallOptions{WaitOptions: release.WaitOptions{Wait: true}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Kept) != 1 || res.Kept[0].Name != "web-kept" {
		t.Errorf("uninstall kept %v, want web-kept", res.Kept)
	}
	if e.configMap("web-main") != nil || e.configMap("web-extra") != nil {
		t.Error("uninstall left web-main or web-extra")
	}
	if e.configMap("web-kept") == nil {
		t.Error("uninstall deleted web-kept (resource-policy keep)")
	}
	if got := e.statuses("web"); got != nil {
		t.Errorf("records after uninstall: %v, want none", got)
	}
}

func TestUninstallKeepHistoryThenReinstall(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ch := loadChart(t, "app")
	if _, err := e.engine.Install(ctx, "web", ch, nil, release.InstallOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.engine.Uninstall(ctx, "web", release.UninstallOptions{KeepHistory: true}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[int]release.Status{1: release.StatusUninstalled}, e.statuses("web")); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	if _, err := e.engine.Install(ctx, "web", ch, nil, release.InstallOptions{}); err == nil {
		t.Error("install over an uninstalled release without Replace: no error")
	}
	// upgrade --install reinstalls it as revision 2.
	rls, err := e.engine.Upgrade(ctx, "web", ch, nil, release.UpgradeOptions{Install: true})
	if err != nil {
		t.Fatal(err)
	}
	if rls.Version != 2 || rls.Info.Status != release.StatusDeployed || e.configMap("web-main") == nil {
		t.Errorf("upgrade --install over an uninstalled release: revision %d %s", rls.Version, rls.Info.Status)
	}
}

func TestHooks(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ch := loadChart(t, "hooks")

	rls, err := e.engine.Install(ctx, "h", ch, nil, release.InstallOptions{WaitOptions: release.WaitOptions{Timeout: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	hooks := map[string]*release.Hook{}
	for _, h := range rls.Hooks {
		hooks[h.Name] = h
	}
	early, late := hooks["h-pre-install-early"].LastRun, hooks["h-pre-install-late"].LastRun
	if early.Phase != release.HookPhaseSucceeded || late.Phase != release.HookPhaseSucceeded || hooks["h-post-install"].LastRun.Phase != release.HookPhaseSucceeded {
		t.Errorf("install hook phases: early %s, late %s, post %s; want Succeeded", early.Phase, late.Phase, hooks["h-post-install"].LastRun.Phase)
	}
	if !early.CompletedAt.After(early.StartedAt) && !early.CompletedAt.Equal(early.StartedAt) || late.StartedAt.Before(early.CompletedAt) {
		t.Errorf("weight -5 ran %v..%v, weight 5 started %v: want weight order", early.StartedAt, early.CompletedAt, late.StartedAt)
	}
	if hooks["h-pre-upgrade"].LastRun.Phase != "" {
		t.Errorf("pre-upgrade hook ran on install: %+v", hooks["h-pre-upgrade"].LastRun)
	}
	// hook-succeeded deletes; the default (before-hook-creation) keeps.
	if _, ok := e.job("h-pre-install-early"); ok {
		t.Error("h-pre-install-early (hook-succeeded) still exists")
	}
	if _, ok := e.job("h-pre-install-late"); !ok {
		t.Error("h-pre-install-late (default policy) was deleted")
	}
	stored, err := e.store.Get(ctx, "h", 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range stored.Hooks {
		if h.Name == "h-post-install" && h.LastRun.Phase != release.HookPhaseSucceeded {
			t.Errorf("stored post-install last run = %+v, want Succeeded", h.LastRun)
		}
	}

	if _, err := e.engine.Upgrade(ctx, "h", ch, nil, release.UpgradeOptions{WaitOptions: release.WaitOptions{Timeout: time.Minute}}); err != nil {
		t.Fatal(err)
	}
	uid1, ok := e.job("h-pre-upgrade")
	if !ok {
		t.Fatal("h-pre-upgrade (before-hook-creation) does not exist after the upgrade")
	}
	if _, ok := e.job("h-post-upgrade"); ok {
		t.Error("h-post-upgrade (hook-succeeded) still exists")
	}
	if _, err := e.engine.Upgrade(ctx, "h", ch, nil, release.UpgradeOptions{WaitOptions: release.WaitOptions{Timeout: time.Minute}}); err != nil {
		t.Fatal(err)
	}
	if uid2, _ := e.job("h-pre-upgrade"); uid2 == uid1 {
		t.Error("h-pre-upgrade was not recreated (before-hook-creation)")
	}

	rb, err := e.engine.Rollback(ctx, "h", release.RollbackOptions{WaitOptions: release.WaitOptions{Timeout: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range rb.Hooks {
		if (h.Name == "h-pre-rollback" || h.Name == "h-post-rollback") && h.LastRun.Phase != release.HookPhaseSucceeded {
			t.Errorf("%s last run = %+v, want Succeeded", h.Name, h.LastRun)
		}
	}

	var logs strings.Builder
	tested, err := e.engine.Test(ctx, "h", release.TestOptions{Timeout: time.Minute, Logs: &logs})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range tested.Hooks {
		if h.Name == "h-test" && h.LastRun.Phase != release.HookPhaseSucceeded {
			t.Errorf("test hook last run = %+v, want Succeeded", h.LastRun)
		}
	}
	if !strings.Contains(logs.String(), "POD LOGS: h-test") {
		t.Errorf("test logs = %q, want the test pod's header", logs.String())
	}

	if _, err := e.engine.Uninstall(ctx, "h", release.UninstallOptions{WaitOptions: release.WaitOptions{Timeout: time.Minute}}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"h-pre-delete", "h-post-delete"} {
		if _, ok := e.job(name); !ok {
			t.Errorf("%s did not run on uninstall", name)
		}
	}
}

func TestFailingHook(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ch := loadChart(t, "app")
	vals := map[string]any{"failHook": "post-install", "failHookDeletePolicy": "hook-failed"}
	rls, err := e.engine.Install(ctx, "web", ch, vals, release.InstallOptions{WaitOptions: release.WaitOptions{Timeout: time.Minute}})
	var he *release.HookError
	if !errors.As(err, &he) || he.Name != "web-failing-hook" || he.Event != release.HookPostInstall {
		t.Fatalf("install with a failing post-install hook: %v; want a HookError naming web-failing-hook", err)
	}
	if !strings.Contains(err.Error(), "web-failing-hook") {
		t.Errorf("error %q does not name the hook", err)
	}
	if rls == nil || rls.Info.Status != release.StatusFailed || !strings.HasPrefix(rls.Info.Description, `Release "web" failed: `) {
		t.Errorf("release = %+v, want failed", rls)
	}
	if diff := cmp.Diff(map[int]release.Status{1: release.StatusFailed}, e.statuses("web")); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	stored, err := e.store.Get(ctx, "web", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.Hooks) != 1 || stored.Hooks[0].LastRun.Phase != release.HookPhaseFailed {
		t.Errorf("stored hooks = %+v, want one Failed", stored.Hooks)
	}
	waitFor(t, "the failed hook Pod to be deleted (hook-failed policy)", func() bool {
		_, err := e.cs.CoreV1().Pods(e.ns).Get(ctx, "web-failing-hook", metav1.GetOptions{})
		return err != nil
	})
}

func TestAtomicUpgradeRollsBack(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ch := loadChart(t, "app")
	if _, err := e.engine.Install(ctx, "web", ch, nil, release.InstallOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := e.engine.Upgrade(ctx, "web", ch, map[string]any{"version": "2", "extra": true, "failHook": "post-upgrade"},
		release.UpgradeOptions{Atomic: true, WaitOptions: release.WaitOptions{Timeout: time.Minute}})
	if err == nil || !strings.Contains(err.Error(), "rolled back") {
		t.Fatalf("atomic upgrade with a failing hook: %v; want an error saying it was rolled back", err)
	}
	want := map[int]release.Status{1: release.StatusSuperseded, 2: release.StatusFailed, 3: release.StatusDeployed}
	if diff := cmp.Diff(want, e.statuses("web")); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	if got := e.configMap("web-main").Data["version"]; got != "1" {
		t.Errorf("web-main version after rollback = %q, want 1", got)
	}
	if e.configMap("web-extra") != nil {
		t.Error("web-extra, created by the failed upgrade, survived the rollback")
	}
}

func TestAtomicInstallUninstalls(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, err := e.engine.Install(ctx, "web", loadChart(t, "app"), map[string]any{"failHook": "post-install"},
		release.InstallOptions{Atomic: true, WaitOptions: release.WaitOptions{Timeout: time.Minute}})
	if err == nil || !strings.Contains(err.Error(), "uninstalled due to atomic") {
		t.Fatalf("atomic install with a failing hook: %v; want an error saying it was uninstalled", err)
	}
	if got := e.statuses("web"); got != nil {
		t.Errorf("records after atomic install failure: %v, want none", got)
	}
	if e.configMap("web-main") != nil {
		t.Error("web-main survived the atomic uninstall")
	}
}

func TestCleanupOnFail(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ch := loadChart(t, "app")
	if _, err := e.engine.Install(ctx, "web", ch, nil, release.InstallOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := e.engine.Upgrade(ctx, "web", ch, map[string]any{"extra": true, "failHook": "post-upgrade"},
		release.UpgradeOptions{CleanupOnFail: true, WaitOptions: release.WaitOptions{Timeout: time.Minute}})
	if err == nil {
		t.Fatal("upgrade with a failing hook: no error")
	}
	if e.configMap("web-extra") != nil {
		t.Error("web-extra, created by the failed upgrade, was not cleaned up")
	}
	if e.configMap("web-main") == nil {
		t.Error("web-main, which existed before, was deleted by the cleanup")
	}
}

func TestConcurrentUpgrades(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ch := loadChart(t, "app")
	if _, err := e.engine.Install(ctx, "web", ch, nil, release.InstallOptions{}); err != nil {
		t.Fatal(err)
	}
	// Alice's upgrade runs a pre-upgrade hook that is held until the gate opens.
	_, alice := e.engineAs("alice")
	_, bob := e.engineAs("bob")
	aliceDone := make(chan error, 1)
	go func() {
		_, err := alice.Upgrade(ctx, "web", ch, map[string]any{"version": "2", "gateHook": "pre-upgrade"},
			release.UpgradeOptions{WaitOptions: release.WaitOptions{Timeout: time.Minute}})
		aliceDone <- err
	}()
	waitFor(t, "alice's upgrade to be pending", func() bool { return e.statuses("web")[2] == release.StatusPendingUpgrade })

	start := time.Now()
	_, err := bob.Upgrade(ctx, "web", ch, map[string]any{"version": "3"}, release.UpgradeOptions{})
	if !errors.Is(err, release.ErrLocked) || !strings.Contains(err.Error(), "alice") {
		t.Errorf("bob's concurrent upgrade: %v; want ErrLocked naming alice", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("bob's upgrade took %v to fail; want at once", d)
	}
	e.pods.openGate("gate")
	if err := <-aliceDone; err != nil {
		t.Fatalf("alice's upgrade: %v", err)
	}
	want := map[int]release.Status{1: release.StatusSuperseded, 2: release.StatusDeployed}
	if diff := cmp.Diff(want, e.statuses("web")); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	if got := e.configMap("web-main").Data["version"]; got != "2" {
		t.Errorf("web-main version = %q, want alice's 2", got)
	}
}

// Installs read the release's last revision while taking its lock: two
// installs of one name racing must still leave one release, installed once,
// and the other install refused.
func TestConcurrentInstalls(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ch := loadChart(t, "app")
	for round := range 5 {
		name := fmt.Sprintf("web%d", round)
		_, alice := e.engineAs("alice")
		_, bob := e.engineAs("bob")
		errs := make(chan error, 2)
		for _, eng := range []*release.Engine{alice, bob} {
			go func() {
				_, err := eng.Install(ctx, name, ch, nil, release.InstallOptions{})
				errs <- err
			}()
		}
		var failed []error
		for range 2 {
			if err := <-errs; err != nil {
				failed = append(failed, err)
			}
		}
		if len(failed) != 1 {
			t.Fatalf("round %d: %d of 2 concurrent installs failed (%v); want exactly one", round, len(failed), failed)
		}
		if err := failed[0]; !errors.Is(err, release.ErrLocked) && !strings.Contains(err.Error(), "cannot re-use a name") && !errors.Is(err, release.ErrExists) {
			t.Errorf("round %d: the refused install failed with %v; want ErrLocked, ErrExists or a name in use", round, err)
		}
		want := map[int]release.Status{1: release.StatusDeployed}
		if diff := cmp.Diff(want, e.statuses(name)); diff != "" {
			t.Errorf("round %d: history (-want +got):\n%s", round, diff)
		}
	}
}

func TestRecoverStuckPendingRelease(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ch := loadChart(t, "app")
	rls, err := e.engine.Install(ctx, "web", ch, nil, release.InstallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// A process died (kill -9) in the middle of revision 2, which it began
	// while holding its lock: its record is pending and its lock lapsed.
	old := metav1.NewMicroTime(time.Now().Add(-5 * time.Minute))
	stuck := *rls
	info := *rls.Info
	stuck.Info, stuck.Version = &info, 2
	stuck.Info.Status, stuck.Info.Description = release.StatusPendingUpgrade, "Preparing upgrade"
	stuck.Info.LastDeployed = old.Add(time.Second)
	if err := e.store.Create(ctx, &stuck); err != nil {
		t.Fatal(err)
	}
	holder, secs := "ghost@gone/1", int32(30)
	_, err = e.cs.CoordinationV1().Leases(e.ns).Create(ctx, &coordv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: "barge.release.web"},
		Spec:       coordv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &secs, AcquireTime: &old, RenewTime: &old},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	up, err := e.engine.Upgrade(ctx, "web", ch, map[string]any{"version": "3"}, release.UpgradeOptions{})
	if err != nil {
		t.Fatalf("upgrade over a stuck pending revision: %v", err)
	}
	if up.Version != 3 {
		t.Errorf("upgrade revision = %d, want 3", up.Version)
	}
	want := map[int]release.Status{1: release.StatusSuperseded, 2: release.StatusFailed, 3: release.StatusDeployed}
	if diff := cmp.Diff(want, e.statuses("web")); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	r2, err := e.store.Get(ctx, "web", 2)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r2.Info.Description, "interrupted: ") {
		t.Errorf("stuck revision description = %q, want it to start with \"interrupted: \"", r2.Info.Description)
	}
}

func TestContextCancelledDuringWait(t *testing.T) {
	e := newEnv(t)
	ch := loadChart(t, "app")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := e.engine.Install(ctx, "web", ch, map[string]any{"deployment": true, "unschedulable": true},
			release.InstallOptions{WaitOptions: release.WaitOptions{Wait: true, Timeout: 5 * time.Minute}})
		done <- err
	}()
	waitFor(t, "the release to be pending-install", func() bool { return e.statuses("web")[1] == release.StatusPendingInstall })
	time.Sleep(500 * time.Millisecond) // into the wait
	cancel()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "interrupted") {
			t.Errorf("cancelled install: %v; want an interruption error", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("install did not stop within 30s of its context being cancelled")
	}
	if diff := cmp.Diff(map[int]release.Status{1: release.StatusFailed}, e.statuses("web")); diff != "" {
		t.Errorf("history after interruption (-want +got):\n%s", diff)
	}
	// The lock was released: the next operation runs.
	if _, err := e.engine.Uninstall(context.Background(), "web", release.UninstallOptions{}); err != nil {
		t.Errorf("uninstall after the interruption: %v", err)
	}
}

func TestAdoption(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ch := loadChart(t, "app")
	mk := func(name string, ann map[string]string, lbs map[string]string) {
		_, err := e.cs.CoreV1().ConfigMaps(e.ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: ann, Labels: lbs}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	mk("web-main", nil, nil)
	_, err := e.engine.Install(ctx, "web", ch, nil, release.InstallOptions{})
	var oe *release.OwnershipError
	if !errors.As(err, &oe) || oe.Ref.Name != "web-main" || oe.OwnerRelease != "" {
		t.Fatalf("install over an unowned web-main: %v; want an OwnershipError naming it", err)
	}
	if !strings.Contains(err.Error(), "web-main") || !strings.Contains(err.Error(), "no release") || !strings.Contains(err.Error(), "--take-ownership") {
		t.Errorf("error %q should name the object, its owner and the fix", err)
	}
	if got := e.statuses("web"); got != nil {
		t.Errorf("records after a refused install: %v, want none", got)
	}

	mk("other-main", map[string]string{"meta.helm.sh/release-name": "other", "meta.helm.sh/release-namespace": e.ns}, map[string]string{"app.kubernetes.io/managed-by": "Helm"})
	_, err = e.engine.Install(ctx, "other", ch, nil, release.InstallOptions{})
	if err != nil {
		t.Fatalf("install over an object owned by the same release name: %v", err)
	}
	// web-main, refused above, is adopted when asked.
	if _, err := e.engine.Install(ctx, "web", ch, nil, release.InstallOptions{TakeOwnership: true}); err != nil {
		t.Fatalf("install with TakeOwnership: %v", err)
	}
	if got := e.configMap("web-main").Annotations["meta.helm.sh/release-name"]; got != "web" {
		t.Errorf("adopted web-main release-name = %q, want web", got)
	}
}

func TestOwnedByAnotherRelease(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, err := e.cs.CoreV1().ConfigMaps(e.ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
		Name:        "web-main",
		Labels:      map[string]string{"app.kubernetes.io/managed-by": "Helm"},
		Annotations: map[string]string{"meta.helm.sh/release-name": "blog", "meta.helm.sh/release-namespace": "cms"},
	}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.engine.Install(ctx, "web", loadChart(t, "app"), nil, release.InstallOptions{})
	if err == nil || !strings.Contains(err.Error(), `release "blog" in namespace "cms"`) {
		t.Errorf("install over blog's web-main: %v; want an error naming release blog in cms", err)
	}
}

func TestServerDryRunWritesNothing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rls, err := e.engine.Install(ctx, "web", loadChart(t, "app"), map[string]any{"deployment": true}, release.InstallOptions{DryRun: release.DryRunServer})
	if err != nil {
		t.Fatal(err)
	}
	if rls.Info.Description != "Dry run complete" {
		t.Errorf("description = %q", rls.Info.Description)
	}
	if e.configMap("web-main") != nil {
		t.Error("server dry run created web-main")
	}
	if got := e.statuses("web"); got != nil {
		t.Errorf("server dry run stored records: %v", got)
	}
}

func TestCRDsFirst(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rls, err := e.engine.Install(ctx, "w", loadChart(t, "crds"), nil, release.InstallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rls.Info.Status != release.StatusDeployed {
		t.Errorf("status = %s", rls.Info.Status)
	}
	live, err := e.kc.Get(ctx, mustObj(t, "test.barge.dev/v1", "Widget", e.ns, "w-widget"))
	if err != nil || live == nil {
		t.Errorf("widget w-widget: %v, %v; want it created after its CRD", live, err)
	}
}
