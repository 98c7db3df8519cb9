package storage

import (
	"bytes"
	goflate "compress/flate"
	"compress/gzip"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"time"
	"unsafe"

	"github.com/klauspost/compress/flate"
	"helm.sh/helm/v3/pkg/chart"

	"github.com/bargehq/barge/pkg/release"
)

// gzipMagic starts every gzip stream. Records written before Helm compressed
// them are plain JSON and lack it.
var gzipMagic = []byte{0x1f, 0x8b, 0x08}

// Encode returns a release in the form Helm keeps in data.release of a
// Secret: base64 of the gzip of the JSON record, compressed at the best
// level as Helm does (see compress), so that a record that fits in a
// Secret when Helm writes it fits when barge does. (klauspost/compress's
// default level, used before, leaves data that looks random, such as the
// base64 of a chart's binary files, uncompressed: records were a quarter
// larger than Helm's.) Kubernetes base64-encodes Secret data again on the
// wire; this inner layer is Helm's.
func Encode(rls *release.Release) ([]byte, error) {
	b, err := json.Marshal(rls)
	if err != nil {
		return nil, fmt.Errorf("release %q: encode: %w", rls.Name, err)
	}
	data, err := compress(b)
	if err != nil {
		return nil, fmt.Errorf("release %q: %w", rls.Name, err)
	}
	return data, nil
}

// compress returns base64 of the gzip of a record's JSON, as Encode does:
// one deflate stream, the shorter of klauspost/compress's and Go's at their
// best levels, so never longer than Helm's.
func compress(b []byte) ([]byte, error) {
	z, err := deflateBest(b, nil, nil, false)
	if err != nil {
		return nil, fmt.Errorf("compress: %w", err)
	}
	gz := make([]byte, 0, len(gzipHeader)+len(z)+8)
	gz = append(gz, gzipHeader...)
	gz = append(gz, z...)
	gz = binary.LittleEndian.AppendUint32(gz, crc32.ChecksumIEEE(b))
	gz = binary.LittleEndian.AppendUint32(gz, uint32(len(b))) // ISIZE is the size modulo 2^32
	out := make([]byte, base64.StdEncoding.EncodedLen(len(gz)))
	base64.StdEncoding.Encode(out, gz)
	return out, nil
}

// deflateBest compresses b with klauspost/compress and with Go's
// compress/flate, both at their best level, and returns the shorter: the
// first is faster and shorter on text, the second a little shorter on data
// that looks random (the base64 of a chart's binary files in the JSON), and
// it is the one Helm uses. With flush set the stream ends with a sync flush
// (byte-aligned, not final), else it is closed. The writers are taken from
// and put back into the pools when given.
func deflateBest(b []byte, kpool, gopool *sync.Pool, flush bool) ([]byte, error) {
	var kbuf, gbuf bytes.Buffer
	kbuf.Grow(len(b)/3 + 64)
	gbuf.Grow(len(b)/3 + 64)
	kw, err := pooled(kpool, &kbuf, func(w io.Writer) (*flate.Writer, error) { return flate.NewWriter(w, flate.BestCompression) })
	if err != nil {
		return nil, err
	}
	if err := finish(kw, b, flush); err != nil {
		return nil, err
	}
	gw, err := pooled(gopool, &gbuf, func(w io.Writer) (*goflate.Writer, error) { return goflate.NewWriter(w, goflate.BestCompression) })
	if err != nil {
		return nil, err
	}
	if err := finish(gw, b, flush); err != nil {
		return nil, err
	}
	if kpool != nil {
		kpool.Put(kw)
	}
	if gopool != nil {
		gopool.Put(gw)
	}
	if gbuf.Len() < kbuf.Len() {
		return gbuf.Bytes(), nil
	}
	return kbuf.Bytes(), nil
}

// deflateWriter is what klauspost/compress's and Go's deflate writers share.
type deflateWriter interface {
	io.Writer
	Flush() error
	Close() error
	Reset(io.Writer)
}

// pooled returns a writer onto dst from pool when it has one, else a new one.
func pooled[W deflateWriter](pool *sync.Pool, dst io.Writer, newWriter func(io.Writer) (W, error)) (W, error) {
	if pool != nil {
		if w, ok := pool.Get().(W); ok {
			w.Reset(dst)
			return w, nil
		}
	}
	return newWriter(dst)
}

