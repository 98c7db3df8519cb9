package cli

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart"

	"github.com/bargehq/barge/pkg/release"
	"github.com/bargehq/barge/pkg/release/storage"
)

// TestE2EListRevisionsLikeHelm lists many revisions that share a name and a
// deployment second, written by barge, across two namespaces, and compares
// barge's output with Helm v3.22's byte for byte: the order of rows that
// sort as equal is Helm's too. (Releases of the same name in several
// namespaces are left out: Helm's order of them varies from run to run.)
func TestE2EListRevisionsLikeHelm(t *testing.T) {
	e := newE2E(t)
	other := e.cluster.Namespace(t)
	base := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, ns := range []string{e.ns, other} {
		s, err := storage.NewSecrets(e.cluster.RESTConfig(), ns, storage.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"lr-b", "lr-a", "lr-c"} {
			// Revisions 1 to 12 (object names sort v1, v10, v11, v12, v2, ...),
			// deployed three by three in the same second.
			for v := 1; v <= 12; v++ {
				st := release.StatusSuperseded
				if v == 12 {
					st = release.StatusDeployed
				}
				at := base.Add(time.Duration((v-1)/3)*time.Second + time.Duration(v)*time.Millisecond)
				rls := &release.Release{
					Name: name, Namespace: ns, Version: v,
					Info:  &release.Info{FirstDeployed: base, LastDeployed: at, Status: st, Description: fmt.Sprintf("revision %d", v)},
					Chart: &chart.Chart{Metadata: &chart.Metadata{Name: "web", Version: fmt.Sprintf("0.%d.0", v), AppVersion: "1.0"}},
				}
				if err := s.Create(t.Context(), rls); err != nil {
					t.Fatal(err)
				}
			}
		}
	}

	tests := [][]string{
		{"list", "--superseded"},
		{"list", "--superseded", "-r"},
		{"list", "--superseded", "-d"},
		{"list", "--superseded", "-d", "-r"},
		{"list", "--superseded", "-o", "json"},
		{"list", "--superseded", "--max", "5", "--offset", "7"},
		{"list", "-A", "--superseded", "--filter", "^lr-"},
		{"list", "-A", "--superseded", "--filter", "^lr-", "-d", "-o", "yaml"},
		{"history", "lr-a"},
	}
	for _, args := range tests {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			want := e.mustHelm("v3.22.0", args...).stdout
			if strings.Count(want, "lr-") < 2 && args[0] == "list" {
				t.Fatalf("helm %s listed too little to compare:\n%s", strings.Join(args, " "), want)
			}
			got := e.mustBarge(args...).stdout
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("barge %s differs from helm (-helm +barge):\n%s", strings.Join(args, " "), diff)
			}
		})
	}
}
