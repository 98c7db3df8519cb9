package storage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	"github.com/bargehq/barge/pkg/release"
)

// Client-side rate limits used when the rest.Config sets none: client-go's
// defaults (5 QPS) would make listing and locking wait on the client.
const (
	defaultQPS   = 200
	defaultBurst = 400
)

var secretsResource = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}

// Secrets is a Store on Kubernetes Secrets in Helm's format, with Leases as
// locks.
//
// A Secrets store is bound to a namespace: records are read from and written
// to it. With the empty namespace, List and History span all namespaces,
// reads find a release in whichever namespace holds it (failing if several
// do), and writes go to the release's own namespace.
//
// Writes compress the JSON of a chart once for all the records of that
// chart (the last few charts are kept, shared by the stores InNamespace
// returns), assuming, as the rest of barge does, that a loaded chart is not
// modified.
//
// A Secrets may be used by several goroutines at once.
type Secrets struct {
	api       *apiClients
	meta      metadata.Interface
	namespace string
	opts      Options
	pre       *precoder
	enc       *recordEncoder
	versions  *recordVersions
}

// NewSecrets returns a store talking to the cluster of cfg. cfg is copied;
// when it sets no rate limits, generous ones are used.
func NewSecrets(cfg *rest.Config, namespace string, opts Options) (*Secrets, error) {
	c := rest.CopyConfig(cfg)
	if c.QPS == 0 && c.RateLimiter == nil {
		c.QPS, c.Burst = defaultQPS, defaultBurst
	}
	api, err := newAPIClients(c)
	if err != nil {
		return nil, fmt.Errorf("secrets store: %w", err)
	}
	meta, err := metadata.NewForConfig(c)
	if err != nil {
		return nil, fmt.Errorf("secrets store: %w", err)
	}
	enc, err := newRecordEncoder()
	if err != nil {
		return nil, fmt.Errorf("secrets store: %w", err)
	}
	return &Secrets{api: api, meta: meta, namespace: namespace, opts: opts.withDefaults(), pre: &precoder{}, enc: enc, versions: newRecordVersions()}, nil
}

// InNamespace returns a store for another namespace sharing the same clients
// and caches.
func (s *Secrets) InNamespace(namespace string) *Secrets {
	c := *s
	c.namespace = namespace
	return &c
}

// Namespace returns the namespace the store reads and writes ("" for all).
func (s *Secrets) Namespace() string { return s.namespace }

// newSecret builds the Secret that holds rls, annotated with its summary,
// its description cut to maxDescription; when the record is larger than
// a Secret holds, the Secret holds its stub and the parts are returned
// (see split).
func (s *Secrets) newSecret(namespace string, rls *release.Release, lbs map[string]string) (*corev1.Secret, *partSet, error) {
	rls = boundDescription(rls)
	data, err := s.encode(rls)
	if err != nil {
		return nil, nil, err
	}
	obj := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: Key(rls.Name, rls.Version), Namespace: namespace, Labels: lbs},
		Type:       SecretType,
		Data:       map[string][]byte{"release": data},
	}
	if sum, ok := summaryAnnotation(rls); ok {
		obj.Annotations = map[string]string{SummaryAnnotation: sum}
	}
	annotateDigest(obj, rls)
	parts, err := split(obj, rls)
	if err != nil {
		return nil, nil, err
	}
	return obj, parts, nil
}

// Create stores a new revision as a Secret, labelled createdAt and annotated
// with SummaryAnnotation.
func (s *Secrets) Create(ctx context.Context, rls *release.Release) error {
	ns, err := writeNamespace(s.namespace, rls)
	if err != nil {
		return err
	}
	obj, parts, err := s.newSecret(ns, rls, recordLabels(rls, labelCreatedAt, s.opts.Now()))
	if err != nil {
		return err
	}
	if err := s.writeParts(ctx, parts); err != nil {
		return err
	}
	created, err := s.api.secrets(ns).Create(ctx, obj, metav1.CreateOptions{})
	if err != nil {
		s.dropParts(ctx, parts)
		if apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("release %q revision %d in namespace %q: %w", rls.Name, rls.Version, ns, release.ErrExists)
		}
		return fmt.Errorf("secret %s/%s: create: %w", ns, obj.Name, err)
	}
	s.versions.seen(created)
	s.ownParts(ctx, created, parts)
	return nil
}

