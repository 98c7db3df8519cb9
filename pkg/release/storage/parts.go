package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"helm.sh/helm/v3/pkg/chart"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/bargehq/barge/pkg/release"
)

// A record larger than a Secret holds is stored in parts (see
// docs/storage.md):
//
//   - The record's Secret, sh.helm.release.v1.<name>.v<revision>, keeps
//     Helm's name, type and labels, so Helm lists the revision, and holds a
//     small record in Helm's format, the stub: the revision's name,
//     namespace, status and times, the chart's metadata (no templates or
//     files), a description saying that barge stored the revision in parts,
//     and a manifest of one object of a kind no cluster has
//     (ReleaseStoredByBarge, named stored-by-barge-use-barge), so that
//     `helm upgrade` and `helm rollback` stop on it, naming it, before
//     they change any object. The chart's metadata carries PartsAnnotation,
//     which says where the record is; so does the Secret.
//   - The record itself, gzipped as Helm gzips it (without Helm's base64),
//     is cut into part Secrets of at most partSize bytes, named
//     <record's Secret>.part-<12 hex digits of its SHA-256>-<i>, of type
//     partSecretType, labelled owner=barge (not owner=helm: Helm never
//     lists them), name and version, and owned by the record's Secret (so
//     that Kubernetes' garbage collector deletes them when Helm deletes it).
//
// The parts are written before the record's Secret and named by their
// content, so the record's Secret always names a complete set of parts:
// an update writes new parts, replaces the record's Secret, then deletes
// the parts it replaced.

// PartsAnnotation is the annotation, on the Secret of a record stored in
// parts and in its stub's chart metadata, that says where the record is.
// Its value is JSON:
//
//	{"name":"web","version":3,"parts":3,"size":2831406,"sha256":"9f86d0…"}
//
// size is the length of the gzipped record, sha256 its SHA-256 in hex.
const PartsAnnotation = "barge.dev/parts"

// MaxRecordSize is the largest record, gzipped, the Secrets store keeps: 8
// MiB, in at most 8 parts. A release whose record would be larger is
// refused before anything is applied (CheckRecord).
const MaxRecordSize = 8 << 20

// maxSecretData is Kubernetes' limit on the data of a Secret (the sum of
// its values' lengths). A record whose data.release is longer is stored in
// parts.
const maxSecretData = 1 << 20

// partSize is the most a part holds, in bytes of the gzipped record.
const partSize = maxSecretData

// partSecretType is the type of the Secrets that hold parts of a record.
const partSecretType = "barge.dev/release-part.v1"

// ownerBarge is the owner label of part Secrets.
const ownerBarge = "barge"

// stubKind and stubName name the one object of a stub's manifest.
const (
	stubAPIVersion = "barge.dev/v1"
	stubKind       = "ReleaseStoredByBarge"
	stubName       = "stored-by-barge-use-barge"
)

// stubManifest is the manifest of a stub: one object of a kind no cluster
// has, whose kind and name say what to do.
const stubManifest = "---\n" +
	"# Source: this revision is stored by barge in parts (over the 1 MiB of a Secret): Helm cannot read it; use barge\n" +
	"apiVersion: " + stubAPIVersion + "\n" +
	"kind: " + stubKind + "\n" +
	"metadata:\n" +
	"  name: " + stubName + "\n"

// partsInfo is PartsAnnotation's value.
type partsInfo struct {
	Name    string `json:"name"`
	Version int    `json:"version"`
	Parts   int    `json:"parts"`
	Size    int    `json:"size"`
	SHA256  string `json:"sha256"`
}

// partName returns the name of part i (from 1) of a record.
func (p partsInfo) partName(i int) string {
	return fmt.Sprintf("%s.part-%s-%d", Key(p.Name, p.Version), p.SHA256[:12], i)
}

// partSet is the part Secrets of a record, to write with the record's
// Secret.
type partSet struct {
	info    partsInfo
	secrets []*corev1.Secret
	created []bool // by writeParts (not found there already)
}

