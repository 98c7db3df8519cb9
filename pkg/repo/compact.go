package repo

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
	"time"

	"helm.sh/helm/v3/pkg/chart"
)

// The compact form of an index is what Cache.Load reads instead of the
// index.yaml it was made from: the fields lookups and searches use, in a
// binary layout that decodes with one allocation per version and none per
// string (each string is a slice of one copy of the file).
//
//	magic "BARGEIX" and a format byte
//	CRC-32C of the rest (4 bytes, little endian)
//	source: size (uvarint), mtime (varint, Unix ns), SHA-256 (32 bytes)
//	apiVersion (string), generated (a time)
//	skipped entries (uvarint count; chart, version, reason strings and
//	  position uvarint each)
//	charts (uvarint count), each: name (string), versions (uvarint count),
//	  each: name, version, appVersion, description, digest (strings),
//	  flags (uvarint: 1 deprecated, 2 removed), created (a time),
//	  keywords and urls (lists)
//
// A string is uvarint(len+1) and its bytes; a list is uvarint(n+1) and n
// strings; a time is uvarint(ns+1) and varint(Unix seconds), or 0 for none. Within a chart's versions, 0 stands for "the same as the version
// before", which keeps descriptions, keywords and names once per chart.
const compactMagic = "BARGEIX\x02"

// errCompact is a compact file that is damaged or of another format.
var errCompact = errors.New("not a valid compact index")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// stamp identifies the index.yaml a compact index was made from.
type stamp struct {
	Size    int64
	ModTime int64
	SHA256  [32]byte
}

// encodeCompact returns the compact form of idx, made from the index.yaml
// that st describes.
func encodeCompact(idx *Index, st stamp) []byte {
	e := &encoder{buf: make([]byte, 0, 1<<16)}
	e.buf = append(e.buf, compactMagic...)
	e.buf = append(e.buf, 0, 0, 0, 0) // CRC, below
	e.uvarint(uint64(st.Size))
	e.varint(st.ModTime)
	e.buf = append(e.buf, st.SHA256[:]...)
	e.str(idx.APIVersion)
	e.time(idx.Generated)

	e.uvarint(uint64(len(idx.Skipped)))
	for _, s := range idx.Skipped {
		e.str(s.Chart)
		e.str(s.Version)
		e.str(s.Reason)
		e.uvarint(uint64(s.Position))
	}

	names := make([]string, 0, len(idx.Entries))
	for n := range idx.Entries {
		names = append(names, n)
	}
	slices.Sort(names)
	e.uvarint(uint64(len(names)))
	for _, n := range names {
		e.str(n)
		cvs := idx.Entries[n]
		e.uvarint(uint64(len(cvs)))
		var prev *ChartVersion
		for _, cv := range cvs {
			md := cv.Metadata
			if md == nil {
				md = &chart.Metadata{}
			}
			var pm *chart.Metadata
			if prev != nil {
				pm = prev.Metadata
			}
			e.field(md.Name, pm != nil && pm.Name == md.Name)
			e.field(md.Version, false)
			e.field(md.AppVersion, pm != nil && pm.AppVersion == md.AppVersion)
			e.field(md.Description, pm != nil && pm.Description == md.Description)
			e.field(cv.Digest, false)
			var flags uint64
			if md.Deprecated {
				flags |= 1
			}
			if cv.Removed {
				flags |= 2
			}
			e.uvarint(flags)
			e.time(cv.Created)
			e.list(md.Keywords, pm != nil && slices.Equal(pm.Keywords, md.Keywords))
			e.list(cv.URLs, false)
			prev = &ChartVersion{Metadata: md}
		}
	}
	binary.LittleEndian.PutUint32(e.buf[len(compactMagic):], crc32.Checksum(e.buf[len(compactMagic)+4:], castagnoli))
	return e.buf
}

type encoder struct{ buf []byte }

func (e *encoder) uvarint(v uint64) { e.buf = binary.AppendUvarint(e.buf, v) }
func (e *encoder) varint(v int64)   { e.buf = binary.AppendVarint(e.buf, v) }

func (e *encoder) str(s string) {
	e.uvarint(uint64(len(s)) + 1)
	e.buf = append(e.buf, s...)
}

// field writes s, or "same as before" when same.
func (e *encoder) field(s string, same bool) {
	if same {
		e.uvarint(0)
		return
	}
	e.str(s)
}

func (e *encoder) list(ss []string, same bool) {
	if same {
		e.uvarint(0)
		return
	}
	e.uvarint(uint64(len(ss)) + 1)
	for _, s := range ss {
		e.str(s)
	}
}

// time writes t as uvarint(nanoseconds+1) and varint(Unix seconds), or 0
// for the zero time: any year fits, where Unix nanoseconds would not.
func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.uvarint(0)
		return
	}
	e.uvarint(uint64(t.Nanosecond()) + 1)
	e.varint(t.Unix())
}

