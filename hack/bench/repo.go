package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/bargehq/barge/pkg/chart/archive"
)

// repoVersions is the size of the generated repository index: 1,000 charts
// of 10 versions each, as large as the biggest public repositories.
const repoCharts, repoVersionsPerChart = 1000, 10

// benchRepo is a chart repository served on loopback.
type benchRepo struct {
	dir, url string
	srv      *httptest.Server
	joomla   string // the version of charts/joomla in it
}

// newBenchRepo packages charts/joomla and writes an index of 10,000 chart
// versions that lists it too, and serves both on loopback.
func newBenchRepo(e *env) (*benchRepo, error) {
	dir, err := os.MkdirTemp("", "barge-bench-repo-")
	if err != nil {
		return nil, err
	}
	pkg, err := archive.Package(filepath.Join(e.root, "charts", "joomla"), dir, archive.PackageOptions{})
	if err != nil {
		return nil, err
	}
	ch, err := archive.LoadFile(pkg, archive.DefaultLimits())
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(pkg)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	var b bytes.Buffer
	b.WriteString("apiVersion: v1\nentries:\n")
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Format(time.RFC3339Nano)
	for c := range repoCharts {
		fmt.Fprintf(&b, "  chart-%04d:\n", c)
		for v := repoVersionsPerChart; v >= 1; v-- {
			fmt.Fprintf(&b, `  - apiVersion: v2
    appVersion: %d.%d.0
    created: "%s"
    description: Chart number %d of the benchmark repository, a web application with a database and a cache, version %d
    digest: %064x
    home: https://example.com/chart-%04d
    keywords:
    - web
    - database
    - bench%d
    maintainers:
    - email: team%d@example.com
      name: Team %d
    name: chart-%04d
    sources:
    - https://github.com/example/chart-%04d
    type: application
    urls:
    - charts/chart-%04d-%d.0.0.tgz
    version: %d.0.0
`, v, c%10, created, c, v, c*100+v, c, c, c%50, c%50, c, c, c, v, v)
		}
	}
	fmt.Fprintf(&b, "  joomla:\n  - apiVersion: v2\n    appVersion: %q\n    created: %q\n    description: %q\n    digest: %s\n    name: joomla\n    urls:\n    - %s\n    version: %s\n",
		ch.Metadata.AppVersion, created, ch.Metadata.Description, hex.EncodeToString(sum[:]), filepath.Base(pkg), ch.Metadata.Version)
	fmt.Fprintf(&b, "generated: %q\n", created)
	if err := os.WriteFile(filepath.Join(dir, "index.yaml"), b.Bytes(), 0o644); err != nil {
		return nil, err
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	return &benchRepo{dir: dir, url: srv.URL, srv: srv, joomla: ch.Metadata.Version}, nil
}

func (r *benchRepo) close() {
	r.srv.Close()
	_ = os.RemoveAll(r.dir)
}

// repoEnv returns an environment in which a tool keeps its repositories
// and cache under home, and nowhere else.
func repoEnv(home string) []string {
	return append(os.Environ(),
		"HELM_REPOSITORY_CONFIG="+filepath.Join(home, "repositories.yaml"),
		"HELM_REPOSITORY_CACHE="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_CACHE_HOME="+filepath.Join(home, "cachehome"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
	)
}

// runIn runs bin with args in dir with env and returns its duration.
func runIn(ctx context.Context, env []string, dir, bin string, args ...string) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env, cmd.Dir = env, dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	if err != nil {
		return 0, fmt.Errorf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out.String())
	}
	return time.Since(start), nil
}

