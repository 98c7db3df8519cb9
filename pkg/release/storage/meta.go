package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/bargehq/barge/pkg/release"
)

// DigestAnnotation is the annotation in which the Secrets store keeps, on
// each record it writes, the record's ContentDigest, so that a caller can
// tell from metadata alone whether a desired release is the recorded one.
//
// Its value is JSON naming the record it describes:
//
//	{"name":"web","version":3,"digest":"sha256:9f86d0…"}
//
// Helm does not know it: Helm v3 and v4 replace the whole Secret when they
// update a record, dropping it. Other writers may keep it while changing
// the record, so ListMeta trusts it only when its name and revision are
// those of the Secret's labels and the Secret's managed fields show that
// whoever last changed data.release also wrote the annotation (every
// field manager owning data.release owns the annotation too).
const DigestAnnotation = "barge.dev/digest"

// digestRecord is what DigestAnnotation holds.
type digestRecord struct {
	Name    string `json:"name"`
	Version int    `json:"version"`
	Digest  string `json:"digest"`
}

// ContentDigest returns a digest of the parts of a release that say whether
// it is already in a desired state: its chart's name and version, its user
// values (Config, compared as JSON: empty and absent values are the same),
// its manifest, and the name and manifest of each of its hooks, in order.
// Two releases with equal digests have the same chart version and values
// and render the same objects. Revision, status, times, labels, the
// chart's files and the hooks' runs are left out.
func ContentDigest(rls *release.Release) (string, error) {
	h := sha256.New()
	var name, version string
	if rls.Chart != nil && rls.Chart.Metadata != nil {
		name, version = rls.Chart.Metadata.Name, rls.Chart.Metadata.Version
	}
	config := []byte("{}")
	if len(rls.Config) > 0 {
		var err error
		if config, err = json.Marshal(rls.Config); err != nil {
			return "", fmt.Errorf("release %q: values: %w", rls.Name, err)
		}
	}
	digestField(h, []byte(name))
	digestField(h, []byte(version))
	digestField(h, config)
	digestField(h, []byte(rls.Manifest))
	digestField(h, binary.BigEndian.AppendUint64(nil, uint64(len(rls.Hooks))))
	for _, hk := range rls.Hooks {
		if hk == nil {
			digestField(h, nil)
			digestField(h, nil)
			continue
		}
		digestField(h, []byte(hk.Name))
		digestField(h, []byte(hk.Manifest))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// digestField writes b to h after its length, so that fields cannot run
// into each other.
func digestField(h hash.Hash, b []byte) {
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(b))))
	h.Write(b)
}

// annotateDigest sets DigestAnnotation on the Secret that holds rls; it
// sets nothing when the digest cannot be computed (the record is then read
// in full by those who compare it).
func annotateDigest(obj *corev1.Secret, rls *release.Release) {
	d, err := ContentDigest(rls)
	if err != nil {
		return
	}
	b, err := json.Marshal(digestRecord{Name: rls.Name, Version: rls.Version, Digest: d})
	if err != nil {
		return
	}
	if obj.Annotations == nil {
		obj.Annotations = map[string]string{}
	}
	obj.Annotations[DigestAnnotation] = string(b)
}

// RecordMeta is what the metadata of a stored record tells of it, without
// its data.
type RecordMeta struct {
	// Namespace and Name identify the release.
	Namespace, Name string
	// Revision is the record's revision.
	Revision int
	// Status is the record's status, as its labels say.
	Status release.Status
	// Labels are the record's custom labels (IsSystemLabel ones left out).
	Labels map[string]string
	// Digest is the record's ContentDigest, taken from DigestAnnotation,
	// or "" when the annotation is missing or cannot be trusted to
	// describe the record's data (see DigestAnnotation).
	Digest string
}

// ListMeta returns the metadata of the records whose labels match sel
// (owner=helm is added) in the store's namespace, or in all namespaces when
// the store spans them, in one request that transfers no record data. The
// records come in no particular order, every revision of every release.
func (s *Secrets) ListMeta(ctx context.Context, sel labels.Set) ([]RecordMeta, error) {
	list, err := s.meta.Resource(secretsResource).Namespace(s.namespace).List(ctx, metav1.ListOptions{LabelSelector: matchingRecords(sel)})
	if err != nil {
		return nil, fmt.Errorf("release records: list secrets%s: %w", inNamespace(s.namespace), err)
	}
	out := make([]RecordMeta, 0, len(list.Items))
	for i := range list.Items {
		m := &list.Items[i]
		rev, ok := revisionOf(m.Name, m.Labels)
		name := m.Labels[labelName]
		if !ok || name == "" {
			s.opts.Logger.Debug("skipping release record without name or version", "namespace", m.Namespace, "secret", m.Name)
			continue
		}
		out = append(out, RecordMeta{
			Namespace: m.Namespace, Name: name, Revision: rev,
			Status: release.Status(m.Labels[labelStatus]), Labels: customLabels(m.Labels),
			Digest: trustedDigest(name, rev, m.Annotations[DigestAnnotation], m.ManagedFields),
		})
	}
	return out, nil
}

