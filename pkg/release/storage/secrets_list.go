package storage

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// fetchOneByOne is the number of records of several releases under which
// summaries fetches each record by name rather than listing records by
// status.
const fetchOneByOne = 16

// selectByNameMax is the number of releases up to which the list that
// fetches records also selects by release name.
const selectByNameMax = 100

// List returns summaries of releases, the latest revision of each unless
// opts.AllRevisions.
//
// It lists the metadata of every record (owner=helm) to learn, from labels
// alone, each release's latest revision and its status, and applies the
// filters. It takes the summary of each chosen record from its
// SummaryAnnotation where that can be trusted (records barge wrote), and
// fetches and decodes the others (records Helm wrote); see summaries.
func (s *Secrets) List(ctx context.Context, opts ListOptions) ([]Summary, error) {
	metas, err := s.metas(ctx, s.namespace, nil)
	if err != nil {
		return nil, err
	}
	return s.summaries(ctx, selectRecords(metas, opts))
}

// summaries returns the summaries of recs, sorted. A record's summary comes
// from its trusted SummaryAnnotation; the other records' data are fetched:
// by name when they are few and of several releases, otherwise with one list
// selecting the statuses they have (so superseded revisions, the bulk of a
// history, are not transferred unless asked for) and, when they are of few
// releases, those releases; only the fields of a Summary are decoded, in
// parallel. A record that changed since recs were listed is
// fetched again by name; one deleted meanwhile is left out. Records that
// cannot be fetched or decoded are left out too, and named by a
// *PartialError returned with the others' summaries.
func (s *Secrets) summaries(ctx context.Context, recs []recordMeta) ([]Summary, error) {
	out := make([]Summary, 0, len(recs))
	var chosen []recordMeta
	for _, r := range recs {
		if sum, ok := r.trustedSummary(); ok {
			out = append(out, sum)
		} else {
			chosen = append(chosen, r)
		}
	}
	if len(chosen) == 0 {
		sortSummaries(out)
		return out, nil
	}

	type objKey struct{ ns, name string }
	items := make([]*corev1.Secret, len(chosen))
	var statuses, names []string
	for _, r := range chosen {
		statuses = append(statuses, string(r.status))
		names = append(names, r.name)
	}
	names = compactSorted(names)
	// The records of one release (a history) come in one list.
	if len(chosen) > fetchOneByOne || len(names) == 1 {
		// Narrow by name too when few releases are left.
		if len(names) > selectByNameMax {
			names = nil
		}
		sel, err := recordSelector(compactSorted(statuses), names)
		if err != nil {
			return nil, err
		}
		list, err := s.api.secrets(s.namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
		if err != nil {
			return nil, fmt.Errorf("release records: list secrets%s: %w", inNamespace(s.namespace), err)
		}
		byKey := make(map[objKey]*corev1.Secret, len(list.Items))
		for i := range list.Items {
			byKey[objKey{list.Items[i].Namespace, list.Items[i].Name}] = &list.Items[i]
		}
		for i, r := range chosen {
			// Use the listed record only if it is the one chosen, unchanged.
			if obj, ok := byKey[objKey{r.namespace, r.objName}]; ok && obj.Labels[labelStatus] == string(r.status) {
				items[i] = obj
			}
		}
	}

	// Fetch by name what the list did not bring.
	var failed []*RecordError
	errs := parallel(len(chosen), func(i int) error {
		if items[i] != nil {
			return nil
		}
		r := chosen[i]
		obj, err := s.api.secrets(r.namespace).Get(ctx, r.objName, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil // deleted meanwhile: the release is gone or moved on
		}
		if err != nil {
			return fmt.Errorf("secret %s/%s: get: %w", r.namespace, r.objName, err)
		}
		items[i] = obj
		return nil
	})
	if err := ctx.Err(); err != nil {
		return nil, errors.Join(errs...)
	}
	fetched := make([]recordMeta, 0, len(chosen))
	for i, err := range errs {
		switch {
		case err != nil:
			failed = append(failed, chosen[i].failure(err))
		case items[i] != nil:
			fetched = append(fetched, chosen[i])
		}
	}
	items = slices.DeleteFunc(items, func(o *corev1.Secret) bool { return o == nil })
	decoded, errs := decodeSummaries(items)
	for i, err := range errs {
		if err != nil {
			failed = append(failed, fetched[i].failure(err))
		} else {
			out = append(out, decoded[i])
		}
	}
	sortSummaries(out)
	slices.SortFunc(failed, func(a, b *RecordError) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Revision, b.Revision))
	})
	return partial(out, failed)
}

func compactSorted(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}
