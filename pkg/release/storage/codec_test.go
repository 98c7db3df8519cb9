package storage

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"helm.sh/helm/v3/pkg/chart"

	bargechart "github.com/bargehq/barge/pkg/chart"
	"github.com/bargehq/barge/pkg/chart/render"
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

// gunzip undoes base64 and gzip with Go's gzip reader, as Helm does, reading
// to the end so that the reader checks the CRC and the size.
func gunzip(t *testing.T, data []byte) []byte {
	t.Helper()
	gz, err := base64.StdEncoding.DecodeString(string(data))
	if err != nil {
		t.Fatalf("base64: %v", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatalf("gzip header: %v", err)
	}
	js, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gzip: %v", err)
	}
	return js
}

// testChart returns a chart with every part of a chart's JSON set.
func testChart(name string) *chart.Chart {
	return &chart.Chart{
		Metadata: &chart.Metadata{
			APIVersion: chart.APIVersionV2, Name: name, Version: "1.2.3", AppVersion: "4",
			Dependencies: []*chart.Dependency{{Name: "db", Version: "1.x", Condition: "db.enabled"}},
		},
		Lock:      &chart.Lock{Digest: "sha256:abc", Dependencies: []*chart.Dependency{{Name: "db", Version: "1.0.0"}}},
		Templates: []*chart.File{{Name: "templates/cm.yaml", Data: []byte("kind: ConfigMap\nname: {{ .Release.Name }}\n")}},
		Values:    map[string]any{"replicas": 2, "image": map[string]any{"tag": "v1"}},
		Schema:    []byte(`{"type":"object"}`),
		Files:     []*chart.File{{Name: "README.md", Data: []byte("# " + name + "\n")}},
	}
}

