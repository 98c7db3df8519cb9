package storage

import (
	"encoding/base64"
	"fmt"

	"github.com/bargehq/barge/pkg/release"
)

// maxDescription bounds the description a record keeps (the longest are
// errors, which the failed command prints whole): a record that fit while
// pending still fits once failed.
const maxDescription = 4 << 10

// recordHeadroom is the room CheckRecord leaves, under MaxRecordSize, for
// what a record gains between its pending write and its last: a
// description of at most maxDescription, the hooks' runs, the times.
const recordHeadroom = 64 << 10

// CheckRecord returns an error wrapping release.ErrRecordTooLarge (a
// *release.RecordSizeError naming the chart's largest files) when the
// record rls, or the record of its failure, could not be stored: when it
// is larger, gzipped, than MaxRecordSize less a margin. A record larger
// than a Secret holds (1 MiB) but within that is stored in parts. The
// encoding is kept for the write of rls that follows.
func (s *Secrets) CheckRecord(rls *release.Release) error {
	rls = boundDescription(rls)
	parts, err := s.enc.split(rls)
	if err != nil {
		return fmt.Errorf("release %q: encode: %w", rls.Name, err)
	}
	data, err := s.enc.compress(&parts)
	if err != nil {
		return fmt.Errorf("release %q: %w", rls.Name, err)
	}
	s.pre.put(&precodedRecord{parts: parts, done: closed(), data: data})
	if size := base64.StdEncoding.DecodedLen(len(data)); size > MaxRecordSize-recordHeadroom {
		return tooLarge(rls, size)
	}
	return nil
}

// tooLarge returns the error for a record of size bytes gzipped.
func tooLarge(rls *release.Release, size int) error {
	e := &release.RecordSizeError{Release: rls.Name, Revision: rls.Version, Size: size, Limit: MaxRecordSize - recordHeadroom, Manifest: len(rls.Manifest)}
	e.Files = release.LargestFiles(rls.Chart, 5)
	return e
}

// boundDescription returns rls, or a copy of it whose Info's description
// is cut to maxDescription.
func boundDescription(rls *release.Release) *release.Release {
	if rls == nil || rls.Info == nil || len(rls.Info.Description) <= maxDescription {
		return rls
	}
	c := *rls
	info := *rls.Info
	info.Description = truncate(info.Description, maxDescription)
	c.Info = &info
	return &c
}

// closed returns a closed channel.
func closed() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// put keeps a record encoded ahead, as Precode does.
func (p *precoder) put(e *precodedRecord) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.entries) >= maxPrecoded {
		p.entries = p.entries[1:]
	}
	p.entries = append(p.entries, e)
}