// Record is a stored record as listed, its data not yet decoded, so that
// a caller listing many records need not hold them all decoded at once.
type Record struct {
	// Namespace and Name identify the release.
	Namespace, Name string
	// Revision is the record's revision.
	Revision int
	// Status is the record's status, as its labels say.
	Status release.Status
	// Labels are the record's custom labels (IsSystemLabel ones left out).
	Labels map[string]string
	// Data is the record as stored, base64(gzip(JSON)), as Decode takes it.
	Data []byte
}

// Decode decodes the record, labelled with Labels, as the store's Get
// returns it.
func (r *Record) Decode() (*release.Release, error) {
	return decodeRecord(r.Name, r.Revision, r.Data, r.Labels)
}

// ListRecords returns the records, data included, whose labels match sel
// (owner=helm is added) in the store's namespace, or in all namespaces when
// the store spans them, in one request. The records come in no particular
// order; Secrets that are not of SecretType, or lack the name or version
// of a record, are left out. Select narrowly (by status, by a custom
// label): every record listed is transferred whole.
func (s *Secrets) ListRecords(ctx context.Context, sel labels.Set) ([]Record, error) {
	list, err := s.api.secrets(s.namespace).List(ctx, metav1.ListOptions{LabelSelector: matchingRecords(sel)})
	if err != nil {
		return nil, fmt.Errorf("release records: list secrets%s: %w", inNamespace(s.namespace), err)
	}
	out := make([]Record, 0, len(list.Items))
	for i := range list.Items {
		obj := &list.Items[i]
		rev, ok := revisionOf(obj.Name, obj.Labels)
		name := obj.Labels[labelName]
		if !ok || name == "" || obj.Type != SecretType {
			s.opts.Logger.Debug("skipping secret that is not a release record", "namespace", obj.Namespace, "secret", obj.Name, "type", obj.Type)
			continue
		}
		data, err := s.assembled(ctx, obj) // a record stored in parts is read whole
		if err != nil {
			return nil, err
		}
		out = append(out, Record{
			Namespace: obj.Namespace, Name: name, Revision: rev,
			Status: release.Status(obj.Labels[labelStatus]), Labels: customLabels(obj.Labels),
			Data: data,
		})
	}
	return out, nil
}

// trustedDigest returns the digest that annotation (DigestAnnotation's
// value) holds when it names the record (name, revision) and the managed
// fields show that every writer owning data.release also owns the
// annotation; otherwise "".
func trustedDigest(name string, revision int, annotation string, managed []metav1.ManagedFieldsEntry) string {
	if annotation == "" {
		return ""
	}
	var d digestRecord
	if err := json.Unmarshal([]byte(annotation), &d); err != nil || d.Name != name || d.Version != revision || d.Digest == "" {
		return ""
	}
	if !digestOwnedWithData(managed) {
		return ""
	}
	return d.Digest
}

// managedSecretFields is the part of a Secret's managed fields (fieldsV1)
// that trustedDigest reads.
type managedSecretFields struct {
	Data *struct {
		Release json.RawMessage `json:"f:release"`
	} `json:"f:data"`
	Metadata *struct {
		Annotations *struct {
			Digest json.RawMessage `json:"f:barge.dev/digest"`
		} `json:"f:annotations"`
	} `json:"f:metadata"`
}

// digestOwnedWithData reports whether at least one field manager owns
// data.release and every one that does also owns DigestAnnotation: no
// writer changed the record's data without writing the digest with it.
func digestOwnedWithData(managed []metav1.ManagedFieldsEntry) bool {
	owners := 0
	for _, e := range managed {
		if e.FieldsV1 == nil || e.Subresource != "" {
			continue
		}
		raw := e.FieldsV1.GetRawBytes()
		// A cheap test first: entries that own no data are skipped unparsed.
		if !bytes.Contains(raw, []byte(`"f:release"`)) {
			continue
		}
		var f managedSecretFields
		if err := json.Unmarshal(raw, &f); err != nil {
			return false
		}
		if f.Data == nil || f.Data.Release == nil {
			continue
		}
		owners++
		if f.Metadata == nil || f.Metadata.Annotations == nil || f.Metadata.Annotations.Digest == nil {
			return false
		}
	}
	return owners > 0
}
