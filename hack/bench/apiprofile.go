package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"k8s.io/client-go/kubernetes"
)

// apiProfilePiece is how long each piece of an API server CPU profile lasts:
// the server's handler profiles for a fixed time, so a profile of a run of
// unknown length is taken in pieces and merged.
const apiProfilePiece = "15"

// apiServerProfiler profiles the API server during the fleet section's runs
// when BARGE_BENCH_APISERVER_PROFILE names a directory, and keeps the
// profiles there, with the API server's metrics at the end of each run.
type apiServerProfiler struct {
	cs  kubernetes.Interface
	dir string
}

// newAPIServerProfiler returns a profiler, or nil when the environment
// asks for none.
func newAPIServerProfiler(cs kubernetes.Interface) *apiServerProfiler {
	dir := os.Getenv("BARGE_BENCH_APISERVER_PROFILE")
	if dir == "" {
		return nil
	}
	return &apiServerProfiler{cs: cs, dir: dir}
}

// start profiles the API server, piece after piece, until the returned
// function is called; that function waits for the piece in progress, then
// merges the pieces into one profile, named label, and says where it is.
func (p *apiServerProfiler) start(ctx context.Context, label string) (stop func()) {
	if p == nil {
		return func() {}
	}
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		fmt.Printf("  API server profile: %v\n", err)
		return func() {}
	}
	done := make(chan struct{})
	var (
		wg    sync.WaitGroup
		paths []string
	)
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			raw, err := p.cs.CoreV1().RESTClient().Get().AbsPath("/debug/pprof/profile").Param("seconds", apiProfilePiece).DoRaw(ctx)
			if err != nil {
				fmt.Printf("  API server profile: %v\n", err)
				return
			}
			path := filepath.Join(p.dir, fmt.Sprintf("%s-%02d.pprof", label, i))
			if err := os.WriteFile(path, raw, 0o644); err != nil {
				fmt.Printf("  API server profile: %v\n", err)
				return
			}
			paths = append(paths, path)
		}
	})
	return func() {
		close(done)
		// The request counts and latencies of the run, by verb and resource.
		if raw, err := p.cs.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx); err == nil {
			_ = os.WriteFile(filepath.Join(p.dir, label+".metrics"), raw, 0o644)
		}
		wg.Wait()
		if len(paths) == 0 {
			return
		}
		merged := filepath.Join(p.dir, label+".pprof")
		args := append([]string{"tool", "pprof", "-proto", "-output", merged}, paths...)
		if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
			fmt.Printf("  API server profile: merge: %v\n%s", err, out)
			return
		}
		fmt.Printf("  API server CPU profile, %s: %s\n", label, merged)
	}
}