// finish writes b to w and flushes (sync) or closes it.
func finish(w deflateWriter, b []byte, flush bool) error {
	if _, err := w.Write(b); err != nil {
		return err
	}
	if flush {
		return w.Flush()
	}
	return w.Close()
}

// gzipHeader starts the gzip streams a recordEncoder writes (RFC 1952):
// deflate, no flags, no modification time, no extra flags, unknown OS, as
// Go's gzip writers write it.
const gzipHeader = "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"

// maxCachedCharts bounds the charts a recordEncoder keeps compressed.
const maxCachedCharts = 8

// placeholderName names the chart that stands in for a record's chart while
// the rest of the record is marshalled.
const placeholderName = "barge.storage/chart-placeholder-5e0c7a19"

// smallRecord is the length of JSON under which a recordEncoder compresses
// a record whole: cutting it saves little time, and the pieces' own
// Huffman tables and flushes would make it longer than Helm's.
const smallRecord = 16 << 10

// recordEncoder encodes records as Encode does, compressing the JSON of
// each chart once. A record's gzip stream is three deflate pieces, each
// compressed on its own: the JSON before the chart, the chart's JSON
// (compressed once, by deflateBest, and reused for every record of that
// chart) and the JSON after it (at textLevel). The first two end with a
// sync flush (byte-aligned, not final), so their concatenation with the
// last, closed piece is one deflate stream whose back-references stay
// within their piece. The stream is no longer than Helm's (one stream at
// Go's best level), as TestEncodedNoLargerThanHelms checks on records from
// 200 bytes to 1 MiB; a record of less than smallRecord of JSON is
// compressed whole, by compress.
//
// It keeps the last maxCachedCharts charts it saw. Records of charts with
// dependencies get a new values map at every render, so their chart JSON is
// marshalled for every record and matched by content: only the compression
// is saved for them.
//
// A recordEncoder may be used by several goroutines at once.
type recordEncoder struct {
	marker  []byte    // the JSON of placeholderChart()
	small   int       // records of less JSON are compressed whole: smallRecord
	writers sync.Pool // *flate.Writer at textLevel

	mu     sync.Mutex
	charts []*chartPiece // least recently used first
}

// newRecordEncoder returns an encoder with an empty cache.
func newRecordEncoder() (*recordEncoder, error) {
	m, err := json.Marshal(placeholderChart())
	if err != nil {
		return nil, fmt.Errorf("record encoder: %w", err)
	}
	return &recordEncoder{marker: m, small: smallRecord}, nil
}

// placeholderChart returns the chart that stands in for a record's chart.
func placeholderChart() *chart.Chart {
	return &chart.Chart{Metadata: &chart.Metadata{Name: placeholderName}}
}

// recordParts is the JSON of a record cut around the value of its "chart"
// member: prefix, then the JSON of chart, then suffix. When chart is nil
// the record is whole in prefix.
type recordParts struct {
	prefix, suffix []byte
	chart          *chart.Chart
	key            chartKey
}

// same reports whether r and o are the same JSON.
func (r *recordParts) same(o *recordParts) bool {
	return (r.chart == nil) == (o.chart == nil) && r.key == o.key &&
		bytes.Equal(r.prefix, o.prefix) && bytes.Equal(r.suffix, o.suffix)
}

// split marshals rls cut around its chart. A nil encoder does not cut.
func (e *recordEncoder) split(rls *release.Release) (recordParts, error) {
	if e == nil || rls.Chart == nil {
		b, err := json.Marshal(rls)
		return recordParts{prefix: b}, err
	}
	c := *rls
	c.Chart = placeholderChart()
	b, err := json.Marshal(&c)
	if err != nil {
		return recordParts{}, err
	}
	// The placeholder is in the JSON once; if its JSON is there twice (a raw
	// JSON value such as Info.Resources could hold it), the cut is unsafe.
	i := bytes.Index(b, e.marker)
	if i < 0 || i != bytes.LastIndex(b, e.marker) {
		b, err := json.Marshal(rls)
		return recordParts{prefix: b}, err
	}
	key, err := keyOf(rls.Chart)
	if err != nil {
		return recordParts{}, err
	}
	return recordParts{prefix: b[:i:i], suffix: b[i+len(e.marker):], chart: rls.Chart, key: key}, nil
}

