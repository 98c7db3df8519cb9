package repo

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/chart"
)

var words = strings.Fields(`kubernetes helm chart deploy database cache proxy web server
monitoring metrics logging ingress controller operator storage backup queue stream
message broker search analytics dashboard identity auth gateway mesh service
network security certificate secret config registry pipeline build runner agent
scheduler batch workflow api frontend backend cluster node exporter collector`)

// genIndex returns a realistic index of charts × versions: descriptions,
// keywords, maintainers, sources, annotations (an Artifact Hub change
// list) and dependencies, as large repositories publish them (about 1 KB a
// version).
func genIndex(tb testing.TB, charts, versions int) *Index {
	tb.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	pick := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = words[r.IntN(len(words))]
		}
		return out
	}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	idx := &Index{APIVersion: "v1", Generated: base, Entries: map[string][]*ChartVersion{}}
	for c := range charts {
		name := fmt.Sprintf("%s-%s-%d", words[c%len(words)], words[(c/len(words))%len(words)], c)
		desc := "A Helm chart for " + strings.Join(pick(12+r.IntN(10)), " ")
		kw := pick(3 + r.IntN(4))
		maint := []*chart.Maintainer{{Name: "Maintainer " + pick(1)[0], Email: "team@example.com", URL: "https://example.com/team"}}
		for v := range versions {
			version := fmt.Sprintf("%d.%d.%d", 1+v/5, v%5, r.IntN(3))
			if v == versions-1 && c%10 == 0 {
				version += "-rc.1"
			}
			changes := make([]string, 2)
			for i := range changes {
				changes[i] = "    - kind: changed\n      description: " + strings.Join(pick(8), " ")
			}
			idx.Entries[name] = append(idx.Entries[name], &ChartVersion{
				Metadata: &chart.Metadata{
					APIVersion:  "v2",
					Name:        name,
					Version:     version,
					AppVersion:  fmt.Sprintf("%d.%d", 10+v, r.IntN(20)),
					Description: desc,
					Keywords:    kw,
					Home:        "https://example.com/charts/" + name,
					Sources:     []string{"https://github.com/example/charts/tree/main/" + name},
					Icon:        "https://example.com/icons/" + name + ".svg",
					Maintainers: maint,
					Type:        "application",
					Annotations: map[string]string{
						"artifacthub.io/changes": strings.Join(changes, "\n"),
						"category":               pick(1)[0],
						"licenses":               "Apache-2.0",
					},
					Dependencies: []*chart.Dependency{{Name: "common", Version: "2.x.x", Repository: "oci://registry.example.com/charts", Tags: []string{"common"}}},
				},
				URLs:    []string{"https://charts.example.com/" + name + "-" + version + ".tgz"},
				Created: base.Add(time.Duration(c*versions+v) * time.Hour),
				Digest:  fmt.Sprintf("%064x", r.Uint64()),
			})
		}
	}
	idx.SortEntries()
	return idx
}

func genIndexYAML(tb testing.TB, charts, versions int) []byte {
	tb.Helper()
	b, err := genIndex(tb, charts, versions).Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
