package fleet

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/bargehq/barge/pkg/release"
	"github.com/bargehq/barge/pkg/release/storage"
)

// The labels of release records (Helm's storage labels) that the index
// reads.
const (
	recordNameLabel   = "name"
	recordStatusLabel = "status"
)

// fetchListMin is the number of releases whose deployed record a plan must
// read above which it lists the fleet's deployed records in one request
// rather than getting each by name.
const fetchListMin = 16

// recordIndex is what one metadata list, made once per plan, tells of the
// releases of the cluster: the latest revision of every release, with its
// labels and its trusted content digest, and no record data. Most releases
// of a fleet that did not change are decided from it alone (see
// Runner.planQuick). The records of the others are read afterwards, each
// by name, or, when there are many, the deployed records the fleet owns in
// one list (deployed), made while the releases with a digest are rendered
// when the records without one are many.
//
// latest is filled before planning and only read afterwards, by several
// goroutines at once; deployed is filled while releases are planned from
// latest alone, and read only after.
type recordIndex struct {
	latest   map[string]storage.RecordMeta // namespace/name -> latest revision
	deployed map[string]*storage.Record    // namespace/name -> its deployed record, owned by the fleet, not decoded; nil until listed
}

// records lists the metadata of the release records of the cluster. It
// returns nil, and no error, when the cluster refuses lists across
// namespaces: the plan then reads each release's records on its own.
func (r *Runner) records(ctx context.Context, fleet string) (*recordIndex, error) {
	metas, err := r.store("").ListMeta(ctx, nil)
	if apierrors.IsForbidden(err) {
		r.cfg.Logger.DebugContext(ctx, "cannot list release records across namespaces; reading them per release", "error", err)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fleet %s: %w", fleet, err)
	}
	return &recordIndex{latest: latestOf(metas)}, nil
}

// latestOf maps namespace/name to the latest revision of each release.
func latestOf(metas []storage.RecordMeta) map[string]storage.RecordMeta {
	out := make(map[string]storage.RecordMeta, len(metas))
	for _, m := range metas {
		k := m.Namespace + "/" + m.Name
		if h, ok := out[k]; !ok || m.Revision > h.Revision {
			out[k] = m
		}
	}
	return out
}

// deployedHeads counts the releases of rels whose latest revision is
// deployed and, with undigested, carries no trusted digest.
func (idx *recordIndex) deployedHeads(rels []*Release, undigested bool) int {
	n := 0
	for _, rel := range rels {
		m, ok := idx.latest[rel.Key()]
		if ok && m.Status == release.StatusDeployed && (!undigested || m.Digest == "") {
			n++
		}
	}
	return n
}

// head returns the metadata of the latest revision of rel, from the index,
// or by listing the release's records when there is no index; false when
// the release has no record.
func (r *Runner) head(ctx context.Context, idx *recordIndex, rel *Release) (storage.RecordMeta, bool, error) {
	if idx != nil {
		m, ok := idx.latest[rel.Key()]
		return m, ok, nil
	}
	metas, err := r.store(rel.Namespace).ListMeta(ctx, labels.Set{recordNameLabel: rel.Name})
	if err != nil {
		return storage.RecordMeta{}, false, err
	}
	m, ok := latestOf(metas)[rel.Key()]
	return m, ok, nil
}

// listDeployed lists the deployed records fleet owns, with their data, into
// idx.deployed. They are decoded only when their release is planned, so
// that the fleet's records are not all held decoded at once.
func (r *Runner) listDeployed(ctx context.Context, idx *recordIndex, fleet string) error {
	recs, err := r.store("").ListRecords(ctx, labels.Set{recordStatusLabel: string(release.StatusDeployed), FleetLabel: fleet})
	if err != nil {
		return fmt.Errorf("fleet %s: %w", fleet, err)
	}
	idx.deployed = make(map[string]*storage.Record, len(recs))
	for i := range recs {
		rec := &recs[i]
		k := rec.Namespace + "/" + rec.Name
		if prev, ok := idx.deployed[k]; ok && prev.Revision > rec.Revision {
			continue
		}
		idx.deployed[k] = rec
	}
	return nil
}

// last returns the latest revision of rel, as the store's Last would,
// from the index when it can.
func (r *Runner) last(ctx context.Context, idx *recordIndex, rel *Release) (*release.Release, error) {
	if idx == nil {
		return r.store(rel.Namespace).Last(ctx, rel.Name)
	}
	k := rel.Key()
	head, ok := idx.latest[k]
	if !ok {
		return nil, fmt.Errorf("release %q in namespace %s: %w", rel.Name, rel.Namespace, release.ErrNotFound)
	}
	if rec, ok := idx.deployed[k]; ok && rec.Revision == head.Revision {
		return rec.Decode()
	}
	return r.store(rel.Namespace).Get(ctx, rel.Name, head.Revision)
}