// encode returns rls encoded as Encode does.
func (e *recordEncoder) encode(rls *release.Release) ([]byte, error) {
	parts, err := e.split(rls)
	if err != nil {
		return nil, fmt.Errorf("release %q: encode: %w", rls.Name, err)
	}
	data, err := e.compress(&parts)
	if err != nil {
		return nil, fmt.Errorf("release %q: %w", rls.Name, err)
	}
	return data, nil
}

// compress returns base64 of the gzip of the record r, reusing the
// compressed JSON of its chart. A nil encoder compresses the record whole.
func (e *recordEncoder) compress(r *recordParts) ([]byte, error) {
	if e == nil {
		return compress(r.prefix)
	}
	var p *chartPiece
	if r.chart != nil {
		var err error
		if p, err = e.piece(r.chart, r.key); err != nil {
			return nil, fmt.Errorf("encode chart: %w", err)
		}
	}
	if p != nil && len(r.prefix)+len(p.json)+len(r.suffix) < e.small {
		return compress(slices.Concat(r.prefix, p.json, r.suffix))
	}
	var gz bytes.Buffer
	gz.Grow(len(gzipHeader) + (len(r.prefix)+len(r.suffix))/3 + 8 + p.compressedLen())
	gz.WriteString(gzipHeader)
	w, err := e.writer(&gz)
	if err != nil {
		return nil, fmt.Errorf("compress: %w", err)
	}
	defer e.writers.Put(w)
	crc := crc32.ChecksumIEEE(r.prefix)
	size := len(r.prefix)
	if _, err := w.Write(r.prefix); err != nil {
		return nil, fmt.Errorf("compress: %w", err)
	}
	if p != nil {
		if err := w.Flush(); err != nil {
			return nil, fmt.Errorf("compress: %w", err)
		}
		gz.Write(p.z)
		crc = crc32.Update(crc, crc32.IEEETable, p.json)
		w.Reset(&gz)
		if _, err := w.Write(r.suffix); err != nil {
			return nil, fmt.Errorf("compress: %w", err)
		}
		crc = crc32.Update(crc, crc32.IEEETable, r.suffix)
		size += len(p.json) + len(r.suffix)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("compress: %w", err)
	}
	var trailer [8]byte
	binary.LittleEndian.PutUint32(trailer[:4], crc)
	binary.LittleEndian.PutUint32(trailer[4:], uint32(size)) // ISIZE is the size modulo 2^32
	gz.Write(trailer[:])
	out := make([]byte, base64.StdEncoding.EncodedLen(gz.Len()))
	base64.StdEncoding.Encode(out, gz.Bytes())
	return out, nil
}

// writer returns a deflate writer onto dst, from the pool when it can.
func (e *recordEncoder) writer(dst io.Writer) (*flate.Writer, error) {
	if w, ok := e.writers.Get().(*flate.Writer); ok {
		w.Reset(dst)
		return w, nil
	}
	return flate.NewWriter(dst, textLevel)
}

// textLevel is the level at which a recordEncoder compresses the JSON of a
// record around its chart (text: the manifest, hooks and values): the best
// level (9) takes twice the time for streams 0.1% shorter; below 8,
// klauspost/compress leaves text streams longer than Helm's.
const textLevel = 8

// chartPiece is the JSON of a chart and its deflate, ending with a sync
// flush. Its fields are set before ready is closed and not changed after.
type chartPiece struct {
	key   chartKey
	ready chan struct{}
	json  []byte
	z     []byte
	err   error
}

// compressedLen returns the length of the compressed piece, 0 for nil.
func (p *chartPiece) compressedLen() int {
	if p == nil {
		return 0
	}
	return len(p.z)
}