// benchRepoSection times, on a repository of 10,000 chart versions served
// on loopback, `repo update`, `search repo` and `pull`, barge against helm
// v3.22, each with its own repositories file and cache.
func benchRepoSection(ctx context.Context, e *env) error {
	r, err := newBenchRepo(e)
	if err != nil {
		return err
	}
	defer r.close()
	type tool struct {
		name, bin, home string
		env             []string
	}
	var tools []*tool
	for _, t := range []struct{ name, bin string }{{"barge", e.barge}, {"helm", e.helm3}} {
		home, err := os.MkdirTemp("", "barge-bench-"+t.name+"-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(home)
		x := &tool{name: t.name, bin: t.bin, home: home, env: repoEnv(home)}
		if _, err := runIn(ctx, x.env, home, x.bin, "repo", "add", "bench", r.url); err != nil {
			return err
		}
		tools = append(tools, x)
	}
	steps := []struct {
		name string
		args func(i int) []string
		goal string
	}{
		{"repo update (10,000 chart versions)", func(int) []string { return []string{"repo", "update"} }, "<= 1"},
		{"search repo database (10,000 chart versions)", func(int) []string { return []string{"search", "repo", "database"} }, "<= 0.2"},
		{"search repo --versions chart-09 (10,000 chart versions)", func(int) []string { return []string{"search", "repo", "chart-09", "--versions"} }, "<= 0.2"},
		{"pull bench/joomla", func(i int) []string {
			return []string{"pull", "bench/joomla", "-d", fmt.Sprintf("pull-%d", i)}
		}, "<= 1"},
	}
	for _, s := range steps {
		ds := map[string][]time.Duration{}
		for i := range e.runs {
			for _, t := range tools {
				args := s.args(i)
				if args[0] == "pull" {
					if err := os.MkdirAll(filepath.Join(t.home, args[3]), 0o755); err != nil {
						return err
					}
				}
				d, err := runIn(ctx, t.env, t.home, t.bin, args...)
				if err != nil {
					return err
				}
				ds[t.name] = append(ds[t.name], d)
			}
		}
		b, h := median(ds["barge"]), median(ds["helm"])
		e.report.add(row{name: s.name, barge: secs(b), ref: "helm " + secs(h), ratio: ratio(b, h), goal: s.goal})
	}
	return nil
}

// benchInstallRepo times `install bench/joomla` from the 10,000-version
// repository against `install ./charts/joomla` from disk, for barge and
// helm v3.22: what finding and fetching the chart adds to an install.
func benchInstallRepo(ctx context.Context, e *env) error {
	r, err := newBenchRepo(e)
	if err != nil {
		return err
	}
	defer r.close()
	talk := filepath.Join(e.root, "charts", "joomla", "examples", "talk-values.yaml")
	added := map[string]time.Duration{}
	for _, t := range []struct{ name, bin string }{{"barge", e.barge}, {"helm", e.helm3}} {
		home, err := os.MkdirTemp("", "barge-bench-"+t.name+"-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(home)
		env := repoEnv(home)
		if _, err := runIn(ctx, env, home, t.bin, "repo", "add", "bench", r.url); err != nil {
			return err
		}
		var disk, repo []time.Duration
		for i := range e.runs {
			for j, from := range []struct {
				chart string
				ds    *[]time.Duration
			}{{filepath.Join(e.root, "charts", "joomla"), &disk}, {"bench/joomla", &repo}} {
				ns := fmt.Sprintf("bench-irepo-%s-%d-%d", t.name, i, j)
				if err := e.namespace(ctx, ns); err != nil {
					return err
				}
				d, err := runIn(ctx, env, home, t.bin, "install", "joomla1", from.chart, "-f", talk, "-n", ns, "--kubeconfig", e.cluster.KubeconfigPath)
				if err != nil {
					return err
				}
				if err := e.settle(ctx, ns); err != nil {
					return err
				}
				*from.ds = append(*from.ds, d)
			}
		}
		d, rp := median(disk), median(repo)
		added[t.name] = rp - d
		fmt.Printf("  %s: install from disk %s, from the repository %s\n", t.name, secs(d), secs(rp))
	}
	b, h := added["barge"], added["helm"]
	e.report.add(row{name: "install repo/chart: time added to an install from disk", barge: fmt.Sprintf("%+.0fms", float64(b.Milliseconds())),
		ref: fmt.Sprintf("helm %+.0fms", float64(h.Milliseconds())), ratio: ratio(b, h), goal: "barge < 50ms"})
	return nil
}
