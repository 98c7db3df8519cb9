package storage

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/bargehq/barge/pkg/release"
)

// Memory is a Store held in process: for client-side dry runs and tests.
// Records are kept encoded, as Secrets keeps them, so what a caller reads is
// a copy and a record that would not survive storage fails here too.
//
// A Memory may be used by several goroutines at once. Views made with
// InNamespace share records and locks.
type Memory struct {
	state     *memoryState
	namespace string
	opts      Options
}

type memoryState struct {
	mu      sync.Mutex
	records map[memoryKey]memoryRecord
	locks   map[memoryKey]lockState
}

type memoryKey struct {
	namespace, name string
	revision        int
}

type memoryRecord struct {
	data   []byte
	labels map[string]string
}

type lockState struct {
	holder string
	since  time.Time
}

// NewMemory returns an empty in-memory store for namespace. An empty
// namespace lists all namespaces and stores a release in rls.Namespace.
func NewMemory(namespace string, opts Options) *Memory {
	return &Memory{
		state: &memoryState{
			records: map[memoryKey]memoryRecord{},
			locks:   map[memoryKey]lockState{},
		},
		namespace: namespace,
		opts:      opts.withDefaults(),
	}
}

// InNamespace returns a view of the same store for another namespace.
func (m *Memory) InNamespace(namespace string) *Memory {
	return &Memory{state: m.state, namespace: namespace, opts: m.opts}
}

// Namespace returns the namespace the store reads and writes ("" for all).
func (m *Memory) Namespace() string { return m.namespace }

// Create stores a new revision.
func (m *Memory) Create(ctx context.Context, rls *release.Release) error {
	return m.put(rls, labelCreatedAt, false)
}

// Update replaces a stored revision.
func (m *Memory) Update(ctx context.Context, rls *release.Release) error {
	return m.put(rls, labelModifiedAt, true)
}

// put stores rls with the timestamp label stampLabel: as a new revision, or
// with replace in place of the stored one. A revision already stored (new)
// or missing (replace) is an error.
func (m *Memory) put(rls *release.Release, stampLabel string, replace bool) error {
	ns, err := writeNamespace(m.namespace, rls)
	if err != nil {
		return err
	}
	data, err := Encode(rls)
	if err != nil {
		return err
	}
	lbs := recordLabels(rls, stampLabel, m.opts.Now())
	m.state.mu.Lock()
	defer m.state.mu.Unlock()
	k := memoryKey{ns, rls.Name, rls.Version}
	switch _, ok := m.state.records[k]; {
	case ok && !replace:
		return fmt.Errorf("release %q revision %d: %w", rls.Name, rls.Version, release.ErrExists)
	case !ok && replace:
		return notFound(rls.Name, rls.Version)
	}
	m.state.records[k] = memoryRecord{data: data, labels: lbs}
	return nil
}

// Delete removes a revision and returns what it held.
func (m *Memory) Delete(ctx context.Context, name string, revision int) (*release.Release, error) {
	m.state.mu.Lock()
	defer m.state.mu.Unlock()
	k, rec, err := m.find(name, revision)
	if err != nil {
		return nil, err
	}
	rls, err := decodeRecord(k.name, k.revision, rec.data, rec.labels)
	if err != nil {
		return nil, err
	}
	delete(m.state.records, k)
	return rls, nil
}

// find returns the record of a revision. The caller holds the lock.
func (m *Memory) find(name string, revision int) (memoryKey, memoryRecord, error) {
	var found []memoryKey
	for k := range m.state.records {
		if k.name == name && k.revision == revision && (m.namespace == "" || k.namespace == m.namespace) {
			found = append(found, k)
		}
	}
	switch len(found) {
	case 0:
		return memoryKey{}, memoryRecord{}, notFound(name, revision)
	case 1:
		return found[0], m.state.records[found[0]], nil
	}
	return memoryKey{}, memoryRecord{}, ambiguous(name, namespacesOf(found))
}

func namespacesOf(keys []memoryKey) []string {
	var ns []string
	for _, k := range keys {
		ns = append(ns, k.namespace)
	}
	slices.Sort(ns)
	return slices.Compact(ns)
}