// Update replaces a stored revision. As Helm does, the Secret is replaced
// whole, labelled modifiedAt (and annotated with SummaryAnnotation). When
// this store has read or written the record before, the update is
// conditional on it being unchanged since, and fails with an error
// wrapping release.ErrChanged if another client wrote it meanwhile.
func (s *Secrets) Update(ctx context.Context, rls *release.Release) error {
	ns, err := writeNamespace(s.namespace, rls)
	if err != nil {
		return err
	}
	obj, parts, err := s.newSecret(ns, rls, recordLabels(rls, labelModifiedAt, s.opts.Now()))
	if err != nil {
		return err
	}
	if err := s.writeParts(ctx, parts); err != nil {
		return err
	}
	obj.ResourceVersion = s.versions.of(ns, obj.Name)
	updated, err := s.api.secrets(ns).Update(ctx, obj, metav1.UpdateOptions{})
	if err != nil {
		s.dropParts(ctx, parts)
		if apierrors.IsNotFound(err) {
			return notFound(rls.Name, rls.Version)
		}
		if apierrors.IsConflict(err) {
			return fmt.Errorf("release %q revision %d in namespace %q: %w since this client read it", rls.Name, rls.Version, ns, release.ErrChanged)
		}
		return fmt.Errorf("secret %s/%s: update: %w", ns, obj.Name, err)
	}
	s.versions.seen(updated)
	s.ownParts(ctx, updated, parts)
	return nil
}

// Delete removes a revision and returns what it held.
func (s *Secrets) Delete(ctx context.Context, name string, revision int) (*release.Release, error) {
	obj, err := s.getSecret(ctx, name, revision)
	if err != nil {
		return nil, err
	}
	rls, parted, err := s.decodeParted(ctx, name, revision, obj)
	if err != nil {
		return nil, err
	}
	err = s.api.secrets(obj.Namespace).Delete(ctx, obj.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &obj.UID}})
	if apierrors.IsNotFound(err) {
		return nil, notFound(name, revision)
	}
	if err != nil {
		return nil, fmt.Errorf("secret %s/%s: delete: %w", obj.Namespace, obj.Name, err)
	}
	s.versions.forget(obj.Namespace, obj.Name)
	if parted {
		if err := s.deleteParts(ctx, obj.Namespace, name, revision, nil); err != nil {
			return nil, err
		}
	}
	return rls, nil
}

// getSecret fetches the Secret of a revision, finding its namespace by
// label when the store spans all namespaces.
func (s *Secrets) getSecret(ctx context.Context, name string, revision int) (*corev1.Secret, error) {
	if err := validName(name); err != nil {
		return nil, err
	}
	ns := s.namespace
	if ns == "" {
		recs, err := s.metas(ctx, "", labels.Set{labelName: name, labelVersion: fmt.Sprint(revision)})
		if err != nil {
			return nil, err
		}
		switch nss := namespacesOfMeta(recs); len(nss) {
		case 0:
			return nil, notFound(name, revision)
		case 1:
			ns = nss[0]
		default:
			return nil, ambiguous(name, nss)
		}
	}
	obj, err := s.api.secrets(ns).Get(ctx, Key(name, revision), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, notFound(name, revision)
	}
	if err != nil {
		return nil, fmt.Errorf("secret %s/%s: get: %w", ns, Key(name, revision), err)
	}
	s.versions.seen(obj)
	return obj, nil
}

// Get returns one revision in full.
func (s *Secrets) Get(ctx context.Context, name string, revision int) (*release.Release, error) {
	obj, err := s.getSecret(ctx, name, revision)
	if err != nil {
		return nil, err
	}
	return s.decodeSecret(ctx, name, revision, obj)
}

// matchingRecords is the label selector of the records whose labels match
// sel: sel with owner=helm, which every record carries.
func matchingRecords(sel labels.Set) string {
	set := labels.Set{labelOwner: ownerHelm}
	for k, v := range sel {
		set[k] = v
	}
	return set.AsSelector().String()
}

// metas lists the labels and summary annotations of the records matching
// sel (owner=helm is added) in namespace ns ("" for all), reading metadata
// only.
func (s *Secrets) metas(ctx context.Context, ns string, sel labels.Set) ([]recordMeta, error) {
	list, err := s.meta.Resource(secretsResource).Namespace(ns).List(ctx, metav1.ListOptions{LabelSelector: matchingRecords(sel)})
	if err != nil {
		return nil, fmt.Errorf("release records: list secrets%s: %w", inNamespace(ns), err)
	}
	out := make([]recordMeta, 0, len(list.Items))
	for i := range list.Items {
		m := &list.Items[i]
		rev, ok := revisionOf(m.Name, m.Labels)
		if !ok || m.Labels[labelName] == "" {
			s.opts.Logger.Debug("skipping release record without name or version", "namespace", m.Namespace, "secret", m.Name)
			continue
		}
		out = append(out, recordMeta{
			namespace: m.Namespace, name: m.Labels[labelName], objName: m.Name,
			revision: rev, status: release.Status(m.Labels[labelStatus]), labels: m.Labels,
			summary: m.Annotations[SummaryAnnotation], parts: m.Annotations[PartsAnnotation] != "",
		})
	}
	return out, nil
}

