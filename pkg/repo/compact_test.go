package repo

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"encoding/json"
	"errors"
	"hash/crc32"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// lookupFields is what the compact form keeps of a version.
type lookupFields struct {
	Name, Version, AppVersion, Description, Digest string
	Keywords, URLs                                 []string
	Deprecated, Removed                            bool
	Created                                        time.Time
}

func fieldsOf(idx *Index) map[string][]lookupFields {
	out := map[string][]lookupFields{}
	for n, cvs := range idx.Entries {
		for _, cv := range cvs {
			out[n] = append(out[n], lookupFields{cv.Name, cv.Version, cv.AppVersion, cv.Description, cv.Digest, cv.Keywords, cv.URLs, cv.Deprecated, cv.Removed, cv.Created.UTC()})
		}
	}
	return out
}

func TestCompactRoundTrip(t *testing.T) {
	idx, err := ParseIndex(genIndexYAML(t, 50, 7), "gen")
	if err != nil {
		t.Fatal(err)
	}
	for _, cvs := range idx.Entries {
		cvs[0].Deprecated = true
		cvs[1].Removed = true
		break
	}
	idx.Skipped = []*EntryError{{Chart: "bad", Version: "x", Position: 3, Reason: "why"}}
	st := stamp{Size: 123, ModTime: 456, SHA256: [32]byte{1, 2, 3}}
	data := encodeCompact(idx, st)
	got, gotSt, err := decodeCompact(data)
	if err != nil {
		t.Fatal(err)
	}
	if gotSt != st {
		t.Errorf("stamp = %+v, want %+v", gotSt, st)
	}
	if diff := cmp.Diff(fieldsOf(idx), fieldsOf(got)); diff != "" {
		t.Errorf("entries (-want +got)\n%s", diff)
	}
	if diff := cmp.Diff(idx.Skipped, got.Skipped); diff != "" {
		t.Errorf("skipped (-want +got)\n%s", diff)
	}
	if !got.Generated.Equal(idx.Generated) || got.APIVersion != "v1" {
		t.Errorf("header: %v %v", got.Generated, got.APIVersion)
	}

	// Every damage is detected: a flipped bit, a cut file.
	for i := 0; i < len(data); i += 1 + len(data)/200 {
		bad := bytes.Clone(data)
		bad[i] ^= 0x10
		if _, _, err := decodeCompact(bad); !errors.Is(err, errCompact) {
			t.Fatalf("byte %d flipped: error %v", i, err)
		}
		if _, _, err := decodeCompact(data[:i]); !errors.Is(err, errCompact) {
			t.Fatalf("cut at %d: error %v", i, err)
		}
	}
}

// The benchmarks compare loading a 10,000-version index (1,000 charts × 10
// versions, about 10 MB of YAML) from its index.yaml with loading it from
// barge's compact form, and with gob and JSON encodings of the same fields
// (the alternatives the compact form was chosen over):
//
//	go test ./pkg/repo -run '^$' -bench 'Load10k' -benchmem
var benchYAML []byte

func benchData(b *testing.B) []byte {
	if benchYAML == nil {
		benchYAML = genIndexYAML(b, 1000, 10)
	}
	return benchYAML
}

func BenchmarkLoad10kYAML(b *testing.B) {
	data := benchData(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseIndex(data, "bench"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(data)), "file-bytes")
}

func BenchmarkLoad10kCompact(b *testing.B) {
	idx, err := ParseIndex(benchData(b), "bench")
	if err != nil {
		b.Fatal(err)
	}
	data := encodeCompact(idx, stamp{})
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := decodeCompact(data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(data)), "file-bytes")
}

func BenchmarkLoad10kGob(b *testing.B) {
	idx, err := ParseIndex(benchData(b), "bench")
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(fieldsOf(idx)); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		var out map[string][]lookupFields
		if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(data)), "file-bytes")
}

func BenchmarkLoad10kJSON(b *testing.B) {
	idx, err := ParseIndex(benchData(b), "bench")
	if err != nil {
		b.Fatal(err)
	}
	data, err := json.Marshal(fieldsOf(idx))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		var out map[string][]lookupFields
		if err := json.Unmarshal(data, &out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(data)), "file-bytes")
}

// putCRC sets the checksum of a compact file.
func putCRC(b []byte) {
	h := len(compactMagic)
	binary.LittleEndian.PutUint32(b[h:], crc32.Checksum(b[h+4:], castagnoli))
}

// BenchmarkCacheLoad10k is what a lookup pays to load a 10,000-version
// repository from the cache: stat the index.yaml, read and check the compact
// file, decode it. BenchmarkCacheLoad10kYAML is the same load from the
// index.yaml alone (what Helm does, and barge when the YAML changed).
func BenchmarkCacheLoad10k(b *testing.B) {
	c := benchCache(b)
	for b.Loop() {
		if _, err := c.Load(context.Background(), "big"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCacheLoad10kYAML(b *testing.B) {
	c := benchCache(b)
	for b.Loop() {
		data, err := os.ReadFile(c.Paths.IndexFile("big"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ParseIndex(data, "big"); err != nil {
			b.Fatal(err)
		}
	}
}

func benchCache(b *testing.B) *Cache {
	data := benchData(b)
	idx, err := ParseIndex(data, "bench")
	if err != nil {
		b.Fatal(err)
	}
	c := &Cache{Paths: Paths{Cache: b.TempDir()}}
	if err := c.write("big", data, idx); err != nil {
		b.Fatal(err)
	}
	return c
}
