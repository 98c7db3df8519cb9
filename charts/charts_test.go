package charts

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart/loader"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/bargehq/barge/internal/localcluster"
)

func TestMain(m *testing.M) { localcluster.Main(m) }

// helmBin returns the reference Helm binary, skipping the test when it has
// not been built (`make tools` builds it).
func helmBin(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("BARGE_TOOLS_BIN")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", ".cache", "bin")
	}
	bin := filepath.Join(dir, "helm-v3.22.0")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("reference helm binary missing (run `make tools`): %v", err)
	}
	return bin
}

// runHelm runs the helm binary with a private home and returns its stdout;
// it fails the test with stderr when helm fails and wantErr is false.
func runHelm(t *testing.T, env []string, args ...string) (string, string, error) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(helmBin(t), args...)
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
	)
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

func mustHelm(t *testing.T, env []string, args ...string) string {
	t.Helper()
	out, errOut, err := runHelm(t, env, args...)
	if err != nil {
		t.Fatalf("helm %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

func TestValidateName(t *testing.T) {
	tests := []struct {
		name    string
		wantErr bool
	}{
		{"mychart", false},
		{"my-chart2", false},
		{"a", false},
		{strings.Repeat("a", MaxNameLength), false},
		{"", true},
		{strings.Repeat("a", MaxNameLength+1), true},
		{"MyChart", true},
		{"my_chart", true},
		{"my.chart", true},
		{"2chart", true},
		{"chart-", true},
		{"..", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateName(tt.name)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ValidateName(%q) = %v, want error %v", tt.name, err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrBadName) {
				t.Errorf("ValidateName(%q) = %v, want it to wrap ErrBadName", tt.name, err)
			}
		})
	}
}

func TestCreate(t *testing.T) {
	ctx := context.Background()
	t.Run("new directory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "sub", "webapp")
		name, err := Create(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		if name != "webapp" {
			t.Errorf("name = %q, want webapp", name)
		}
		var files []string
		err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			if d.IsDir() {
				rel += "/"
			} else {
				data, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				if bytes.Contains(data, []byte(StarterPlaceholder)) {
					t.Errorf("%s still holds %s", rel, StarterPlaceholder)
				}
			}
			files = append(files, rel)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(files)
		want := []string{
			"./", ".helmignore", "Chart.yaml", "charts/", "templates/", "templates/NOTES.txt",
			"templates/_helpers.tpl", "templates/deployment.yaml", "templates/hpa.yaml",
			"templates/ingress.yaml", "templates/service.yaml", "templates/serviceaccount.yaml",
			"templates/tests/", "templates/tests/test-connection.yaml", "values.yaml",
		}
		if diff := cmp.Diff(want, files); diff != "" {
			t.Errorf("files (-want +got):\n%s", diff)
		}
		c, err := loader.Load(dir)
		if err != nil {
			t.Fatalf("load created chart: %v", err)
		}
		if c.Name() != "webapp" {
			t.Errorf("Chart.yaml name = %q, want webapp", c.Name())
		}
	})
	t.Run("existing empty directory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "empty")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := Create(ctx, dir); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err != nil {
			t.Error(err)
		}
	})

	errTests := []struct {
		name    string
		setup   func(t *testing.T, dir string) string
		wantIs  error
		wantMsg string
	}{
		{
			name: "non-empty directory",
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "taken")
				if err := os.MkdirAll(p, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(p, "notes.txt"), []byte("mine"), 0o644); err != nil {
					t.Fatal(err)
				}
				return p
			},
			wantIs:  ErrNotEmpty,
			wantMsg: "choose another name or remove it",
		},
		{
			name: "file in the way",
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "afile")
				if err := os.WriteFile(p, nil, 0o644); err != nil {
					t.Fatal(err)
				}
				return p
			},
			wantMsg: "is not a directory",
		},
		{
			name:    "uppercase name",
			setup:   func(_ *testing.T, dir string) string { return filepath.Join(dir, "MyChart") },
			wantIs:  ErrBadName,
			wantMsg: `chart name "MyChart"`,
		},
		{
			name:    "underscore",
			setup:   func(_ *testing.T, dir string) string { return filepath.Join(dir, "my_chart") },
			wantIs:  ErrBadName,
			wantMsg: "lowercase letters, digits and '-'",
		},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := tt.setup(t, dir)
			before, _ := os.ReadDir(dir)
			_, err := Create(ctx, path)
			if err == nil {
				t.Fatal("Create succeeded, want an error")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v does not wrap %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
			after, _ := os.ReadDir(dir)
			if len(after) != len(before) {
				t.Errorf("Create left %d entries in %s, want %d", len(after), dir, len(before))
			}
		})
	}
}

