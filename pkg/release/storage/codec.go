package storage

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"time"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/bargehq/barge/pkg/release"
)

// gzipMagic starts every gzip stream. Records written before Helm compressed
// them are plain JSON and lack it.
var gzipMagic = []byte{0x1f, 0x8b, 0x08}

// Encode returns a release in the form Helm keeps in data.release of a
// Secret: base64 of the gzip of the JSON record. Helm compresses at the best
// level, which took a quarter of a fleet's client CPU; any level reads back
// the same, and klauspost/compress's default level is several times faster
// for a stream a few percent longer. Kubernetes
// base64-encodes Secret data again on the wire; this inner layer is Helm's.
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

// compress returns base64 of the gzip of a record's JSON, as Encode does.
func compress(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := kgzip.NewWriterLevel(&buf, kgzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(b); err != nil {
		return nil, fmt.Errorf("compress: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("compress: %w", err)
	}
	out := make([]byte, base64.StdEncoding.EncodedLen(buf.Len()))
	base64.StdEncoding.Encode(out, buf.Bytes())
	return out, nil
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
	js := d.raw[:n]
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