// decodeCompact reads a compact index and the stamp of the index.yaml it was
// made from. It fails with errCompact on a damaged file or another format.
func decodeCompact(data []byte) (*Index, stamp, error) {
	var st stamp
	h := len(compactMagic) + 4
	if len(data) < h || string(data[:len(compactMagic)]) != compactMagic {
		return nil, st, fmt.Errorf("%w: unknown format", errCompact)
	}
	if crc32.Checksum(data[h:], castagnoli) != binary.LittleEndian.Uint32(data[len(compactMagic):]) {
		return nil, st, fmt.Errorf("%w: checksum mismatch", errCompact)
	}
	d := &decoder{s: string(data[h:])}
	st.Size = int64(d.uvarint())
	st.ModTime = d.varint()
	if len(d.s)-d.off < 32 {
		return nil, st, fmt.Errorf("%w: truncated", errCompact)
	}
	copy(st.SHA256[:], d.s[d.off:d.off+32])
	d.off += 32
	idx := &Index{APIVersion: d.str(), Generated: d.time()}

	n := d.count(4)
	if n > 0 {
		idx.Skipped = make([]*EntryError, n)
		for i := range idx.Skipped {
			idx.Skipped[i] = &EntryError{Chart: d.str(), Version: d.str(), Reason: d.str(), Position: int(d.uvarint())}
		}
	}

	n = d.count(2)
	idx.Entries = make(map[string][]*ChartVersion, n)
	for range n {
		name := d.str()
		nv := d.count(8)
		cvs := make([]*ChartVersion, nv)
		// One allocation for all of a chart's versions and their metadata.
		type pair struct {
			cv ChartVersion
			md chart.Metadata
		}
		block := make([]pair, nv)
		var prev *chart.Metadata
		for i := range cvs {
			p := &block[i]
			md := &p.md
			md.Name = d.field(prev, func(m *chart.Metadata) string { return m.Name })
			md.Version = d.str()
			md.AppVersion = d.field(prev, func(m *chart.Metadata) string { return m.AppVersion })
			md.Description = d.field(prev, func(m *chart.Metadata) string { return m.Description })
			p.cv.Digest = d.str()
			flags := d.uvarint()
			md.Deprecated = flags&1 != 0
			p.cv.Removed = flags&2 != 0
			p.cv.Created = d.time()
			if kw, same := d.list(); same {
				if prev != nil {
					md.Keywords = prev.Keywords
				}
			} else {
				md.Keywords = kw
			}
			p.cv.URLs, _ = d.list()
			p.cv.Metadata = md
			cvs[i] = &p.cv
			prev = md
		}
		if d.err != nil {
			break
		}
		idx.Entries[name] = cvs
	}
	if d.err != nil {
		return nil, st, d.err
	}
	if d.off != len(d.s) {
		return nil, st, fmt.Errorf("%w: %d bytes after the end", errCompact, len(d.s)-d.off)
	}
	return idx, st, nil
}

// decoder reads a compact index; its first error sticks and later reads
// return zero values.
type decoder struct {
	s   string
	off int
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = fmt.Errorf("%w: truncated or corrupt at byte %d", errCompact, d.off)
	}
	d.off = len(d.s)
}

func (d *decoder) uvarint() uint64 {
	var v uint64
	var shift uint
	for i := 0; i < binary.MaxVarintLen64; i++ {
		if d.off >= len(d.s) {
			d.fail()
			return 0
		}
		b := d.s[d.off]
		d.off++
		if b < 0x80 {
			return v | uint64(b)<<shift
		}
		v |= uint64(b&0x7f) << shift
		shift += 7
	}
	d.fail()
	return 0
}

func (d *decoder) varint() int64 {
	u := d.uvarint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

// count reads a count of items that take at least min bytes each, checked
// against what is left so that a corrupt count cannot make a huge slice.
func (d *decoder) count(min int) int {
	n := d.uvarint()
	if n > uint64(len(d.s)-d.off)/uint64(min) {
		d.fail()
		return 0
	}
	return int(n)
}

// strOrSame reads a string, reporting "same as before" (0) apart.
func (d *decoder) strOrSame() (string, bool) {
	n := d.uvarint()
	if n == 0 {
		return "", true
	}
	n--
	if n > uint64(len(d.s)-d.off) {
		d.fail()
		return "", false
	}
	s := d.s[d.off : d.off+int(n)]
	d.off += int(n)
	return s, false
}

func (d *decoder) str() string {
	s, _ := d.strOrSame()
	return s
}

func (d *decoder) field(prev *chart.Metadata, get func(*chart.Metadata) string) string {
	s, same := d.strOrSame()
	if same && prev != nil {
		return get(prev)
	}
	return s
}

func (d *decoder) list() ([]string, bool) {
	n := d.uvarint()
	if n == 0 {
		return nil, true
	}
	n--
	if n > uint64(len(d.s)-d.off) {
		d.fail()
		return nil, false
	}
	if n == 0 {
		return nil, false
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.str()
	}
	return out, false
}

func (d *decoder) time() time.Time {
	ns := d.uvarint()
	if ns == 0 {
		return time.Time{}
	}
	if ns > 1e9 {
		d.fail()
		return time.Time{}
	}
	return time.Unix(d.varint(), int64(ns-1)).UTC()
}