// TestStarterLint checks that a chart made by Create passes the reference
// helm's strict lint and renders.
func TestStarterLint(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "webapp")
	if _, err := Create(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
	}{
		{"defaults", nil},
		{"ingress and autoscaling", []string{"--set", "ingress.enabled=true,autoscaling.enabled=true,autoscaling.targetMemoryUtilizationPercentage=70"}},
		{"no service account", []string{"--set", "serviceAccount.create=false"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := mustHelm(t, nil, append([]string{"lint", "--strict", dir}, tt.args...)...)
			assertCleanLint(t, out)
			mustHelm(t, nil, append([]string{"template", "rel", dir}, tt.args...)...)
		})
	}
}

func assertCleanLint(t *testing.T, out string) {
	t.Helper()
	if !strings.Contains(out, "1 chart(s) linted, 0 chart(s) failed") {
		t.Errorf("lint did not pass:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "[WARNING]") || strings.Contains(line, "[ERROR]") {
			t.Errorf("lint finding: %s", line)
		}
	}
}

// installEnv points helm at the local cluster.
func installEnv(c *localcluster.Cluster) []string {
	return []string{"KUBECONFIG=" + c.KubeconfigPath}
}

// TestJoomlaInstall installs the chart with the talk's values with the
// reference helm and --wait on the local cluster, checks that everything is
// ready, then upgrades it and checks that the generated passwords survive.
func TestJoomlaInstall(t *testing.T) {
	c := localcluster.Get(t)
	ns := c.Namespace(t)
	dir := chartDir("joomla")
	env := installEnv(c)
	mustHelm(t, env, "install", "site", dir, "--namespace", ns, "--wait", "--timeout", "3m",
		"-f", filepath.Join(dir, "examples", "talk-values.yaml"))

	ctx := context.Background()
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	dep, err := cs.AppsV1().Deployments(ns).Get(ctx, "site-joomla", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if dep.Status.ReadyReplicas != 1 {
		t.Errorf("Deployment ready replicas = %d, want 1", dep.Status.ReadyReplicas)
	}
	sts, err := cs.AppsV1().StatefulSets(ns).Get(ctx, "site-joomla-db", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sts.Status.ReadyReplicas != 1 {
		t.Errorf("StatefulSet ready replicas = %d, want 1", sts.Status.ReadyReplicas)
	}
	pvcs, err := cs.CoreV1().PersistentVolumeClaims(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pvcs.Items) != 3 {
		t.Errorf("%d claims, want 3 (joomla, apache, database)", len(pvcs.Items))
	}
	for _, p := range pvcs.Items {
		if p.Status.Phase != corev1.ClaimBound {
			t.Errorf("claim %s is %s, want Bound", p.Name, p.Status.Phase)
		}
	}

	before, err := cs.CoreV1().Secrets(ns).Get(ctx, "site-joomla", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mustHelm(t, env, "upgrade", "site", dir, "--namespace", ns, "--wait", "--timeout", "3m",
		"-f", filepath.Join(dir, "examples", "talk-values.yaml"), "--set", "joomlaSiteName=Renamed")
	after, err := cs.CoreV1().Secrets(ns).Get(ctx, "site-joomla", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before.Data, after.Data); diff != "" {
		t.Errorf("upgrade changed the release Secret (-before +after):\n%s", diff)
	}
	if string(after.Data["joomla-password"]) != "toto" {
		t.Errorf("joomla-password = %q, want toto", after.Data["joomla-password"])
	}
}

// TestJoomlaInstallHighAvailability installs the high-availability layout
// with --wait and checks every replica is ready.
func TestJoomlaInstallHighAvailability(t *testing.T) {
	c := localcluster.Get(t)
	ns := c.Namespace(t)
	dir := chartDir("joomla")
	mustHelm(t, installEnv(c), "install", "site", dir, "--namespace", ns, "--wait", "--timeout", "3m",
		"-f", filepath.Join(dir, "examples", "ha-values.yaml"))
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dep, err := cs.AppsV1().Deployments(ns).Get(ctx, "site-joomla", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sts, err := cs.AppsV1().StatefulSets(ns).Get(ctx, "site-joomla-db", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if dep.Status.ReadyReplicas != 3 || sts.Status.ReadyReplicas != 3 {
		t.Errorf("ready replicas: joomla %d, database %d; want 3 and 3", dep.Status.ReadyReplicas, sts.Status.ReadyReplicas)
	}
}

// TestStarterInstall installs a chart made by Create with --wait.
func TestStarterInstall(t *testing.T) {
	c := localcluster.Get(t)
	ns := c.Namespace(t)
	dir := filepath.Join(t.TempDir(), "webapp")
	if _, err := Create(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	out := mustHelm(t, installEnv(c), "install", "app", dir, "--namespace", ns, "--wait", "--timeout", "2m")
	if !strings.Contains(out, "STATUS: deployed") {
		t.Errorf("install output lacks STATUS: deployed:\n%s", out)
	}
}
