package cli

import (
	"strings"
	"testing"
)

// TestE2EHelmInterop has Helm v3.22 and v4.3 work on releases barge made
// and barge work on releases Helm made: list, get values, upgrade, roll
// back and uninstall, each reading what the other wrote.
func TestE2EHelmInterop(t *testing.T) {
	e := newE2E(t)
	chartPath := fixture("web")
	for _, v := range []string{"v3.22.0", "v4.3.1"} {
		t.Run("helm-"+v+" on a barge release", func(t *testing.T) {
			e := e.sub(t)
			e.mustBarge("install", "b2h", chartPath, "--set", "message=one", "--wait", "--timeout", "1m")

			if got := e.mustHelm(v, "list", "-q").stdout; got != "b2h\n" {
				t.Errorf("helm list -q = %q, want b2h", got)
			}
			st := e.mustHelm(v, "status", "b2h").stdout
			if !strings.Contains(st, "STATUS: deployed") || !strings.Contains(st, "b2h says one.") {
				t.Errorf("helm status:\n%s", st)
			}
			if got := e.mustHelm(v, "get", "values", "b2h", "-o", "json").stdout; got != `{"message":"one"}`+"\n" {
				t.Errorf("helm get values = %q", got)
			}
			e.mustHelm(v, "upgrade", "b2h", chartPath, "--reuse-values", "--set", "message=two")
			if m := e.configMapData("b2h-config")["message"]; m != "two" {
				t.Errorf("after helm upgrade, message = %q, want two", m)
			}
			if st := e.revisionStatuses("b2h"); st[1] != "superseded" || st[2] != "deployed" {
				t.Errorf("barge history after helm upgrade: %v", st)
			}
			e.mustHelm(v, "rollback", "b2h", "1")
			if m := e.configMapData("b2h-config")["message"]; m != "one" {
				t.Errorf("after helm rollback, message = %q, want one", m)
			}
			if got := e.mustBarge("get", "values", "b2h", "-o", "json").stdout; got != `{"message":"one"}`+"\n" {
				t.Errorf("barge get values after helm rollback = %q", got)
			}
			e.mustHelm(v, "uninstall", "b2h")
			if s := e.releaseSecrets(); len(s) != 0 {
				t.Errorf("records left after helm uninstall: %v", s)
			}
			if d := e.configMapData("b2h-config"); d != nil {
				t.Errorf("ConfigMap left after helm uninstall: %v", d)
			}
		})

		t.Run("barge upgrade after a failed helm-"+v+" upgrade", func(t *testing.T) {
			e := e.sub(t)
			e.mustBarge("install", "hf", chartPath, "--set", "message=one", "--wait", "--timeout", "1m")
			// The upgrade applies the ConfigMap, then times out waiting for
			// pods no node can take: its failed revision is the last, the
			// barge one deployed, and the ConfigMap's message is Helm's.
			args := []string{"upgrade", "hf", chartPath, "--set", "message=two", "--set", "nodeSelector.none=none", "--wait", "--timeout", "3s"}
			if v == "v4.3.1" {
				args = append(args, "--server-side=false")
			}
			if r := e.helm(v, args...); r.code == 0 {
				t.Fatalf("helm upgrade with unschedulable pods succeeded:\n%s", r.stdout)
			}
			if st := e.revisionStatuses("hf"); st[1] != "deployed" || st[2] != "failed" {
				t.Fatalf("history after helm's failed upgrade: %v", st)
			}
			d := e.mustBarge("diff", "upgrade", "hf", chartPath, "--set", "message=three", "-o", "json").stdout
			if strings.Contains(d, `"conflict"`) {
				t.Errorf("barge diff upgrade after helm's failed upgrade reports a conflict:\n%s", d)
			}
			e.mustBarge("upgrade", "hf", chartPath, "--set", "message=three", "--wait", "--timeout", "1m")
			if m := e.configMapData("hf-config")["message"]; m != "three" {
				t.Errorf("after barge upgrade, message = %q, want three", m)
			}
		})

		t.Run("barge on a helm-"+v+" release", func(t *testing.T) {
			e := e.sub(t)
			e.mustHelm(v, "install", "h2b", chartPath, "--set", "message=one", "--wait")

			if got := e.mustBarge("list", "-q").stdout; got != "h2b\n" {
				t.Errorf("barge list -q = %q, want h2b", got)
			}
			if got := e.mustBarge("get", "values", "h2b", "-o", "json").stdout; got != `{"message":"one"}`+"\n" {
				t.Errorf("barge get values = %q", got)
			}
			// Helm v3 applies client-side: its fields belong to another
			// manager, which the upgrade takes over, so neither the diff nor
			// the upgrade reports a conflict.
			d := e.mustBarge("diff", "upgrade", "h2b", chartPath, "--reuse-values", "--set", "message=two", "-o", "json").stdout
			if strings.Contains(d, `"conflict"`) || !strings.Contains(d, "h2b-config") {
				t.Errorf("barge diff upgrade on helm's release:\n%s", d)
			}
			e.mustBarge("upgrade", "h2b", chartPath, "--reuse-values", "--set", "message=two", "--wait", "--timeout", "1m")
			if m := e.configMapData("h2b-config")["message"]; m != "two" {
				t.Errorf("after barge upgrade, message = %q, want two", m)
			}
			hist := e.mustHelm(v, "history", "h2b").stdout
			if !strings.Contains(hist, "superseded") || !strings.Contains(hist, "Upgrade complete") {
				t.Errorf("helm history after barge upgrade:\n%s", hist)
			}
			e.mustBarge("rollback", "h2b", "1")
			if m := e.configMapData("h2b-config")["message"]; m != "one" {
				t.Errorf("after barge rollback, message = %q, want one", m)
			}
			if got := e.mustHelm(v, "get", "values", "h2b", "-o", "json").stdout; got != `{"message":"one"}`+"\n" {
				t.Errorf("helm get values after barge rollback = %q", got)
			}
			e.mustBarge("uninstall", "h2b")
			if s := e.releaseSecrets(); len(s) != 0 {
				t.Errorf("records left after barge uninstall: %v", s)
			}
			if d := e.configMapData("h2b-config"); d != nil {
				t.Errorf("ConfigMap left after barge uninstall: %v", d)
			}
			for _, args := range [][]string{{"list", "-q"}, {"list", "-q", "--uninstalled"}} {
				if got := e.mustHelm(v, args...).stdout; got != "" {
					t.Errorf("helm %s after barge uninstall = %q", strings.Join(args, " "), got)
				}
			}
		})
	}
}
