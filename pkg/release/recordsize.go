package release

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	helmchart "helm.sh/helm/v3/pkg/chart"
)

// ErrRecordTooLarge means that a release's record is larger than its store
// can keep. *RecordSizeError wraps it.
var ErrRecordTooLarge = errors.New("release record too large to store")

// RecordSizeError is returned, before anything is applied, for a release
// whose record its store cannot keep. It names the record's size, the
// limit and the chart's largest files, which are most often the cause.
type RecordSizeError struct {
	// Release and Revision name the record.
	Release  string
	Revision int
	// Size is the record's size as stored (compressed), in bytes, and
	// Limit the most the store keeps.
	Size, Limit int
	// Files are the chart's largest files and templates, largest first.
	Files []FileSize
	// Manifest is the size of the rendered manifest, in bytes.
	Manifest int
}

// FileSize is a chart file's name and size in bytes.
type FileSize struct {
	Name string
	Size int
}

// Error says how large the record is, the limit, what is largest in it and
// the fix.
func (e *RecordSizeError) Error() string {
	var files []string
	for _, f := range e.Files {
		files = append(files, fmt.Sprintf("%s (%s)", f.Name, ByteSize(f.Size)))
	}
	largest := "the chart has no files"
	if len(files) > 0 {
		largest = "the chart's largest files: " + strings.Join(files, ", ")
	}
	return fmt.Sprintf("release %q revision %d: the release's record would take %s compressed, over the %s barge can store (Helm: 1 MiB); "+
		"nothing was applied. The record holds the chart's files and templates (%s) and the rendered manifest (%s): "+
		"leave out what the release does not need with the chart's .helmignore",
		e.Release, e.Revision, ByteSize(e.Size), ByteSize(e.Limit), largest, ByteSize(e.Manifest))
}

// Unwrap returns ErrRecordTooLarge.
func (e *RecordSizeError) Unwrap() error { return ErrRecordTooLarge }

// LargestFiles returns the n largest of a chart's files and templates (the
// parts of a chart a record keeps whole), largest first.
func LargestFiles(ch *helmchart.Chart, n int) []FileSize {
	if ch == nil {
		return nil
	}
	var out []FileSize
	for _, f := range slices.Concat(ch.Templates, ch.Files) {
		if f != nil {
			out = append(out, FileSize{Name: f.Name, Size: len(f.Data)})
		}
	}
	slices.SortStableFunc(out, func(a, b FileSize) int { return cmp.Compare(b.Size, a.Size) })
	return out[:min(n, len(out))]
}

// ByteSize formats a size in bytes as KiB or MiB with one decimal.
func ByteSize(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// recordChecker is a store that can tell, before anything is applied,
// whether it can keep a release's record (and the record of its failure).
type recordChecker interface {
	// CheckRecord returns an error wrapping ErrRecordTooLarge when rls
	// cannot be stored.
	CheckRecord(rls *Release) error
}

// checkRecord refuses a release whose record the engine's store cannot
// keep, when the store can tell.
func (e *Engine) checkRecord(rls *Release) error {
	s := e.store
	for {
		switch st := s.(type) {
		case recordChecker:
			return st.CheckRecord(rls)
		case *fenced:
			s = st.Store
		case *lastOnce:
			s = st.Store
		default:
			return nil
		}
	}
}
