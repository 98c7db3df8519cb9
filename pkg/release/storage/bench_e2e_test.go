package storage

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/bargehq/barge/internal/localcluster"
	"github.com/bargehq/barge/pkg/release"
)

// BenchmarkList1000 times List over all namespaces with 1,000 releases of 5
// revisions each (4 superseded, 1 deployed) stored as Secrets, ListRecords
// of their deployed records, and the same listing by Helm v3.22 when its
// binary is built.
func BenchmarkList1000(b *testing.B) {
	const releases, revs = 1000, 5
	c := localcluster.Get(b)
	ns := c.Namespace(b)
	ctx := b.Context()
	ch, err := loader.Load(filepath.Join("testdata", "charts", "greeter"))
	if err != nil {
		b.Fatal(err)
	}
	s, err := NewSecrets(c.RESTConfig(), ns, Options{})
	if err != nil {
		b.Fatal(err)
	}

	jobs := make(chan *release.Release)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range 32 {
		wg.Go(func() {
			for r := range jobs {
				if err := s.Create(ctx, r); err != nil {
					mu.Lock()
					firstErr = cmpOr(firstErr, err)
					mu.Unlock()
				}
			}
		})
	}
	for i := range releases {
		for v := 1; v <= revs; v++ {
			st := release.StatusSuperseded
			if v == revs {
				st = release.StatusDeployed
			}
			r := rev(ns, fmt.Sprintf("bench-%04d", i), v, st)
			r.Chart = ch
			r.Manifest = fmt.Sprintf("---\n# Source: greeter/templates/configmap.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bench-%04d-greeting\ndata:\n  greeting: \"hello\"\n", i)
			jobs <- r
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		b.Fatal(firstErr)
	}

	all := s.InNamespace("")
	b.Run("barge", func(b *testing.B) {
		for b.Loop() {
			got, err := all.List(ctx, ListOptions{})
			if err != nil {
				b.Fatal(err)
			}
			if len(got) < releases {
				b.Fatalf("List returned %d releases, want at least %d", len(got), releases)
			}
		}
	})
	// The deployed records in full, as a fleet reads those it owns.
	b.Run("barge-records-deployed", func(b *testing.B) {
		for b.Loop() {
			got, err := all.ListRecords(ctx, labels.Set{"status": string(release.StatusDeployed)})
			if err != nil {
				b.Fatal(err)
			}
			if len(got) < releases {
				b.Fatalf("ListRecords returned %d records, want at least %d", len(got), releases)
			}
		}
	})
	// The same listing by Helm, for comparison (process start included).
	b.Run("helm-v3.22.0", func(b *testing.B) {
		bin := helmBinaryPath("v3.22.0")
		if bin == "" {
			b.Skip("helm v3.22.0 not built")
		}
		for b.Loop() {
			out, err := exec.CommandContext(ctx, bin, "list", "-A", "--max", "0", "-q", "--kubeconfig", c.KubeconfigPath).Output()
			if err != nil {
				b.Fatal(err)
			}
			if n := bytes.Count(out, []byte("\n")); n < releases {
				b.Fatalf("helm list printed %d releases, want at least %d", n, releases)
			}
		}
	})
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
