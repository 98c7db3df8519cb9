package fleet

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/bargehq/barge/pkg/release"
	"github.com/bargehq/barge/pkg/release/storage"
)

// The labels of release records (Helm's storage labels) that the index
// reads.
const (
	recordOwnerLabel   = "owner"
	recordOwnerHelm    = "helm"
	recordNameLabel    = "name"
	recordStatusLabel  = "status"
	recordVersionLabel = "version"
)

var secretsResource = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}

// recordIndex is what two lists, made once per plan, tell of the releases
// of a fleet: the latest revision of every release in the cluster, from
// the records' labels alone, and the records of the deployed revisions the
// fleet owns, undecoded. It saves each release the reads of its history: a
// release with no record needs none, one whose latest revision is a
// deployed one the fleet owns needs none, the others one.
//
// A recordIndex is filled before planning and only read afterwards, by
// several goroutines at once.
type recordIndex struct {
	latest   map[string]recordHead // namespace/name -> latest revision
	deployed map[string]*rawRecord // namespace/name -> its deployed record, owned by the fleet
}

type recordHead struct {
	revision int
	status   release.Status
}

// rawRecord is a record as listed: decoded only when its release is
// planned, so that the fleet's records are not all decoded in memory at once.
type rawRecord struct {
	revision int
	data     []byte
	labels   map[string]string
}

// records lists the release records of the cluster (metadata) and the
// deployed records fleet owns (data), two requests at once. It returns nil,
// and no error, when the cluster refuses lists across namespaces: the plan
// then reads each release's records on its own.
func (r *Runner) records(ctx context.Context, fleet string) (*recordIndex, error) {
	idx := &recordIndex{latest: map[string]recordHead{}, deployed: map[string]*rawRecord{}}
	var metaErr, dataErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		sel := labels.SelectorFromSet(labels.Set{recordOwnerLabel: recordOwnerHelm})
		list, err := r.meta.Resource(secretsResource).Namespace("").List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
		if err != nil {
			metaErr = err
			return
		}
		for i := range list.Items {
			m := &list.Items[i]
			name := m.Labels[recordNameLabel]
			rev, err := strconv.Atoi(m.Labels[recordVersionLabel])
			if name == "" || err != nil {
				continue
			}
			k := m.Namespace + "/" + name
			if h, ok := idx.latest[k]; !ok || rev > h.revision {
				idx.latest[k] = recordHead{revision: rev, status: release.Status(m.Labels[recordStatusLabel])}
			}
		}
	})
	wg.Go(func() {
		sel := labels.SelectorFromSet(labels.Set{
			recordOwnerLabel: recordOwnerHelm, recordStatusLabel: string(release.StatusDeployed), FleetLabel: fleet,
		})
		list, err := r.cfg.Kube.Clientset().CoreV1().Secrets("").List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
		if err != nil {
			dataErr = err
			return
		}
		for i := range list.Items {
			s := &list.Items[i]
			name := s.Labels[recordNameLabel]
			rev, err := strconv.Atoi(s.Labels[recordVersionLabel])
			if name == "" || err != nil || s.Type != storage.SecretType {
				continue
			}
			k := s.Namespace + "/" + name
			if prev, ok := idx.deployed[k]; ok && prev.revision > rev {
				continue
			}
			idx.deployed[k] = &rawRecord{revision: rev, data: s.Data["release"], labels: s.Labels}
		}
	})
	wg.Wait()
	for _, err := range []error{metaErr, dataErr} {
		if apierrors.IsForbidden(err) {
			r.cfg.Logger.DebugContext(ctx, "cannot list release records across namespaces; reading them per release", "error", err)
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("fleet %s: list release records: %w", fleet, err)
		}
	}
	return idx, nil
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
	if raw, ok := idx.deployed[k]; ok && raw.revision == head.revision {
		return raw.decode(rel.Name)
	}
	return r.store(rel.Namespace).Get(ctx, rel.Name, head.revision)
}

// decode decodes the record, with its labels as the store gives them.
func (x *rawRecord) decode(name string) (*release.Release, error) {
	rls, err := storage.Decode(x.data)
	if err != nil {
		return nil, fmt.Errorf("release %q revision %d: decode: %w", name, x.revision, err)
	}
	rls.Labels = map[string]string{}
	for k, v := range x.labels {
		if !storage.IsSystemLabel(k) {
			rls.Labels[k] = v
		}
	}
	return rls, nil
}
