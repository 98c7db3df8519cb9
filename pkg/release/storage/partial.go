package storage

import (
	"fmt"
	"strings"

	"github.com/bargehq/barge/pkg/release"
)

// RecordError is a release record that could not be read: fetched or
// decoded. What is known of the record comes from its labels.
type RecordError struct {
	// Name, Namespace, Revision and Status are the record's, from its labels.
	Name      string
	Namespace string
	Revision  int
	Status    release.Status
	// Err is why the record could not be read.
	Err error
}

func (e *RecordError) Error() string {
	return fmt.Sprintf("release %q in namespace %q, revision %d: %v", e.Name, e.Namespace, e.Revision, e.Err)
}

// Unwrap returns the cause.
func (e *RecordError) Unwrap() error { return e.Err }

// PartialError is what List and History return, together with the
// summaries they could read, when some records could not be read: one
// broken record (a truncated Secret, a record some other tool wrote) does not
// hide the other releases. Callers that want all or nothing treat it as any
// error; callers that list many releases report each failure in its place.
type PartialError struct {
	// Records are the records that could not be read, in the order of
	// the summaries (namespace, name, revision).
	Records []*RecordError
}

func (e *PartialError) Error() string {
	msgs := make([]string, len(e.Records))
	for i, r := range e.Records {
		msgs[i] = r.Error()
	}
	return fmt.Sprintf("%d release record(s) could not be read: %s", len(e.Records), strings.Join(msgs, "; "))
}

// Unwrap returns the error of each record.
func (e *PartialError) Unwrap() []error {
	errs := make([]error, len(e.Records))
	for i, r := range e.Records {
		errs[i] = r
	}
	return errs
}

// failure returns the RecordError of r failing with err.
func (r recordMeta) failure(err error) *RecordError {
	return &RecordError{Name: r.name, Namespace: r.namespace, Revision: r.revision, Status: r.status, Err: err}
}

// partial returns sums with the error of failed, if any.
func partial(sums []Summary, failed []*RecordError) ([]Summary, error) {
	if len(failed) == 0 {
		return sums, nil
	}
	return sums, &PartialError{Records: failed}
}
