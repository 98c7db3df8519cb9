package storage

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	helmrelease "helm.sh/helm/v3/pkg/release"

	"github.com/bargehq/barge/pkg/release"
)

// helmSize returns the length of data.release as Helm's Secrets driver
// writes it for rls, computed the way Helm computes it and independently of
// the code under test: the record marshalled with encoding/json (the same
// JSON: Helm v4 writes apply_method too, which v3's type lacks), gzipped
// with Go's compress/gzip at BestCompression, then base64.
func helmSize(t testing.TB, rls *release.Release) int {
	t.Helper()
	js, err := json.Marshal(rls)
	if err != nil {
		t.Fatal(err)
	}
	var h helmrelease.Release
	if err := json.Unmarshal(js, &h); err != nil {
		t.Fatalf("Helm cannot read the record: %v", err)
	}
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(js); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodedLen(buf.Len())
}

// fileContent returns n bytes of a kind of content charts carry, made from
// a fixed seed.
func fileContent(kind string, n int) []byte {
	r := rand.New(rand.NewPCG(uint64(n), 14))
	b := make([]byte, n)
	alphabet := map[string]string{
		"hex":    "0123456789abcdef",
		"base64": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
		"words":  "the quick brown fox jumps over a lazy dog; ",
	}[kind]
	for i := range b {
		if alphabet == "" {
			b[i] = byte(r.Uint32()) // binary: incompressible
		} else {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
	}
	return b
}

// recordWithFile returns a deployed record whose chart holds one file.
func recordWithFile(t testing.TB, name string, file []byte) *release.Release {
	rls := fleetRecords(t, 1)[0]
	rls.Name = name
	ch := *rls.Chart
	ch.Files = append(append([]*chart.File(nil), ch.Files...), &chart.File{Name: "files/blob", Data: file})
	rls.Chart = &ch
	return rls
}

// TestEncodedNoLargerThanHelms checks that a record barge writes takes no
// more room than Helm's encoding of the same record, for records from a
// few hundred bytes to near the limit of a Secret, with the chart
// compressed fresh and from the cache.
func TestEncodedNoLargerThanHelms(t *testing.T) {
	type tc struct {
		name string
		rls  *release.Release
	}
	tests := []tc{
		{name: "tiny", rls: &release.Release{Name: "tiny", Namespace: "apps", Version: 1, Info: &release.Info{Status: release.StatusDeployed}, Chart: &chart.Chart{Metadata: &chart.Metadata{Name: "tiny", Version: "0.1.0"}}}},
		{name: "small chart", rls: &release.Release{Name: "small", Namespace: "apps", Version: 2, Chart: testChart("small"), Info: &release.Info{Status: release.StatusDeployed, Description: "Upgrade complete"}, Manifest: "---\nkind: ConfigMap\n"}},
	}
	for i, rls := range fleetRecords(t, 4) {
		tests = append(tests, tc{name: fmt.Sprintf("joomla %d", i), rls: rls})
	}
	for _, kind := range []string{"binary", "hex", "base64", "words"} {
		for _, n := range []int{20_000, 200_000, 700_000} {
			tests = append(tests, tc{name: fmt.Sprintf("%s file of %d bytes", kind, n), rls: recordWithFile(t, "file", fileContent(kind, n))})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			helm := helmSize(t, tt.rls)
			enc, err := newRecordEncoder()
			if err != nil {
				t.Fatal(err)
			}
			for _, round := range []string{"chart compressed", "chart from the cache"} {
				data, err := enc.encode(tt.rls)
				if err != nil {
					t.Fatal(err)
				}
				if len(data) > helm {
					t.Errorf("%s: encoded in %d bytes, Helm's encoding takes %d (%+.2f%%)", round, len(data), helm, 100*float64(len(data)-helm)/float64(helm))
				}
				t.Logf("%s: %d bytes, Helm's %d (%+.2f%%)", round, len(data), helm, 100*float64(len(data)-helm)/float64(helm))
			}
			whole, err := Encode(tt.rls)
			if err != nil {
				t.Fatal(err)
			}
			if len(whole) > helm {
				t.Errorf("Encode: %d bytes, Helm's encoding takes %d", len(whole), helm)
			}
		})
	}
}
