package soak

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/bargehq/barge/internal/localcluster"
)

// bargeBin is the barge binary TestMain builds (empty with -short), or why
// it could not; written before any test runs, only read by tests.
var bargeBin struct {
	path string
	err  error
}

// TestMain builds barge once (not with -short), then runs the tests with
// the local cluster.
func TestMain(m *testing.M) {
	flag.Parse()
	if !testing.Short() {
		bargeBin.path, bargeBin.err = buildBarge()
	}
	localcluster.Main(m, func() {
		if bargeBin.path != "" {
			_ = os.RemoveAll(filepath.Dir(bargeBin.path))
		}
	})
}

// buildBarge builds cmd/barge into a fresh temporary directory.
func buildBarge() (string, error) {
	dir, err := os.MkdirTemp("", "barge-soak-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "barge")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/bargehq/barge/cmd/barge")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/barge: %v\n%s", err, out.String())
	}
	return bin, nil
}

// config is a run's settings, from the environment:
//
//	BARGE_SOAK_TRIALS    trials to run (default 20; 0 skips the suite)
//	BARGE_SOAK_SEED      the run's seed (default: drawn from the clock, and printed)
//	BARGE_SOAK_ONLY      run only these trials of the seed (comma-separated indices)
//	BARGE_SOAK_PARALLEL  trials at once (default 3)
//	BARGE_SOAK_OUT       file the trials' reports are written to (default: in the temporary directory, only when a trial violated an invariant)
type config struct {
	trials, parallel int
	seed             uint64
	only             []int
	out              string
	outAsked         bool // BARGE_SOAK_OUT was set
}

func loadConfig(t *testing.T) config {
	t.Helper()
	c := config{trials: 20, parallel: 3, seed: uint64(time.Now().UnixNano() % 1_000_000_000)}
	num := func(key string, dst *int) {
		if v := os.Getenv(key); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				t.Fatalf("%s=%q: want a number", key, v)
			}
			*dst = n
		}
	}
	num("BARGE_SOAK_TRIALS", &c.trials)
	num("BARGE_SOAK_PARALLEL", &c.parallel)
	if c.parallel < 1 {
		c.parallel = 1
	}
	if v := os.Getenv("BARGE_SOAK_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("BARGE_SOAK_SEED=%q: want a number", v)
		}
		c.seed = n
	}
	if v := os.Getenv("BARGE_SOAK_ONLY"); v != "" {
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				t.Fatalf("BARGE_SOAK_ONLY=%q: want trial indices, comma-separated", v)
			}
			c.only = append(c.only, n)
		}
	}
	c.out = os.Getenv("BARGE_SOAK_OUT")
	c.outAsked = c.out != ""
	if c.out == "" {
		c.out = filepath.Join(os.TempDir(), fmt.Sprintf("barge-soak-%d.txt", c.seed))
	}
	return c
}

// newWorld prepares a run on the local cluster: binaries, namespace, chart.
func newWorld(t *testing.T) *world {
	t.Helper()
	c := localcluster.Get(t)
	if bargeBin.err != nil {
		t.Fatalf("building barge: %v", bargeBin.err)
	}
	helm := helmPath()
	if helm == "" {
		t.Fatalf("helm v3.22.0 not built under .cache/bin: run `make tools`")
	}
	rc := c.RESTConfig()
	rc.QPS, rc.Burst = 100, 200 // trials at once share this client
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	target, err := apiTarget(c.KubeconfigPath)
	if err != nil {
		t.Fatal(err)
	}
	chart, err := filepath.Abs(filepath.Join("testdata", "charts", "soak"))
	if err != nil {
		t.Fatal(err)
	}
	w := &world{
		barge: bargeBin.path, helm: helm, home: t.TempDir(), kubeconfig: c.KubeconfigPath,
		target: target, ns: c.Namespace(t), cs: cs, chart: chart,
	}
	help := w.run(w.barge, w.kubeconfig, time.Minute, "upgrade", "--help")
	w.takeOver = strings.Contains(help.out.String(), "--take-over")
	return w
}

// helmPath returns the reference Helm v3 binary, or "" if not built.
func helmPath() string {
	dir := os.Getenv("BARGE_TOOLS_BIN")
	if dir == "" {
		dir = filepath.Join("..", "..", ".cache", "bin")
	}
	bin, err := filepath.Abs(filepath.Join(dir, "helm-v3.22.0"))
	if err != nil {
		return ""
	}
	if _, err := os.Stat(bin); err != nil {
		return ""
	}
	return bin
}

