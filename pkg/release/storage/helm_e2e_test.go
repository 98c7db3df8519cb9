package storage

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart/loader"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/bargehq/barge/internal/localcluster"
	"github.com/bargehq/barge/pkg/release"
)

// helmBinary returns the path of a reference Helm binary, skipping the test
// when it has not been built.
func helmBinary(t *testing.T, version string) string {
	t.Helper()
	bin := helmBinaryPath(version)
	if bin == "" {
		t.Fatalf("helm %s not built: run `make tools` (hack/tools/build.sh)", version)
	}
	return bin
}

// helmBinaryPath returns the absolute path of a reference Helm binary, or ""
// if it is not built.
func helmBinaryPath(version string) string {
	dir := os.Getenv("BARGE_TOOLS_BIN")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", ".cache", "bin")
	}
	bin, err := filepath.Abs(filepath.Join(dir, "helm-"+version))
	if err != nil {
		return ""
	}
	if _, err := os.Stat(bin); err != nil {
		return ""
	}
	return bin
}

// helmRunner runs a Helm binary against the local cluster, with its own
// configuration directories.
type helmRunner struct {
	t         *testing.T
	bin, kcfg string
	home      string
	namespace string
	isHelmV4  bool
}

func (h helmRunner) run(args ...string) []byte {
	h.t.Helper()
	args = append(args, "--kubeconfig", h.kcfg, "--namespace", h.namespace)
	cmd := exec.CommandContext(h.t.Context(), h.bin, args...)
	cmd.Env = append(os.Environ(),
		"HELM_CONFIG_HOME="+filepath.Join(h.home, "config"),
		"HELM_CACHE_HOME="+filepath.Join(h.home, "cache"),
		"HELM_DATA_HOME="+filepath.Join(h.home, "data"),
	)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		h.t.Fatalf("helm %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

func (h helmRunner) json(v any, args ...string) {
	h.t.Helper()
	out := h.run(append(args, "-o", "json")...)
	if err := json.Unmarshal(out, v); err != nil {
		h.t.Fatalf("helm %v: output is not JSON: %v\n%s", args, err, out)
	}
}

// generic turns a value into its JSON tree.
func generic(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// normalizeV4 removes the differences between Helm v4's JSON and Helm v3's
// that carry no information: v4 omits zero times where v3 writes "", and v4
// records file modification times that barge's chart type does not keep.
func normalizeV4(rec map[string]any) {
	if info, ok := rec["info"].(map[string]any); ok {
		for _, k := range []string{"first_deployed", "last_deployed", "deleted"} {
			if info[k] == "" {
				delete(info, k)
			}
		}
		delete(info, "resources")
	}
	if ch, ok := rec["chart"].(map[string]any); ok {
		delete(ch, "modtime")
		delete(ch, "schemamodtime")
		for _, key := range []string{"templates", "files"} {
			files, _ := ch[key].([]any)
			for _, f := range files {
				if m, ok := f.(map[string]any); ok {
					delete(m, "modtime")
				}
			}
		}
	}
	hooks, _ := rec["hooks"].([]any)
	for _, h := range hooks {
		if m, ok := h.(map[string]any); ok {
			if lr, ok := m["last_run"].(map[string]any); ok {
				for _, k := range []string{"started_at", "completed_at"} {
					if lr[k] == "" {
						delete(lr, k)
					}
				}
			}
		}
	}
}

// rawRecord reads the JSON tree of a stored record without package code:
// the Secret's data, base64-decoded, gunzipped.
func rawRecord(t *testing.T, c *localcluster.Cluster, ns, key string) map[string]any {
	t.Helper()
	sec, err := clientset(t, c).CoreV1().Secrets(ns).Get(t.Context(), key, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	gz, err := base64.StdEncoding.DecodeString(string(sec.Data["release"]))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	js, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestHelmInterop(t *testing.T) {
	for _, version := range []string{"v3.22.0", "v4.3.1"} {
		t.Run(version, func(t *testing.T) {
			bin := helmBinary(t, version)
			c := localcluster.Get(t)
			ns := c.Namespace(t)
			h := helmRunner{t: t, bin: bin, kcfg: c.KubeconfigPath, home: t.TempDir(), namespace: ns, isHelmV4: version[1] == '4'}
			chartDir := filepath.Join("testdata", "charts", "greeter")
			s := newTestSecrets(t, c, ns, Options{})
			ctx := t.Context()

			t.Run("barge reads what helm wrote", func(t *testing.T) {
				h.run("install", "hgreet", chartDir, "--set", "greeting=hi", "--labels", "team=blue")
				h.run("upgrade", "hgreet", chartDir, "--set", "greeting=hey")

				for rev := 1; rev <= 2; rev++ {
					got, err := s.Get(ctx, "hgreet", rev)
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(map[string]string{"team": "blue"}, got.Labels); diff != "" {
						t.Errorf("revision %d labels (-want +got):\n%s", rev, diff)
					}
					if rev == 1 {
						continue
					}
					// helm status -o json prints the whole record but the chart.
					var want map[string]any
					h.json(&want, "status", "hgreet")
					gotTree := generic(t, got)
					normalizeV4(want)
					normalizeV4(gotTree)
					// The chart: compare with the record Helm stored, unwrapped by hand.
					stored := rawRecord(t, c, ns, Key("hgreet", rev))
					normalizeV4(stored)
					if diff := cmp.Diff(stored["chart"], gotTree["chart"]); diff != "" {
						t.Errorf("chart differs from the stored record (-helm +barge):\n%s", diff)
					}
					delete(gotTree, "chart")
					if diff := cmp.Diff(want, gotTree); diff != "" {
						t.Errorf("record differs from helm status (-helm +barge):\n%s", diff)
					}
					if got.Info.Status != release.StatusDeployed || got.Config["greeting"] != "hey" || len(got.Hooks) != 1 ||
						got.Hooks[0].LastRun.Phase != release.HookPhaseSucceeded || got.Info.LastDeployed.IsZero() {
						t.Errorf("record fields: status %s config %v hooks %d", got.Info.Status, got.Config, len(got.Hooks))
					}
				}

				var hist []struct {
					Revision    int       `json:"revision"`
					Updated     time.Time `json:"updated"`
					Status      string    `json:"status"`
					Chart       string    `json:"chart"`
					AppVersion  string    `json:"app_version"`
					Description string    `json:"description"`
				}
				h.json(&hist, "history", "hgreet")
				sums, err := s.History(ctx, "hgreet")
				if err != nil {
					t.Fatal(err)
				}
				if len(sums) != len(hist) {
					t.Fatalf("history: barge %d revisions, helm %d", len(sums), len(hist))
				}
				for i, x := range hist {
					y := sums[i]
					if x.Revision != y.Revision || x.Status != string(y.Status) || x.Chart != y.ChartRef() ||
						x.AppVersion != y.AppVersion || x.Description != y.Description || !x.Updated.Equal(y.LastDeployed) {
						t.Errorf("history row %d: helm %+v, barge %+v", i, x, y)
					}
				}
			})

			t.Run("helm reads what barge wrote", func(t *testing.T) {
				ch, err := loader.Load(chartDir)
				if err != nil {
					t.Fatal(err)
				}
				now := time.Now()
				manifest := "---\n# Source: greeter/templates/configmap.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bgreet-greeting\ndata:\n  greeting: \"hola\"\n"
				rls := &release.Release{
					Name: "bgreet", Namespace: ns, Version: 1,
					Info: &release.Info{
						FirstDeployed: now, LastDeployed: now, Status: release.StatusDeployed,
						Description: "Install complete", Notes: "bgreet says hola.\n",
					},
					Chart:       ch,
					Config:      map[string]any{"greeting": "hola"},
					Manifest:    manifest,
					ApplyMethod: release.ApplyMethodServerSide,
					Labels:      map[string]string{"team": "green"},
				}
				if err := s.Create(ctx, rls); err != nil {
					t.Fatal(err)
				}

				var list []map[string]any
				h.json(&list, "list", "--filter", "^bgreet$")
				if len(list) != 1 {
					t.Fatalf("helm list: %v", list)
				}
				for k, want := range map[string]any{"name": "bgreet", "namespace": ns, "revision": "1", "status": "deployed", "chart": "greeter-0.1.0", "app_version": "1.0.0"} {
					if list[0][k] != want {
						t.Errorf("helm list %s = %v, want %v", k, list[0][k], want)
					}
				}
				var values map[string]any
				h.json(&values, "get", "values", "bgreet")
				if diff := cmp.Diff(rls.Config, values); diff != "" {
					t.Errorf("helm get values (-want +got):\n%s", diff)
				}
				if got := string(h.run("get", "manifest", "bgreet")); got != manifest+"\n" {
					t.Errorf("helm get manifest = %q, want %q", got, manifest+"\n")
				}
				var selected []map[string]any
				h.json(&selected, "list", "--selector", "team=green")
				if len(selected) != 1 || selected[0]["name"] != "bgreet" {
					t.Errorf("helm list --selector team=green = %v", selected)
				}

				// Helm upgrades a release barge installed and rewrites barge's record.
				h.run("upgrade", "bgreet", chartDir, "--reuse-values")
				sums, err := s.History(ctx, "bgreet")
				if err != nil {
					t.Fatal(err)
				}
				var states []string
				for _, x := range sums {
					states = append(states, string(x.Status))
				}
				if diff := cmp.Diff([]string{"superseded", "deployed"}, states); diff != "" {
					t.Errorf("history after helm upgrade (-want +got):\n%s", diff)
				}
				old, err := s.Get(ctx, "bgreet", 1)
				if err != nil {
					t.Fatal(err)
				}
				if old.Manifest != manifest || old.Info.Notes != rls.Info.Notes || !old.Info.FirstDeployed.Equal(now) {
					t.Errorf("revision 1 after helm rewrote it: %+v", old.Info)
				}
				if want := release.ApplyMethodServerSide; h.isHelmV4 && old.ApplyMethod != want {
					t.Errorf("apply_method after helm v4 rewrote it = %q, want %q", old.ApplyMethod, want)
				}
			})
		})
	}
}