func inNamespace(ns string) string {
	if ns == "" {
		return " in all namespaces"
	}
	return " in namespace " + ns
}

// one reads the highest revision among recs in full.
func (s *Secrets) one(ctx context.Context, name string, recs []recordMeta) (*release.Release, error) {
	latest, err := highest(name, recs)
	if err != nil {
		return nil, err
	}
	return s.InNamespace(latest.namespace).Get(ctx, name, latest.revision)
}

// Last returns the highest revision of a release.
func (s *Secrets) Last(ctx context.Context, name string) (*release.Release, error) {
	if err := validName(name); err != nil {
		return nil, err
	}
	recs, err := s.metas(ctx, s.namespace, labels.Set{labelName: name})
	if err != nil {
		return nil, err
	}
	return s.one(ctx, name, recs)
}

// Deployed returns the highest deployed revision of a release.
func (s *Secrets) Deployed(ctx context.Context, name string) (*release.Release, error) {
	if err := validName(name); err != nil {
		return nil, err
	}
	recs, err := s.metas(ctx, s.namespace, labels.Set{labelName: name, labelStatus: string(release.StatusDeployed)})
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, noDeployed(name)
	}
	return s.one(ctx, name, recs)
}

// Prune deletes the oldest revisions of a release until at most keep remain,
// never the latest deployed one. It deletes as many as it can and reports
// every failure.
func (s *Secrets) Prune(ctx context.Context, name string, keep int) ([]int, error) {
	if keep < 0 {
		return nil, nil
	}
	if err := validName(name); err != nil {
		return nil, err
	}
	recs, err := s.metas(ctx, s.namespace, labels.Set{labelName: name})
	if err != nil {
		return nil, err
	}
	nss := namespacesOfMeta(recs)
	if len(nss) > 1 {
		return nil, ambiguous(name, nss)
	}
	victims := pruneVictims(recs, keep)
	var errs []error
	var deleted []int
	for _, v := range victims {
		err := s.api.secrets(nss[0]).Delete(ctx, Key(name, v), metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("secret %s/%s: delete: %w", nss[0], Key(name, v), err))
			continue
		}
		deleted = append(deleted, v)
		if i := slices.IndexFunc(recs, func(r recordMeta) bool { return r.revision == v }); i >= 0 && recs[i].parts {
			if err := s.deleteParts(ctx, nss[0], name, v, nil); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return deleted, errors.Join(errs...)
}

// History returns summaries of every revision of a release, oldest first.
// It lists the release's records' metadata and takes each summary from
// SummaryAnnotation where it can be trusted, fetching and decoding (only the
// fields a history table shows) the other records.
func (s *Secrets) History(ctx context.Context, name string) ([]Summary, error) {
	if err := validName(name); err != nil {
		return nil, err
	}
	recs, err := s.metas(ctx, s.namespace, labels.Set{labelName: name})
	if err != nil {
		return nil, fmt.Errorf("release %q: history: %w", name, err)
	}
	if len(recs) == 0 {
		return nil, notFound(name, 0)
	}
	if nss := namespacesOfMeta(recs); len(nss) > 1 {
		return nil, ambiguous(name, nss)
	}
	return s.summaries(ctx, recs)
}

// decodeSummaries decodes the Summary of each Secret in parallel, returning
// for each its summary or its error.
func decodeSummaries(items []*corev1.Secret) ([]Summary, []error) {
	out := make([]Summary, len(items))
	errs := parallelWith(len(items), func() *decoder { return new(decoder) }, func(d *decoder, i int) error {
		sum, err := d.summary(items[i].Data["release"])
		if err != nil {
			return fmt.Errorf("secret %s/%s: decode release: %w", items[i].Namespace, items[i].Name, err)
		}
		sum.Labels = customLabels(items[i].Labels)
		out[i] = sum
		return nil
	})
	return out, errs
}

// recordSelector selects records (owner=helm) whose status is one of
// statuses and, when names is not empty, whose release is one of names.
func recordSelector(statuses, names []string) (labels.Selector, error) {
	owner, err := labels.NewRequirement(labelOwner, selection.Equals, []string{ownerHelm})
	if err != nil {
		return nil, err
	}
	st, err := labels.NewRequirement(labelStatus, selection.In, statuses)
	if err != nil {
		return nil, fmt.Errorf("status selector %s: %w", strings.Join(statuses, ","), err)
	}
	sel := labels.NewSelector().Add(*owner, *st)
	if len(names) > 0 {
		nm, err := labels.NewRequirement(labelName, selection.In, names)
		if err != nil {
			return nil, fmt.Errorf("name selector: %w", err)
		}
		sel = sel.Add(*nm)
	}
	return sel, nil
}