// Get returns one revision in full.
func (m *Memory) Get(ctx context.Context, name string, revision int) (*release.Release, error) {
	m.state.mu.Lock()
	k, rec, err := m.find(name, revision)
	m.state.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return decodeRecord(k.name, k.revision, rec.data, rec.labels)
}

// metas returns the label view of the records of the store's namespace that
// match, sorted by namespace, name and revision.
func (m *Memory) metas(match func(recordMeta) bool) []recordMeta {
	m.state.mu.Lock()
	defer m.state.mu.Unlock()
	var out []recordMeta
	for k, rec := range m.state.records {
		if m.namespace != "" && k.namespace != m.namespace {
			continue
		}
		r := recordMeta{
			namespace: k.namespace, name: k.name, objName: Key(k.name, k.revision),
			revision: k.revision, status: release.Status(rec.labels[labelStatus]), labels: rec.labels,
		}
		if match == nil || match(r) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b recordMeta) int {
		return cmp.Or(cmp.Compare(a.namespace, b.namespace), cmp.Compare(a.name, b.name), cmp.Compare(a.revision, b.revision))
	})
	return out
}

// Last returns the highest revision of a release.
func (m *Memory) Last(ctx context.Context, name string) (*release.Release, error) {
	recs := m.metas(func(r recordMeta) bool { return r.name == name })
	latest, err := highest(name, recs)
	if err != nil {
		return nil, err
	}
	return m.Get(ctx, name, latest.revision)
}

// Deployed returns the highest deployed revision of a release.
func (m *Memory) Deployed(ctx context.Context, name string) (*release.Release, error) {
	recs := m.metas(func(r recordMeta) bool { return r.name == name && r.status == release.StatusDeployed })
	latest, err := highest(name, recs)
	if errors.Is(err, release.ErrNotFound) {
		return nil, noDeployed(name)
	}
	if err != nil {
		return nil, err
	}
	return m.Get(ctx, name, latest.revision)
}

// History returns summaries of every revision of a release, oldest first.
func (m *Memory) History(ctx context.Context, name string) ([]Summary, error) {
	recs := m.metas(func(r recordMeta) bool { return r.name == name })
	if len(recs) == 0 {
		return nil, notFound(name, 0)
	}
	if ns := namespacesOfMeta(recs); len(ns) > 1 {
		return nil, ambiguous(name, ns)
	}
	return m.summaries(recs)
}

// List returns summaries of releases.
func (m *Memory) List(ctx context.Context, opts ListOptions) ([]Summary, error) {
	return m.summaries(selectRecords(m.metas(nil), opts))
}

func (m *Memory) summaries(recs []recordMeta) ([]Summary, error) {
	out := make([]Summary, 0, len(recs))
	var failed []*RecordError
	for _, r := range recs {
		m.state.mu.Lock()
		rec, ok := m.state.records[memoryKey{r.namespace, r.name, r.revision}]
		m.state.mu.Unlock()
		if !ok {
			continue // deleted meanwhile
		}
		s, err := decodeSummary(rec.data)
		if err != nil {
			failed = append(failed, r.failure(fmt.Errorf("decode: %w", err)))
			continue
		}
		s.Labels = customLabels(rec.labels)
		out = append(out, s)
	}
	sortSummaries(out)
	return partial(out, failed)
}

// Prune deletes the oldest revisions of a release until at most keep remain,
// never the latest deployed one.
func (m *Memory) Prune(ctx context.Context, name string, keep int) ([]int, error) {
	recs := m.metas(func(r recordMeta) bool { return r.name == name })
	if ns := namespacesOfMeta(recs); len(ns) > 1 {
		return nil, ambiguous(name, ns)
	}
	victims := pruneVictims(recs, keep)
	var errs []error
	for _, v := range victims {
		if _, err := m.Delete(ctx, name, v); err != nil {
			errs = append(errs, err)
		}
	}
	return victims, errors.Join(errs...)
}