// piece returns the compressed JSON of ch, whose key is key, compressing it
// unless a recent record had a chart of the same key or the same JSON.
// Several goroutines asking for a chart the encoder lacks wait for the one
// that compresses it.
func (e *recordEncoder) piece(ch *chart.Chart, key chartKey) (*chartPiece, error) {
	e.mu.Lock()
	for i, p := range e.charts {
		if p.key == key {
			copy(e.charts[i:], e.charts[i+1:])
			e.charts[len(e.charts)-1] = p
			e.mu.Unlock()
			<-p.ready
			return p, p.err
		}
	}
	p := &chartPiece{key: key, ready: make(chan struct{})}
	if len(e.charts) >= maxCachedCharts {
		copy(e.charts, e.charts[1:])
		e.charts = e.charts[:len(e.charts)-1]
	}
	e.charts = append(e.charts, p)
	others := append([]*chartPiece(nil), e.charts[:len(e.charts)-1]...)
	e.mu.Unlock()

	defer close(p.ready)
	if p.json, p.err = json.Marshal(ch); p.err != nil {
		e.forget(p)
		return p, p.err
	}
	for _, o := range others {
		select {
		case <-o.ready:
			if o.err == nil && bytes.Equal(o.json, p.json) {
				p.json, p.z = o.json, o.z
				return p, nil
			}
		default:
		}
	}
	if p.z, p.err = e.deflate(p.json); p.err != nil {
		e.forget(p)
	}
	return p, p.err
}

// forget removes p from the cache, if it is there.
func (e *recordEncoder) forget(p *chartPiece) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, o := range e.charts {
		if o == p {
			e.charts = append(e.charts[:i], e.charts[i+1:]...)
			return
		}
	}
}

// deflate compresses a chart's JSON on its own, ending with a sync flush,
// as deflateBest does: its cost is shared by every record of the chart.
func (e *recordEncoder) deflate(b []byte) ([]byte, error) {
	return deflateBest(b, nil, nil, true)
}

// chartKey identifies the JSON of a record's chart without marshalling all
// of it: two charts of equal keys have the same JSON.
//
// A record's chart is a copy the renderer makes of the loaded chart: a new
// Chart and Metadata (whose dependencies it changes by the values) that
// share the loaded chart's lock, templates, values, schema and files. The
// metadata is small and compared by its JSON; the shared parts are compared
// by identity, which is sound because charts are not modified after
// loading (nothing in barge writes to a loaded chart: rendering and
// coalescing copy what they change). Identity is by address, and the key
// holds the pointers themselves, so the objects stay alive while a key
// refers to them and no other object can take their address. A slice is
// identified by the address of its first element and its length (and
// whether it is nil, which changes its JSON), a map by its address.
//
// TestChartKeyCoversChart fails if Helm's Chart gains a field in its JSON.
type chartKey struct {
	metadata  string
	lock      *chart.Lock
	templates sliceID[*chart.File]
	values    unsafe.Pointer
	schema    sliceID[byte]
	files     sliceID[*chart.File]
}

// sliceID identifies the elements of a slice.
type sliceID[T any] struct {
	first  *T
	n      int
	nonNil bool
}

func idOf[T any](s []T) sliceID[T] {
	id := sliceID[T]{n: len(s), nonNil: s != nil}
	if len(s) > 0 {
		id.first = &s[0]
	}
	return id
}

// keyOf returns the key of ch, marshalling its metadata.
func keyOf(ch *chart.Chart) (chartKey, error) {
	md, err := json.Marshal(ch.Metadata)
	if err != nil {
		return chartKey{}, err
	}
	return chartKey{
		metadata:  string(md),
		lock:      ch.Lock,
		templates: idOf(ch.Templates),
		values:    reflect.ValueOf(ch.Values).UnsafePointer(),
		schema:    idOf(ch.Schema),
		files:     idOf(ch.Files),
	}, nil
}

// Decode reads a release from the data.release of a Secret, gzipped or not
// (Helm reads both).
func Decode(data []byte) (*release.Release, error) {
	var rls release.Release
	if err := decodeInto(data, &rls); err != nil {
		return nil, err
	}
	return &rls, nil
}

// decodeInto undoes Helm's base64 and gzip layers and unmarshals the JSON into v.
func decodeInto(data []byte, v any) error {
	var d decoder
	return d.decodeInto(data, v)
}

// decoder decodes records, reusing its buffers and gzip reader from one
// record to the next. A decoder is used by one goroutine at a time.
type decoder struct {
	raw   []byte
	plain bytes.Buffer
	br    bytes.Reader
	zr    *gzip.Reader
}

