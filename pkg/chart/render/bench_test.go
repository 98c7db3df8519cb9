package render

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/bargehq/barge/pkg/chart"
	"github.com/bargehq/barge/pkg/chart/values"
)

// joomlaInputs loads the corpus's bitnami Joomla chart and makes n render
// options, each with its own release name and values over the case's values
// file.
func joomlaInputs(b *testing.B, n int) (*Renderer, []Options) {
	b.Helper()
	dir := filepath.Join("..", "..", "..", "..", "shared", "corpus", "cases", "bitnami__joomla")
	ch, err := chart.Load(filepath.Join(dir, "chart"))
	if err != nil {
		b.Fatalf("the corpus must sit beside the repository: %v", err)
	}
	base, err := values.ReadFile(filepath.Join(dir, "values", "01.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	r, err := New(ch)
	if err != nil {
		b.Fatal(err)
	}
	opts := make([]Options, n)
	for i := range opts {
		v := values.MergeTables(map[string]any{
			"joomlaUsername": fmt.Sprintf("admin%d", i),
			"replicaCount":   1 + i%3,
			"service":        map[string]any{"type": []string{"LoadBalancer", "ClusterIP", "NodePort"}[i%3]},
			"ingress":        map[string]any{"enabled": i%2 == 0, "hostname": fmt.Sprintf("site%d.example.com", i)},
		}, base)
		opts[i] = Options{ReleaseName: fmt.Sprintf("site-%d", i), Namespace: fmt.Sprintf("ns-%d", i%7), Values: v}
	}
	return r, opts
}

// benchReleases is the number of releases BenchmarkRenderJoomla renders.
const benchReleases = 1000

// BenchmarkRenderJoomla renders the bitnami Joomla chart (with its MariaDB
// and common subcharts) for 1,000 different release names and values; one
// op is the 1,000 renders.
func BenchmarkRenderJoomla(b *testing.B) {
	r, opts := joomlaInputs(b, benchReleases)
	ctx := context.Background()
	b.Run("sequential", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, o := range opts {
				if _, err := r.Render(ctx, o); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(opts)), "ns/render")
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			next := make(chan Options)
			go func() {
				for _, o := range opts {
					next <- o
				}
				close(next)
			}()
			done := make(chan error)
			for range 2 {
				go func() {
					for o := range next {
						if _, err := r.Render(ctx, o); err != nil {
							done <- err
							return
						}
					}
					done <- nil
				}()
			}
			for range 2 {
				if err := <-done; err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(opts)), "ns/render")
	})
}
