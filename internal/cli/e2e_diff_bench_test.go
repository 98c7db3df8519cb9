package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/bargehq/barge/internal/localcluster"
)

// BenchmarkDiffUpgradeArgoCD times `barge diff upgrade` of a release of the
// corpus chart argo-cd (about 60 objects and its CRDs) with a changed
// value, beside `barge upgrade --dry-run=server` of the same release and
// values, which asks the server to dry-run the same objects: the two
// sub-benchmarks are what `make bench` reports side by side. Each
// iteration runs the barge binary, as a user or a CI job does.
func BenchmarkDiffUpgradeArgoCD(b *testing.B) {
	c := localcluster.Get(b)
	if e2eBinaries.err != nil {
		b.Fatalf("building barge: %v", e2eBinaries.err)
	}
	chart := filepath.Join(repoPath(".."), "shared", "corpus", "cases", "argo__argo-cd", "chart")
	if _, err := os.Stat(chart); err != nil {
		b.Fatalf("argo-cd chart: %v", err)
	}
	ns := c.Namespace(b)
	barge := func(b *testing.B, args ...string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, e2eBinaries.barge, append([]string{"--kubeconfig", c.KubeconfigPath, "--namespace", ns}, args...)...)
		cmd.Env = []string{
			"PATH=" + os.Getenv("PATH"),
			"HOME=" + e2eBinaries.dir,
			"XDG_CACHE_HOME=" + filepath.Join(e2eBinaries.dir, "cache"),
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
				b.Fatalf("barge %v: %v\n%s", args, err, out)
			}
		}
	}
	// --take-ownership: the CRDs are cluster-wide and may belong to a release
	// of an earlier test of this binary.
	barge(b, "install", "argocd", chart, "--take-ownership")
	change := []string{"--set", "global.logging.level=debug"}
	b.Run("diff-upgrade", func(b *testing.B) {
		for range b.N {
			barge(b, append([]string{"diff", "upgrade", "argocd", chart, "--detailed-exitcode"}, change...)...)
		}
	})
	b.Run("upgrade-dry-run-server", func(b *testing.B) {
		for range b.N {
			barge(b, append([]string{"upgrade", "argocd", chart, "--dry-run=server"}, change...)...)
		}
	})
}