// calibrate times each operation undisturbed, with --wait, so that moments
// drawn as a fraction of the window fall within the operation.
func (w *world) calibrate(t *testing.T) {
	t.Helper()
	w.window = map[Op]time.Duration{}
	steps := []struct {
		op   Op
		args []string
	}{
		{OpInstall, []string{"install", "calibrate", w.chart, "--set", "token=c1", "--wait"}},
		{OpUpgrade, []string{"upgrade", "calibrate", w.chart, "--set", "token=c2", "--wait"}},
		{OpRollback, []string{"rollback", "calibrate", "1", "--wait"}},
		{OpUninstall, []string{"uninstall", "calibrate", "--wait"}},
	}
	for _, s := range steps {
		p := w.run(w.barge, w.kubeconfig, 3*time.Minute, s.args...)
		if p.code != 0 {
			t.Fatalf("calibration: %s", p)
		}
		w.window[s.op] = max(p.end.Sub(p.start)*6/5, 300*time.Millisecond)
	}
	w.window[OpUninstallKeep] = w.window[OpUninstall]
	w.window[OpFleetApply] = w.window[OpInstall] * 3 / 2
	t.Logf("operation windows: %v", w.window)
}

// TestSoak runs the fault-injection trials (see the package's doc) and
// fails if any breaks an invariant, printing the table and each violating
// trial's report.
func TestSoak(t *testing.T) {
	cfg := loadConfig(t)
	if cfg.trials == 0 && len(cfg.only) == 0 {
		t.Skip("BARGE_SOAK_TRIALS=0")
	}
	w := newWorld(t)
	w.calibrate(t)
	ctx := context.Background()
	if err := w.installBystanders(ctx); err != nil {
		t.Fatal(err)
	}
	indices := cfg.only
	if len(indices) == 0 {
		for i := 0; i < cfg.trials; i++ {
			indices = append(indices, i)
		}
	}
	fmt.Printf("soak: %d trials, seed %d, %d at once, barge --take-over: %v\n", len(indices), cfg.seed, cfg.parallel, w.takeOver)

	began := time.Now()
	outs := make([]Outcome, len(indices))
	work := make(chan int)
	var wg sync.WaitGroup
	var printMu sync.Mutex
	for range cfg.parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				o := w.runTrial(ctx, NewPlan(cfg.seed, indices[i]))
				outs[i] = o
				state := "ok"
				switch {
				case o.HarnessErr != nil:
					state = "HARNESS ERROR"
				case len(o.Violations) > 0:
					state = fmt.Sprintf("%d VIOLATIONS", len(o.Violations))
				}
				printMu.Lock()
				fmt.Printf("soak: %-60s %-14s %6.1fs  %s\n", o.Plan.String()[:min(60, len(o.Plan.String()))], state, o.Duration.Seconds(), o.Moment)
				printMu.Unlock()
			}
		}()
	}
	for i := range indices {
		work <- i
	}
	close(work)
	wg.Wait()

	// Every trial's report goes to the file, the violating ones first.
	var report bytes.Buffer
	for _, bad := range []bool{true, false} {
		for _, o := range outs {
			if (len(o.Violations) > 0 || o.HarnessErr != nil) == bad {
				o.Report(&report)
			}
		}
	}
	fmt.Println()
	Table(os.Stdout, cfg.seed, outs, time.Since(began))
	violated := false
	for _, o := range outs {
		violated = violated || len(o.Violations) > 0 || o.HarnessErr != nil
	}
	// The report is written where asked, or, to the temporary directory,
	// when there is something to read in it: a clean run leaves nothing.
	if cfg.outAsked || violated {
		if err := os.WriteFile(cfg.out, report.Bytes(), 0o644); err != nil {
			t.Errorf("write report: %v", err)
		}
		fmt.Printf("every trial's steps, violating ones first: %s\n", cfg.out)
	}
	for _, o := range outs {
		if len(o.Violations) > 0 || o.HarnessErr != nil {
			var b bytes.Buffer
			o.Report(&b)
			t.Errorf("\n%s", b.String())
		}
	}
}
