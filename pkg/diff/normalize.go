package diff

import (
	"reflect"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// serverMetadata are the metadata fields the API server owns: they change
// on every write or record the object's identity in one cluster, and never
// say what anyone wants of the object.
var serverMetadata = []string{
	"managedFields", "resourceVersion", "uid", "generation", "creationTimestamp",
	"selfLink", "deletionTimestamp", "deletionGracePeriodSeconds",
}

// Normalize returns a copy of obj without the fields the server owns and
// that never express a user's intent: metadata.managedFields,
// resourceVersion, uid, generation, creationTimestamp, selfLink,
// deletionTimestamp, deletionGracePeriodSeconds, and the top-level status.
// Empty metadata.labels and metadata.annotations are dropped too, so that
// "none" and "empty" compare equal. A nil obj gives nil.
func Normalize(obj *unstructured.Unstructured) *unstructured.Unstructured {
	if obj == nil {
		return nil
	}
	out := obj.DeepCopy()
	delete(out.Object, "status")
	if md, ok := out.Object["metadata"].(map[string]any); ok {
		for _, f := range serverMetadata {
			delete(md, f)
		}
		for _, f := range []string{"labels", "annotations"} {
			if m, ok := md[f].(map[string]any); ok && len(m) == 0 {
				delete(md, f)
			}
		}
	}
	return out
}

// Masked is what a Secret's value is replaced with when secrets are
// hidden; a value that changes shows as MaskedBefore on the live side and
// MaskedAfter on the other.
const (
	Masked       = "*** (masked)"
	MaskedBefore = "*** (masked, before)"
	MaskedAfter  = "*** (masked, after)"
)

// lastAppliedAnnotation is kubectl's copy of the last applied object; for
// a Secret it holds the Secret's values.
const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// isSecret reports whether obj is a core Secret.
func isSecret(obj *unstructured.Unstructured) bool {
	if obj == nil {
		return false
	}
	gvk := obj.GroupVersionKind()
	return gvk.Group == "" && gvk.Kind == "Secret"
}

// maskSecrets replaces the values of the data and stringData of Secrets
// before and after (either may be nil; both are modified) so that equal
// values stay equal, changed values differ, and added or removed keys
// still show, without revealing any value. kubectl's
// last-applied-configuration annotation, which copies the values, is
// masked alike.
func maskSecrets(before, after *unstructured.Unstructured) {
	if !isSecret(before) && !isSecret(after) {
		return
	}
	for _, field := range []string{"data", "stringData"} {
		bm := mapAt(before, field)
		am := mapAt(after, field)
		for k, bv := range bm {
			av, inAfter := am[k]
			if inAfter && !reflect.DeepEqual(av, bv) {
				bm[k], am[k] = MaskedBefore, MaskedAfter
				continue
			}
			bm[k] = Masked
			if inAfter {
				am[k] = Masked
			}
		}
		for k := range am {
			if _, inBefore := bm[k]; !inBefore {
				am[k] = Masked
			}
		}
	}
	ba := annotations(before)
	aa := annotations(after)
	bv, inB := ba[lastAppliedAnnotation]
	av, inA := aa[lastAppliedAnnotation]
	switch {
	case inB && inA && bv != av:
		ba[lastAppliedAnnotation], aa[lastAppliedAnnotation] = MaskedBefore, MaskedAfter
	default:
		if inB {
			ba[lastAppliedAnnotation] = Masked
		}
		if inA {
			aa[lastAppliedAnnotation] = Masked
		}
	}
}

// mapAt returns obj's top-level map field, or nil.
func mapAt(obj *unstructured.Unstructured, field string) map[string]any {
	if obj == nil {
		return nil
	}
	m, _ := obj.Object[field].(map[string]any)
	return m
}

// annotations returns obj's annotations map itself (not a copy), or nil.
func annotations(obj *unstructured.Unstructured) map[string]any {
	if obj == nil {
		return nil
	}
	md, _ := obj.Object["metadata"].(map[string]any)
	a, _ := md["annotations"].(map[string]any)
	return a
}

// secretPath reports whether a path of a Secret holds a value to mask.
func secretPath(path []string) bool {
	if len(path) >= 2 && (path[0] == "data" || path[0] == "stringData") {
		return true
	}
	return slices.Equal(path, []string{"metadata", "annotations", lastAppliedAnnotation})
}