func TestRecordEncoder(t *testing.T) {
	shared := testChart("shared")
	escapes := testChart("escapes")
	escapes.Metadata.Description = "\"quoted\" <b>bold</b> & more \u2028\u2029 tab\t nul\x00 bad\xff utf-8 é"
	escapes.Values = map[string]any{"html": "<script>alert('x')</script>", "amp": "a&b", "nl": "a\nb", `k"ey`: `\`}
	escapes.Templates = append(escapes.Templates, &chart.File{Name: "templates/bin", Data: []byte{0, 0xff, '"', '\\', '<'}})
	deployed := time.Date(2025, 1, 2, 3, 4, 5, 6, time.FixedZone("", 3600))
	record := func(name string, ch *chart.Chart) *release.Release {
		return &release.Release{
			Name: name, Namespace: "apps", Version: 2, Chart: ch,
			Info:     &release.Info{Status: release.StatusDeployed, FirstDeployed: deployed, LastDeployed: deployed, Description: "Upgrade complete", Notes: "see <http://x>"},
			Config:   map[string]any{"replicas": 3, "tag": "v2"},
			Manifest: "---\n# Source: x/templates/cm.yaml\nkind: ConfigMap\n",
		}
	}
	withHooks := record("hooked", shared)
	withHooks.Hooks = []*release.Hook{{
		Name: "migrate", Kind: "Job", Path: "x/templates/job.yaml", Manifest: "kind: Job\n",
		Events: []release.HookEvent{release.HookPreUpgrade}, Weight: -5,
		LastRun: release.HookExecution{StartedAt: deployed, CompletedAt: deployed, Phase: release.HookPhaseSucceeded},
	}}
	// A render copies the chart and its metadata and shares the rest.
	copied := *shared
	md := *shared.Metadata
	copied.Metadata = &md
	// A raw JSON value holding the placeholder's JSON makes the cut unsafe.
	placeholder, err := json.Marshal(placeholderChart())
	if err != nil {
		t.Fatal(err)
	}
	rawPlaceholder := record("raw", shared)
	rawPlaceholder.Info.Resources = map[string][]json.RawMessage{"v1/Pod": {placeholder}}

	tests := []struct {
		name    string
		rls     *release.Release
		spliced bool
	}{
		{name: "no chart", rls: &release.Release{Name: "bare", Namespace: "apps", Version: 1, Info: &release.Info{Status: release.StatusFailed}}},
		{name: "empty chart", rls: record("empty", &chart.Chart{}), spliced: true},
		{name: "chart and config, no hooks", rls: record("plain", shared), spliced: true},
		{name: "hooks, chart from the cache", rls: withHooks, spliced: true},
		{name: "a render's copy of the chart", rls: record("copied", &copied), spliced: true},
		{name: "characters JSON escapes", rls: record("escapes", escapes), spliced: true},
		{name: "no config", rls: &release.Release{Name: "noconfig", Chart: shared, Version: 1}, spliced: true},
		{name: "placeholder JSON elsewhere in the record", rls: rawPlaceholder},
	}
	enc, err := newRecordEncoder()
	if err != nil {
		t.Fatal(err)
	}
	enc.small = 0 // these records are small: cut them all the same
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := json.Marshal(tt.rls)
			if err != nil {
				t.Fatal(err)
			}
			for _, round := range []string{"first", "second"} {
				data, err := enc.encode(tt.rls)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(string(want), string(gunzip(t, data))); diff != "" {
					t.Fatalf("%s encoding: record JSON mismatch (-want +got):\n%s", round, diff)
				}
				back, err := Decode(data)
				if err != nil {
					t.Fatalf("%s encoding: Decode: %v", round, err)
				}
				var unmarshalled release.Release
				if err := json.Unmarshal(want, &unmarshalled); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(&unmarshalled, back, cmpopts.IgnoreUnexported(chart.Chart{})); diff != "" {
					t.Errorf("%s encoding: decoded record mismatch (-want +got):\n%s", round, diff)
				}
				gz, _ := base64.StdEncoding.DecodeString(string(data))
				if got := containsPieceOf(t, enc, tt.rls.Chart, gz); got != tt.spliced {
					t.Errorf("%s encoding: stream holds the chart's cached piece: %v, want %v", round, got, tt.spliced)
				}
			}
		})
	}
}

// containsPieceOf reports whether enc has a compressed piece for ch and the
// gzip stream gz holds it.
func containsPieceOf(t *testing.T, enc *recordEncoder, ch *chart.Chart, gz []byte) bool {
	t.Helper()
	if ch == nil {
		return false
	}
	key, err := keyOf(ch)
	if err != nil {
		t.Fatal(err)
	}
	enc.mu.Lock()
	defer enc.mu.Unlock()
	for _, p := range enc.charts {
		if p.key == key {
			return bytes.Contains(gz, p.z)
		}
	}
	return false
}

func TestChartKey(t *testing.T) {
	base := testChart("app")
	copyOf := func(change func(c *chart.Chart)) *chart.Chart {
		c := *base
		md := *base.Metadata
		md.Dependencies = slices.Clone(md.Dependencies)
		for i, d := range md.Dependencies {
			dc := *d
			md.Dependencies[i] = &dc
		}
		c.Metadata = &md
		if change != nil {
			change(&c)
		}
		return &c
	}
	tests := []struct {
		name string
		a, b *chart.Chart
		same bool
	}{
		{name: "the same chart", a: base, b: base, same: true},
		{name: "a render's copy", a: base, b: copyOf(nil), same: true},
		{name: "two renders' copies", a: copyOf(nil), b: copyOf(nil), same: true},
		{name: "a dependency enabled by the values", a: base, b: copyOf(func(c *chart.Chart) { c.Metadata.Dependencies[0].Enabled = true })},
		{name: "another version", a: base, b: copyOf(func(c *chart.Chart) { c.Metadata.Version = "1.2.4" })},
		{name: "templates of equal content", a: base, b: copyOf(func(c *chart.Chart) { c.Templates = slices.Clone(c.Templates) })},
		{name: "fewer templates", a: base, b: copyOf(func(c *chart.Chart) { c.Templates = c.Templates[:0] })},
		{name: "nil and empty templates", a: copyOf(func(c *chart.Chart) { c.Templates = nil }), b: copyOf(func(c *chart.Chart) { c.Templates = []*chart.File{} })},
		{name: "nil and empty values", a: copyOf(func(c *chart.Chart) { c.Values = nil }), b: copyOf(func(c *chart.Chart) { c.Values = map[string]any{} })},
		{name: "values of equal content", a: base, b: copyOf(func(c *chart.Chart) { c.Values = maps.Clone(c.Values) })},
		{name: "nil and empty schema", a: copyOf(func(c *chart.Chart) { c.Schema = nil }), b: copyOf(func(c *chart.Chart) { c.Schema = []byte{} })},
		{name: "another lock", a: base, b: copyOf(func(c *chart.Chart) { l := *c.Lock; c.Lock = &l })},
		{name: "no files", a: base, b: copyOf(func(c *chart.Chart) { c.Files = nil })},
		{name: "no metadata", a: base, b: copyOf(func(c *chart.Chart) { c.Metadata = nil })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ka, err := keyOf(tt.a)
			if err != nil {
				t.Fatal(err)
			}
			kb, err := keyOf(tt.b)
			if err != nil {
				t.Fatal(err)
			}
			if got := ka == kb; got != tt.same {
				t.Fatalf("equal keys: %v, want %v", got, tt.same)
			}
			if !tt.same {
				return
			}
			ja, _ := json.Marshal(tt.a)
			jb, _ := json.Marshal(tt.b)
			if diff := cmp.Diff(string(ja), string(jb)); diff != "" {
				t.Errorf("charts of equal keys differ in JSON (-a +b):\n%s", diff)
			}
		})
	}
}

// TestChartKeyCoversChart fails when Helm's Chart gains a member of its
// JSON that chartKey does not cover, or starts marshalling itself.
func TestChartKeyCoversChart(t *testing.T) {
	var got []string
	typ := reflect.TypeFor[chart.Chart]()
	for f := range typ.Fields() {
		if f.IsExported() && f.Tag.Get("json") != "-" {
			got = append(got, f.Name)
		}
	}
	want := []string{"Metadata", "Lock", "Templates", "Values", "Schema", "Files"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("chart.Chart's JSON members changed; update chartKey (-want +got):\n%s", diff)
	}
	marshaler := reflect.TypeFor[json.Marshaler]()
	if typ.Implements(marshaler) || reflect.PointerTo(typ).Implements(marshaler) {
		t.Error("chart.Chart has a MarshalJSON method; chartKey assumes the default encoding")
	}
}

func TestRecordEncoderCache(t *testing.T) {
	charts := make([]*chart.Chart, 12)
	for i := range charts {
		charts[i] = testChart(fmt.Sprintf("chart-%02d", i))
	}
	cached := func(enc *recordEncoder) []string {
		enc.mu.Lock()
		defer enc.mu.Unlock()
		var names []string
		for _, p := range enc.charts {
			var md chart.Metadata
			if err := json.Unmarshal([]byte(p.key.metadata), &md); err != nil {
				t.Fatal(err)
			}
			names = append(names, md.Name)
		}
		return names
	}
	encodeAll := func(t *testing.T, enc *recordEncoder, idx ...int) {
		t.Helper()
		for _, i := range idx {
			if _, err := enc.encode(&release.Release{Name: "r", Chart: charts[i]}); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name    string
		encoded []int
		want    []string
	}{
		{name: "fewer than the bound", encoded: []int{0, 1, 0}, want: []string{"chart-01", "chart-00"}},
		{
			name: "the least recently used evicted", encoded: []int{0, 1, 2, 3, 4, 5, 6, 7, 0, 8, 9},
			want: []string{"chart-03", "chart-04", "chart-05", "chart-06", "chart-07", "chart-00", "chart-08", "chart-09"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := newRecordEncoder()
			if err != nil {
				t.Fatal(err)
			}
			encodeAll(t, enc, tt.encoded...)
			if diff := cmp.Diff(tt.want, cached(enc)); diff != "" {
				t.Errorf("cached charts mismatch (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("same JSON under another key shares the compressed piece", func(t *testing.T) {
		enc, err := newRecordEncoder()
		if err != nil {
			t.Fatal(err)
		}
		other := *charts[0]
		other.Values = maps.Clone(other.Values)
		encodeAll(t, enc, 0)
		if _, err := enc.encode(&release.Release{Name: "r", Chart: &other}); err != nil {
			t.Fatal(err)
		}
		enc.mu.Lock()
		defer enc.mu.Unlock()
		if len(enc.charts) != 2 {
			t.Fatalf("%d charts cached, want 2", len(enc.charts))
		}
		if &enc.charts[0].z[0] != &enc.charts[1].z[0] {
			t.Error("the second chart was compressed again")
		}
	})

	t.Run("concurrent writers", func(t *testing.T) {
		enc, err := newRecordEncoder()
		if err != nil {
			t.Fatal(err)
		}
		const goroutines, records = 8, 40
		errs := make(chan error, goroutines)
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				for i := range records {
					rls := &release.Release{Name: fmt.Sprintf("r-%d-%d", g, i), Version: 1, Chart: charts[(g+i)%len(charts)]}
					data, err := enc.encode(rls)
					if err != nil {
						errs <- err
						return
					}
					want, _ := json.Marshal(rls)
					if got, err := Decode(data); err != nil || got.Name != rls.Name {
						errs <- fmt.Errorf("%s: decode: %v", rls.Name, err)
						return
					}
					if js := gunzip(t, data); !bytes.Equal(js, want) {
						errs <- fmt.Errorf("%s: record JSON differs", rls.Name)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if n := len(cached(enc)); n > maxCachedCharts {
			t.Errorf("%d charts cached, want at most %d", n, maxCachedCharts)
		}
	})
}

func TestPrecodedRecordIsTaken(t *testing.T) {
	enc, err := newRecordEncoder()
	if err != nil {
		t.Fatal(err)
	}
	s := &Secrets{pre: &precoder{}, enc: enc}
	rls := &release.Release{Name: "app", Version: 1, Chart: testChart("app"), Info: &release.Info{Status: release.StatusDeployed}}
	s.Precode(rls)
	precoded := s.pre.entries[0]
	<-precoded.done
	tests := []struct {
		name  string
		rls   *release.Release
		taken bool
	}{
		{name: "another status", rls: &release.Release{Name: "app", Version: 1, Chart: rls.Chart, Info: &release.Info{Status: release.StatusFailed}}},
		{name: "another chart of the same name", rls: &release.Release{Name: "app", Version: 1, Chart: testChart("app"), Info: &release.Info{Status: release.StatusDeployed}}},
		{name: "the same record", rls: rls, taken: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := s.encode(tt.rls)
			if err != nil {
				t.Fatal(err)
			}
			if got := &data[0] == &precoded.data[0]; got != tt.taken {
				t.Errorf("precoded record used: %v, want %v", got, tt.taken)
			}
			want, _ := json.Marshal(tt.rls)
			if diff := cmp.Diff(string(want), string(gunzip(t, data))); diff != "" {
				t.Errorf("record JSON mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// fleetRecords renders the joomla chart for n releases, as a fleet installs
// them, and returns their deployed records.
func fleetRecords(b testing.TB, n int) []*release.Release {
	b.Helper()
	ch, err := bargechart.Load("../../../charts/joomla")
	if err != nil {
		b.Fatal(err)
	}
	r, err := render.New(ch)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	out := make([]*release.Release, n)
	for i := range out {
		name, ns := fmt.Sprintf("site-%03d", i), fmt.Sprintf("tenant-%03d", i)
		vals := map[string]any{"joomla": map[string]any{"siteName": "Site " + name}}
		res, err := r.Render(context.Background(), render.Options{ReleaseName: name, Namespace: ns, Values: vals})
		if err != nil {
			b.Fatal(err)
		}
		var hooks []*release.Hook
		for _, h := range res.Hooks {
			rh := &release.Hook{Name: h.Name, Kind: h.Kind, Path: h.Source, Manifest: h.Content, Weight: h.Weight}
			for _, ev := range h.Events {
				rh.Events = append(rh.Events, release.HookEvent(ev))
			}
			hooks = append(hooks, rh)
		}
		out[i] = &release.Release{
			Name: name, Namespace: ns, Version: 1, Chart: res.Chart, Config: vals,
			Manifest: res.Manifest, Hooks: hooks, ApplyMethod: release.ApplyMethodServerSide,
			Info: &release.Info{FirstDeployed: now, LastDeployed: now, Status: release.StatusDeployed, Description: "Install complete", Notes: res.Notes},
		}
	}
	return out
}

// BenchmarkEncodeRecord encodes the records of a fleet of joomla releases
// whole (Encode) and with the chart compressed once (recordEncoder).
func BenchmarkEncodeRecord(b *testing.B) {
	records := fleetRecords(b, 16)
	enc, err := newRecordEncoder()
	if err != nil {
		b.Fatal(err)
	}
	tests := []struct {
		name   string
		encode func(*release.Release) ([]byte, error)
	}{
		{name: "whole", encode: Encode},
		{name: "cached-chart", encode: enc.encode},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			var i, size int
			for b.Loop() {
				data, err := tt.encode(records[i%len(records)])
				if err != nil {
					b.Fatal(err)
				}
				size += base64.StdEncoding.DecodedLen(len(data))
				i++
			}
			b.ReportMetric(float64(size)/float64(i), "gzip-B/record")
		})
	}
}
