package storage

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"helm.sh/helm/v3/pkg/chart"

	"github.com/bargehq/barge/pkg/release"
)

// helmV3Record is the JSON of a record as Helm v3 writes it (shared with
// package release's tests).
func helmV3Record(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/helm-v3-release.json")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// helmEncode wraps JSON the way Helm's driver does: gzip at best
// compression, then base64.
func helmEncode(t *testing.T, js []byte, gz bool) []byte {
	t.Helper()
	if gz {
		var buf bytes.Buffer
		w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		w.Write(js)
		w.Close()
		js = buf.Bytes()
	}
	return []byte(base64.StdEncoding.EncodeToString(js))
}

func TestDecode(t *testing.T) {
	js := helmV3Record(t)
	tests := []struct {
		name string
		data []byte
	}{
		{name: "gzipped, as Helm writes", data: helmEncode(t, js, true)},
		{name: "plain JSON, as Helm wrote before compressing", data: helmEncode(t, js, false)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rls, err := Decode(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(rls)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(js), string(got)); diff != "" {
				t.Errorf("record mismatch (-want +got):\n%s", diff)
			}
			sum, err := decodeSummary(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			plus1 := time.FixedZone("", 3600)
			want := Summary{
				Name: "greeter", Namespace: "apps", Revision: 3, Status: release.StatusDeployed,
				FirstDeployed: time.Date(2025, 3, 4, 10, 11, 12, 123456789, plus1),
				LastDeployed:  time.Date(2025, 3, 5, 8, 0, 1, 500000000, plus1),
				Description:   "Upgrade complete", Chart: "greeter", ChartVersion: "0.2.0", AppVersion: "1.16.0",
			}
			if diff := cmp.Diff(want, sum); diff != "" {
				t.Errorf("summary mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{name: "not base64", data: []byte("%%%")},
		{name: "truncated gzip", data: truncatedGzip(t)},
		{name: "not JSON", data: helmEncode(t, []byte("name: x"), true)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Decode(tt.data); err == nil {
				t.Error("want an error")
			}
		})
	}
}

func TestEncodeIsHelmsForm(t *testing.T) {
	rls := &release.Release{
		Name:      "greeter",
		Namespace: "apps",
		Version:   1,
		Info:      &release.Info{Status: release.StatusDeployed, LastDeployed: time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)},
		Chart:     &chart.Chart{Metadata: &chart.Metadata{Name: "greeter", Version: "0.1.0"}},
		Config:    map[string]any{"a": "b"},
		Manifest:  "kind: ConfigMap\n",
	}
	data, err := Encode(rls)
	if err != nil {
		t.Fatal(err)
	}
	gz, err := base64.StdEncoding.DecodeString(string(data))
	if err != nil {
		t.Fatalf("data.release is not base64: %v", err)
	}
	if !bytes.HasPrefix(gz, []byte{0x1f, 0x8b, 0x08}) {
		t.Fatalf("data.release is not gzip: % x", gz[:3])
	}
	// The compression level (Helm's is the best) is not part of the form:
	// Helm reads any level, which the Helm interoperability tests check.
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	js, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"greeter","info":{"first_deployed":"","last_deployed":"2025-01-02T03:04:05.000000006Z","deleted":"","status":"deployed"},` +
		`"chart":{"metadata":{"name":"greeter","version":"0.1.0"},"lock":null,"templates":null,"values":null,"schema":null,"files":null},` +
		`"config":{"a":"b"},"manifest":"kind: ConfigMap\n","version":1,"namespace":"apps"}`
	if diff := cmp.Diff(want, string(js)); diff != "" {
		t.Errorf("record JSON mismatch (-want +got):\n%s", diff)
	}
	back, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rls, back, cmpopts.IgnoreUnexported(chart.Chart{})); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
}

func truncatedGzip(t *testing.T) []byte {
	gz, err := base64.StdEncoding.DecodeString(string(helmEncode(t, []byte(`{"name":"x"}`), true)))
	if err != nil {
		t.Fatal(err)
	}
	return helmEncode(t, gz[:12], false)
}

func BenchmarkDecodeSummary(b *testing.B) {
	js, err := os.ReadFile("../testdata/helm-v3-release.json")
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(js)
	w.Close()
	data := []byte(base64.StdEncoding.EncodeToString(buf.Bytes()))
	var d decoder
	for b.Loop() {
		if _, err := d.summary(data); err != nil {
			b.Fatal(err)
		}
	}
}