// Lock takes the release's in-process lock. It is never lost.
func (m *Memory) Lock(ctx context.Context, name string) (release.Lock, error) {
	if m.namespace == "" {
		return nil, fmt.Errorf("release %q: lock: the store has no namespace; give one", name)
	}
	k := memoryKey{namespace: m.namespace, name: name}
	m.state.mu.Lock()
	defer m.state.mu.Unlock()
	if l, ok := m.state.locks[k]; ok {
		return nil, &LockedError{Release: name, Namespace: m.namespace, Holder: l.holder, Since: l.since}
	}
	m.state.locks[k] = lockState{holder: m.opts.Holder, since: m.opts.Now()}
	return &memoryLock{unlock: func() {
		m.state.mu.Lock()
		delete(m.state.locks, k)
		m.state.mu.Unlock()
	}}, nil
}

// memoryLock is a Memory store's lock, held until Unlock.
type memoryLock struct {
	once   sync.Once
	unlock func()
}

// Held returns nil: an in-process lock is not lost.
func (*memoryLock) Held() error { return nil }

// Lost returns nil, a channel never closed.
func (*memoryLock) Lost() <-chan struct{} { return nil }

// TookOver returns "": an in-process lock is never taken over.
func (*memoryLock) TookOver() (string, time.Time) { return "", time.Time{} }

// Unlock releases the lock.
func (l *memoryLock) Unlock() { l.once.Do(l.unlock) }

// writeNamespace picks where a record goes: the store's namespace, else the release's.
func writeNamespace(storeNS string, rls *release.Release) (string, error) {
	if rls == nil || rls.Info == nil {
		return "", errors.New("release record: missing info")
	}
	if err := validName(rls.Name); err != nil {
		return "", err
	}
	if rls.Version < 1 {
		return "", fmt.Errorf("release %q: revision %d: revisions start at 1", rls.Name, rls.Version)
	}
	if storeNS != "" {
		return storeNS, nil
	}
	if rls.Namespace == "" {
		return "", fmt.Errorf("release %q: no namespace: set the release's namespace or the store's", rls.Name)
	}
	return rls.Namespace, nil
}

// recordLabels returns the labels of a stored record: the release's custom
// labels, then the system labels, then the timestamp label (createdAt on
// create, modifiedAt on update, as Helm does) in Unix seconds.
func recordLabels(rls *release.Release, stampLabel string, now time.Time) map[string]string {
	lbs := make(map[string]string, len(rls.Labels)+5)
	maps.Copy(lbs, rls.Labels)
	lbs[stampLabel] = strconv.FormatInt(now.Unix(), 10)
	lbs[labelName] = rls.Name
	lbs[labelOwner] = ownerHelm
	lbs[labelStatus] = rls.Info.Status.String()
	lbs[labelVersion] = strconv.Itoa(rls.Version)
	return lbs
}

// decodeRecord decodes a stored record and sets its custom labels.
func decodeRecord(name string, revision int, data []byte, lbs map[string]string) (*release.Release, error) {
	rls, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("release %q revision %d: decode: %w", name, revision, err)
	}
	rls.Labels = customLabels(lbs)
	return rls, nil
}

// highest returns the record with the highest revision.
func highest(name string, recs []recordMeta) (recordMeta, error) {
	if len(recs) == 0 {
		return recordMeta{}, notFound(name, 0)
	}
	if ns := namespacesOfMeta(recs); len(ns) > 1 {
		return recordMeta{}, ambiguous(name, ns)
	}
	return slices.MaxFunc(recs, func(a, b recordMeta) int { return cmp.Compare(a.revision, b.revision) }), nil
}

func namespacesOfMeta(recs []recordMeta) []string {
	var ns []string
	for _, r := range recs {
		ns = append(ns, r.namespace)
	}
	slices.Sort(ns)
	return slices.Compact(ns)
}

// ambiguous is the error for a release name found in several namespaces by
// a store that spans all namespaces.
func ambiguous(name string, namespaces []string) error {
	return fmt.Errorf("release %q exists in several namespaces (%v): give a namespace", name, namespaces)
}