// names returns the names of the parts, or none for a nil set.
func (ps *partSet) names() []string {
	if ps == nil {
		return nil
	}
	out := make([]string, len(ps.secrets))
	for i, p := range ps.secrets {
		out[i] = p.Name
	}
	return out
}

// split stores rls in parts when its Secret obj, as built by newSecret, is
// too large: it replaces the Secret's data with the stub, annotates it
// with PartsAnnotation and returns the parts. It returns nil when the
// record fits in obj, and an error wrapping release.ErrRecordTooLarge when
// it is larger than MaxRecordSize.
func split(obj *corev1.Secret, rls *release.Release) (*partSet, error) {
	data := obj.Data["release"]
	if len(data) <= maxSecretData {
		return nil, nil
	}
	gz := make([]byte, base64.StdEncoding.DecodedLen(len(data)))
	n, err := base64.StdEncoding.Decode(gz, data)
	if err != nil {
		return nil, fmt.Errorf("release %q: split record: %w", rls.Name, err)
	}
	gz = gz[:n]
	if len(gz) > MaxRecordSize {
		return nil, tooLarge(rls, len(gz))
	}
	sum := sha256.Sum256(gz)
	info := partsInfo{Name: rls.Name, Version: rls.Version, Size: len(gz), SHA256: hex.EncodeToString(sum[:])}
	chunks := slices.Collect(slices.Chunk(gz, partSize))
	info.Parts = len(chunks)
	ann, err := json.Marshal(info)
	if err != nil {
		return nil, fmt.Errorf("release %q: split record: %w", rls.Name, err)
	}
	stub, err := Encode(stubRecord(rls, info, string(ann)))
	if err != nil {
		return nil, err
	}
	obj.Data = map[string][]byte{"release": stub}
	if obj.Annotations == nil {
		obj.Annotations = map[string]string{}
	}
	obj.Annotations[PartsAnnotation] = string(ann)
	ps := &partSet{info: info}
	for i, c := range chunks {
		ps.secrets = append(ps.secrets, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{
				Name: info.partName(i + 1), Namespace: obj.Namespace,
				Labels: map[string]string{labelOwner: ownerBarge, labelName: rls.Name, labelVersion: fmt.Sprint(rls.Version)},
			},
			Type: partSecretType,
			Data: map[string][]byte{"part": c},
		})
	}
	return ps, nil
}

// stubRecord returns the record Helm reads in the Secret of rls, stored in
// parts as info says; ann is info's JSON.
func stubRecord(rls *release.Release, info partsInfo, ann string) *release.Release {
	stub := &release.Release{
		Name: rls.Name, Namespace: rls.Namespace, Version: rls.Version, ApplyMethod: rls.ApplyMethod,
		Manifest: stubManifest,
	}
	desc := ""
	if rls.Info != nil {
		i := *rls.Info
		i.Notes, i.Resources = "", nil
		desc = truncate(i.Description, 512)
		stub.Info = &i
	} else {
		stub.Info = &release.Info{}
	}
	stub.Info.Description = fmt.Sprintf("%s [stored by barge in %d parts, %s: Helm cannot read or change this revision; use barge]",
		desc, info.Parts, release.ByteSize(info.Size))
	md := &chart.Metadata{}
	if rls.Chart != nil && rls.Chart.Metadata != nil {
		c := *rls.Chart.Metadata
		md = &c
	}
	md.Annotations = maps.Clone(md.Annotations)
	if md.Annotations == nil {
		md.Annotations = map[string]string{}
	}
	md.Annotations[PartsAnnotation] = ann
	stub.Chart = &chart.Chart{Metadata: md}
	return stub
}

// stubInfo returns the parts a decoded record stands for, when it is the
// stub of a record stored in parts whose Secret is objName.
func stubInfo(rls *release.Release) (partsInfo, bool) {
	if rls.Chart == nil || rls.Chart.Metadata == nil || rls.Manifest != stubManifest {
		return partsInfo{}, false
	}
	ann, ok := rls.Chart.Metadata.Annotations[PartsAnnotation]
	if !ok {
		return partsInfo{}, false
	}
	var info partsInfo
	if err := json.Unmarshal([]byte(ann), &info); err != nil || info.Parts < 1 || len(info.SHA256) != 64 {
		return partsInfo{}, false
	}
	return info, true
}