func (d *decoder) decodeInto(data []byte, v any) error {
	if n := base64.StdEncoding.DecodedLen(len(data)); cap(d.raw) < n {
		d.raw = make([]byte, n)
	}
	n, err := base64.StdEncoding.Decode(d.raw[:cap(d.raw)], data)
	if err != nil {
		return fmt.Errorf("base64: %w", err)
	}
	return d.decodeGzip(d.raw[:n], v)
}

// decodeGzip gunzips a record, unless it is plain JSON, and unmarshals it
// into v.
func (d *decoder) decodeGzip(js []byte, v any) error {
	var err error
	if len(js) > 3 && bytes.Equal(js[:3], gzipMagic) {
		d.br.Reset(js)
		if d.zr == nil {
			d.zr, err = gzip.NewReader(&d.br)
		} else {
			err = d.zr.Reset(&d.br)
		}
		if err != nil {
			return fmt.Errorf("gzip: %w", err)
		}
		d.plain.Reset()
		if _, err := d.plain.ReadFrom(d.zr); err != nil {
			return fmt.Errorf("gzip: %w", err)
		}
		js = d.plain.Bytes()
	}
	if err := json.Unmarshal(js, v); err != nil {
		return fmt.Errorf("json: %w", err)
	}
	return nil
}

// leanRecord is the part of a record a Summary needs. Decoding into it skips
// the chart's files, the values and the manifest without building them. It
// also reads SummaryAnnotation.
type leanRecord struct {
	Name string `json:"name"`
	Info *struct {
		FirstDeployed leanTime       `json:"first_deployed"`
		LastDeployed  leanTime       `json:"last_deployed"`
		Deleted       leanTime       `json:"deleted"`
		Description   string         `json:"description"`
		Status        release.Status `json:"status"`
	} `json:"info"`
	Chart *struct {
		Metadata *struct {
			Name       string `json:"name"`
			Version    string `json:"version"`
			AppVersion string `json:"appVersion"`
		} `json:"metadata"`
	} `json:"chart"`
	Version   int    `json:"version"`
	Namespace string `json:"namespace"`
}

// decodeSummary reads a Summary from data.release.
func decodeSummary(data []byte) (Summary, error) {
	var d decoder
	return d.summary(data)
}

// summary reads a Summary from data.release.
func (d *decoder) summary(data []byte) (Summary, error) {
	var r leanRecord
	if err := d.decodeInto(data, &r); err != nil {
		return Summary{}, err
	}
	return r.summary(), nil
}

// summary returns the Summary of the record, without labels.
func (r *leanRecord) summary() Summary {
	s := Summary{Name: r.Name, Namespace: r.Namespace, Revision: r.Version}
	if r.Info != nil {
		s.Status = r.Info.Status
		s.FirstDeployed, s.LastDeployed, s.Deleted = r.Info.FirstDeployed.Time, r.Info.LastDeployed.Time, r.Info.Deleted.Time
		s.Description = r.Info.Description
	}
	if r.Chart != nil && r.Chart.Metadata != nil {
		s.Chart, s.ChartVersion, s.AppVersion = r.Chart.Metadata.Name, r.Chart.Metadata.Version, r.Chart.Metadata.AppVersion
	}
	return s
}

// leanTime reads a record's time as package release does: "" and null are
// the zero time.
type leanTime struct{ time.Time }

func (t *leanTime) UnmarshalJSON(b []byte) error {
	if string(b) == `""` || string(b) == "null" {
		return nil
	}
	return t.Time.UnmarshalJSON(b)
}

// parallel runs f(i) for i in [0, n) on up to GOMAXPROCS goroutines and
// returns the error of each.
func parallel(n int, f func(i int) error) []error {
	return parallelWith(n, func() struct{} { return struct{}{} }, func(_ struct{}, i int) error { return f(i) })
}

// parallelWith is parallel with a state per goroutine, made by newState.
func parallelWith[S any](n int, newState func() S, f func(st S, i int) error) []error {
	errs := make([]error, n)
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		st := newState()
		for i := range n {
			errs[i] = f(st, i)
		}
		return errs
	}
	var wg sync.WaitGroup
	next := make(chan int, workers)
	for range workers {
		wg.Go(func() {
			st := newState()
			for i := range next {
				errs[i] = f(st, i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return errs
}
