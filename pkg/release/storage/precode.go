package storage

import (
	"fmt"
	"sync"

	"github.com/bargehq/barge/pkg/release"
)

// maxPrecoded bounds the records a store keeps encoded ahead of their write.
const maxPrecoded = 8

// precoder keeps records compressed ahead of their write. It may be used by
// several goroutines at once.
type precoder struct {
	mu      sync.Mutex
	entries []*precodedRecord
}

// precodedRecord is one record's JSON, cut around its chart, and, once done
// is closed, its encoded form.
type precodedRecord struct {
	parts recordParts
	done  chan struct{}
	data  []byte
	err   error
}

// Precode starts encoding rls as it is now, on another goroutine, for a
// write of it that will come later (the record an operation writes when it
// ends, encoded while the operation waits for the cluster). A write whose
// record encodes to the same JSON uses the work done; any other write
// encodes as usual. rls may be changed once Precode returns (its chart
// excepted, which is never changed).
func (s *Secrets) Precode(rls *release.Release) {
	if s.pre == nil {
		return
	}
	parts, err := s.enc.split(rls)
	if err != nil {
		return // the write reports it
	}
	p := &precodedRecord{parts: parts, done: make(chan struct{})}
	s.pre.mu.Lock()
	if len(s.pre.entries) >= maxPrecoded {
		s.pre.entries = s.pre.entries[1:]
	}
	s.pre.entries = append(s.pre.entries, p)
	s.pre.mu.Unlock()
	go func() {
		defer close(p.done)
		p.data, p.err = s.enc.compress(&p.parts)
	}()
}

// encode returns rls encoded as Encode does, using a record encoded ahead
// by Precode when there is one for the same JSON.
func (s *Secrets) encode(rls *release.Release) ([]byte, error) {
	parts, err := s.enc.split(rls)
	if err != nil {
		return nil, fmt.Errorf("release %q: encode: %w", rls.Name, err)
	}
	if p := s.pre.take(&parts); p != nil {
		<-p.done
		if p.err == nil {
			return p.data, nil
		}
	}
	data, err := s.enc.compress(&parts)
	if err != nil {
		return nil, fmt.Errorf("release %q: %w", rls.Name, err)
	}
	return data, nil
}

// take removes and returns the record precoded from the same JSON as parts,
// if any.
func (p *precoder) take(parts *recordParts) *precodedRecord {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, e := range p.entries {
		if e.parts.same(parts) {
			p.entries = append(p.entries[:i], p.entries[i+1:]...)
			return e
		}
	}
	return nil
}