// writeParts creates the parts of a record, before its Secret. A part that
// exists already is the same (its name holds its record's digest). On
// failure it deletes the parts it created.
func (s *Secrets) writeParts(ctx context.Context, ps *partSet) error {
	if ps == nil {
		return nil
	}
	ps.created = make([]bool, len(ps.secrets))
	errs := parallel(len(ps.secrets), func(i int) error {
		p := ps.secrets[i]
		_, err := s.api.secrets(p.Namespace).Create(ctx, p, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("secret %s/%s: create: %w", p.Namespace, p.Name, err)
		}
		ps.created[i] = err == nil
		return nil
	})
	if err := errors.Join(errs...); err != nil {
		s.dropParts(ctx, ps)
		return fmt.Errorf("release %q revision %d: store in %d parts: %w", ps.info.Name, ps.info.Version, ps.info.Parts, err)
	}
	return nil
}

// dropParts deletes the parts writeParts created for a record whose Secret
// could not be written, as well as it can; parts that were there already
// are another write's.
func (s *Secrets) dropParts(ctx context.Context, ps *partSet) {
	if ps == nil {
		return
	}
	for i, p := range ps.secrets {
		if i >= len(ps.created) || !ps.created[i] {
			continue
		}
		if err := s.api.secrets(p.Namespace).Delete(context.WithoutCancel(ctx), p.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			s.opts.Logger.Warn("could not delete a record's part", "namespace", p.Namespace, "secret", p.Name, "error", err)
		}
	}
}

// ownParts makes the record's Secret main the owner of its parts, so that
// the garbage collector deletes them with it (when Helm deletes it), and
// deletes the other parts of the same revision (those main named before).
// Failures are logged: the record is stored, and barge deletes parts with
// their record itself.
func (s *Secrets) ownParts(ctx context.Context, main *corev1.Secret, ps *partSet) {
	if ps == nil {
		// A record in one Secret: no request more. Parts it had before
		// stay owned by it, for the garbage collector.
		return
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"ownerReferences": []metav1.OwnerReference{{
		APIVersion: "v1", Kind: "Secret", Name: main.Name, UID: main.UID,
	}}}})
	if err != nil {
		return
	}
	parallel(len(ps.secrets), func(i int) error {
		p := ps.secrets[i]
		if err := s.secretPatch(ctx, p.Namespace, p.Name, patch); err != nil {
			s.opts.Logger.Warn("could not make a record's part owned by the record", "namespace", p.Namespace, "secret", p.Name, "error", err)
		}
		return nil
	})
	rev, _ := revisionOf(main.Name, main.Labels)
	if err := s.deleteParts(ctx, main.Namespace, main.Labels[labelName], rev, ps.names()); err != nil {
		s.opts.Logger.Warn("could not delete a record's former parts", "namespace", main.Namespace, "secret", main.Name, "error", err)
	}
}

// secretPatch applies a JSON merge patch to a Secret.
func (s *Secrets) secretPatch(ctx context.Context, ns, name string, patch []byte) error {
	c := s.api.secrets(ns).resourceClient
	return c.rc.Patch(types.MergePatchType).
		Namespace(ns).
		Resource(c.resource).
		Name(name).
		Body(patch).
		Do(ctx).
		Error()
}

// deleteParts deletes the parts of a revision but those named in keep.
func (s *Secrets) deleteParts(ctx context.Context, ns, name string, revision int, keep []string) error {
	sel := labels.Set{labelOwner: ownerBarge, labelName: name, labelVersion: fmt.Sprint(revision)}.AsSelector().String()
	list, err := s.meta.Resource(secretsResource).Namespace(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return fmt.Errorf("release %q revision %d: list parts in namespace %s: %w", name, revision, ns, err)
	}
	var errs []error
	for _, m := range list.Items {
		if slices.Contains(keep, m.Name) {
			continue
		}
		err := s.api.secrets(ns).Delete(ctx, m.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &m.UID}})
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("secret %s/%s: delete: %w", ns, m.Name, err))
		}
	}
	return errors.Join(errs...)
}

// decodeSecret decodes the record a Secret holds, reading its parts when
// it is stored in parts.
func (s *Secrets) decodeSecret(ctx context.Context, name string, revision int, obj *corev1.Secret) (*release.Release, error) {
	rls, _, err := s.decodeParted(ctx, name, revision, obj)
	return rls, err
}

// decodeParted is decodeSecret, also reporting whether the record is
// stored in parts (when Helm rewrote its Secret, only the stub says so).
func (s *Secrets) decodeParted(ctx context.Context, name string, revision int, obj *corev1.Secret) (*release.Release, bool, error) {
	rls, err := decodeRecord(name, revision, obj.Data["release"], obj.Labels)
	if err != nil {
		return nil, false, err
	}
	info, ok := stubInfo(rls)
	if !ok || info.Name != rls.Name || info.Version != rls.Version {
		return rls, false, nil
	}
	gz, err := s.readParts(ctx, obj.Namespace, info)
	if err != nil {
		return nil, true, fmt.Errorf("release %q revision %d: %w", name, revision, err)
	}
	var full release.Release
	var d decoder
	if err := d.decodeGzip(gz, &full); err != nil {
		return nil, true, fmt.Errorf("release %q revision %d: decode parts: %w", name, revision, err)
	}
	full.Labels = rls.Labels
	// Helm may have rewritten the stub (its uninstall --keep-history marks
	// it uninstalled): its status is the revision's.
	if full.Info != nil && rls.Info != nil && full.Info.Status != rls.Info.Status {
		full.Info.Status, full.Info.Deleted, full.Info.Description = rls.Info.Status, rls.Info.Deleted, rls.Info.Description
	}
	return &full, true, nil
}

// readParts fetches the parts info names, in namespace ns, and returns the
// gzipped record they hold, checked against its digest.
func (s *Secrets) readParts(ctx context.Context, ns string, info partsInfo) ([]byte, error) {
	if info.Parts > MaxRecordSize/partSize || info.Size > MaxRecordSize {
		return nil, fmt.Errorf("stored in %d parts of %d bytes: more than barge writes", info.Parts, info.Size)
	}
	chunks := make([][]byte, info.Parts)
	errs := parallel(info.Parts, func(i int) error {
		p, err := s.api.secrets(ns).Get(ctx, info.partName(i+1), metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("part %d of %d (secret %s/%s): %w", i+1, info.Parts, ns, info.partName(i+1), err)
		}
		chunks[i] = p.Data["part"]
		return nil
	})
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("stored in parts: %w", err)
	}
	gz := bytes.Join(chunks, nil)
	sum := sha256.Sum256(gz)
	if len(gz) != info.Size || hex.EncodeToString(sum[:]) != info.SHA256 {
		return nil, fmt.Errorf("stored in %d parts: they hold %d bytes of digest %x, not the %d bytes of digest %s the record's Secret names",
			info.Parts, len(gz), sum[:6], info.Size, info.SHA256[:12])
	}
	return gz, nil
}

// assembled returns the record a listed Secret holds as Decode takes it
// (base64 of the gzip), reading its parts when it is stored in parts.
func (s *Secrets) assembled(ctx context.Context, obj *corev1.Secret) ([]byte, error) {
	data := obj.Data["release"]
	ann, ok := obj.Annotations[PartsAnnotation]
	if !ok {
		return data, nil
	}
	var info partsInfo
	if err := json.Unmarshal([]byte(ann), &info); err != nil || info.Parts < 1 || len(info.SHA256) != 64 {
		return data, nil
	}
	gz, err := s.readParts(ctx, obj.Namespace, info)
	if err != nil {
		return nil, fmt.Errorf("secret %s/%s: %w", obj.Namespace, obj.Name, err)
	}
	out := make([]byte, base64.StdEncoding.EncodedLen(len(gz)))
	base64.StdEncoding.Encode(out, gz)
	return out, nil
}

// truncate cuts s to at most n bytes at a character boundary, saying how
// much was cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… [%d bytes cut]", s[:cut], len(s)-cut)
}

// utf8RuneStart reports whether b can start a UTF-8 character.
func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
