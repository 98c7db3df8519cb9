package release

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/bargehq/barge/pkg/chart/render"
	"github.com/bargehq/barge/pkg/kube"
)

// Operation names what a Plan does.
type Operation string

// The operations.
const (
	OpInstall   Operation = "install"
	OpUpgrade   Operation = "upgrade"
	OpRollback  Operation = "rollback"
	OpUninstall Operation = "uninstall"
)

// The ownership metadata put on every object of a release, as Helm does.
const (
	ManagedByLabel             = "app.kubernetes.io/managed-by"
	ManagedByHelm              = "Helm"
	ReleaseNameAnnotation      = "meta.helm.sh/release-name"
	ReleaseNamespaceAnnotation = "meta.helm.sh/release-namespace"
	// ResourcePolicyAnnotation set to "keep" keeps an object when the
	// release drops it or is uninstalled.
	ResourcePolicyAnnotation = "helm.sh/resource-policy"
	// KeepPolicy is the value of ResourcePolicyAnnotation that keeps an object.
	KeepPolicy = "keep"
)

// Plan is the computed change of one operation, before anything is done:
// what the engine will record, apply, delete and run. Computing a plan
// reads the store but changes nothing and talks to no cluster, so `diff`
// and dry runs share it with the real operation.
//
// A Plan is a plain value; it is not safe to modify from several goroutines.
type Plan struct {
	// Operation is what the plan does.
	Operation Operation
	// Release is the record to write: the new revision, in its pending
	// status (for uninstall: the last revision, to be marked uninstalled).
	Release *Release
	// Current is the revision the operation replaces (upgrade: the last
	// deployed one; rollback: the last one); nil for install and uninstall.
	Current *Release
	// ClientSide says the live objects may hold fields applied client-side
	// (by Helm v3, or Helm v4 with --server-side=false): Current, or a
	// later revision that failed or was interrupted, was applied so. Those
	// fields belong to Helm's "Update" manager, which server-side apply sees
	// as another owner, so the operation takes them over, as Helm v4 does
	// when it switches a release to server-side apply.
	ClientSide bool
	// Replaces is the last revision of a release being reinstalled with
	// Replace; nil otherwise.
	Replaces *Release
	// CRDs are the CustomResourceDefinitions of the charts' crds/ folders,
	// created before anything else if missing (install only).
	CRDs []*unstructured.Unstructured
	// Namespace is the release namespace to create first, with
	// CreateNamespace; nil otherwise.
	Namespace *unstructured.Unstructured
	// Apply are the objects to apply, in Helm's install order by kind, each
	// carrying the release's ownership metadata.
	Apply []*unstructured.Unstructured
	// Delete are the objects to delete, in Helm's uninstall order: for an
	// upgrade or rollback, those of Current that the new revision drops.
	Delete []*unstructured.Unstructured
	// Kept are the objects not deleted because they are annotated
	// helm.sh/resource-policy: keep.
	Kept []kube.ObjectRef
	// Hooks are the hooks the operation runs, per event, in execution
	// order (weight, then name). They point into Release.Hooks.
	Hooks map[HookEvent][]*Hook
	// Warnings are messages from rendering.
	Warnings []string
}

// HooksFor returns the hooks of event in execution order.
func (p *Plan) HooksFor(event HookEvent) []*Hook { return p.Hooks[event] }

// objectKey identifies an object across apiVersions: group, kind,
// namespace and name.
func objectKey(u *unstructured.Unstructured) string {
	gk := u.GroupVersionKind().GroupKind()
	return gk.Group + "/" + gk.Kind + "/" + u.GetNamespace() + "/" + u.GetName()
}

// clusterScoped lists the built-in kinds that live outside namespaces. Other
// kinds get the release namespace when they have none; the cluster client
// drops it again for kinds it maps as cluster-scoped.
func clusterScoped(gk schema.GroupKind) bool {
	switch gk {
	case schema.GroupKind{Kind: "Namespace"},
		schema.GroupKind{Kind: "Node"},
		schema.GroupKind{Kind: "PersistentVolume"},
		schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"},
		schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"},
		schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"},
		schema.GroupKind{Group: "scheduling.k8s.io", Kind: "PriorityClass"},
		schema.GroupKind{Group: "storage.k8s.io", Kind: "StorageClass"},
		schema.GroupKind{Group: "storage.k8s.io", Kind: "CSIDriver"},
		schema.GroupKind{Group: "storage.k8s.io", Kind: "VolumeAttachment"},
		schema.GroupKind{Group: "networking.k8s.io", Kind: "IngressClass"},
		schema.GroupKind{Group: "node.k8s.io", Kind: "RuntimeClass"},
		schema.GroupKind{Group: "apiregistration.k8s.io", Kind: "APIService"},
		schema.GroupKind{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration"},
		schema.GroupKind{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration"},
		schema.GroupKind{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicy"},
		schema.GroupKind{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicyBinding"}:
		return true
	}
	return false
}

// parseObjects parses a YAML stream (a release manifest, a hook, a crds/
// file) into objects, expanding List kinds, and gives namespaced objects
// without a namespace the one given. source names the stream in errors.
func parseObjects(source, stream, namespace string) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for i, doc := range render.SplitDocuments(stream) {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", source, i+1, err)
		}
		if len(m) == 0 {
			continue // only comments
		}
		u := &unstructured.Unstructured{Object: m}
		if u.GetKind() == "" || u.GetAPIVersion() == "" {
			return nil, fmt.Errorf("%s: document %d: apiVersion and kind must be set", source, i+1)
		}
		objs := []*unstructured.Unstructured{u}
		if u.IsList() {
			list, err := u.ToList()
			if err != nil {
				return nil, fmt.Errorf("%s: document %d: %w", source, i+1, err)
			}
			objs = objs[:0]
			for j := range list.Items {
				objs = append(objs, &list.Items[j])
			}
		}
		for _, o := range objs {
			if o.GetName() == "" {
				return nil, fmt.Errorf("%s: %s: metadata.name must be set", source, o.GetKind())
			}
			if o.GetNamespace() == "" && !clusterScoped(o.GroupVersionKind().GroupKind()) {
				o.SetNamespace(namespace)
			}
			out = append(out, o)
		}
	}
	return out, nil
}

// setOwnership puts the release's ownership metadata on obj.
func setOwnership(obj *unstructured.Unstructured, name, namespace string) {
	lbs := obj.GetLabels()
	if lbs == nil {
		lbs = map[string]string{}
	}
	lbs[ManagedByLabel] = ManagedByHelm
	obj.SetLabels(lbs)
	ann := obj.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[ReleaseNameAnnotation] = name
	ann[ReleaseNamespaceAnnotation] = namespace
	obj.SetAnnotations(ann)
}

// keepPolicy reports whether obj is annotated helm.sh/resource-policy: keep.
func keepPolicy(obj *unstructured.Unstructured) bool {
	v, ok := obj.GetAnnotations()[ResourcePolicyAnnotation]
	return ok && strings.ToLower(strings.TrimSpace(v)) == KeepPolicy
}

// OwnershipError refuses to apply an object that exists in the cluster and
// belongs to another release, or to none.
type OwnershipError struct {
	// Ref names the object.
	Ref kube.ObjectRef
	// Release and Namespace name the release that owns it; both empty when
	// it belongs to no release.
	OwnerRelease, OwnerNamespace string
	// Target is the release that wanted it.
	Target string
}

// Error names the object, its owner and the fix.
func (e *OwnershipError) Error() string {
	owner := "to no release (it lacks Helm's ownership metadata)"
	if e.OwnerRelease != "" {
		owner = fmt.Sprintf("to release %q in namespace %q", e.OwnerRelease, e.OwnerNamespace)
	}
	return fmt.Sprintf("%s exists and belongs %s: release %q will not take it over; delete it, or rerun with --take-ownership to adopt it",
		e.Ref, owner, e.Target)
}

// checkOwnership returns an *OwnershipError unless live carries the
// ownership metadata of release name in namespace.
func checkOwnership(live *unstructured.Unstructured, name, namespace string) error {
	ann := live.GetAnnotations()
	if live.GetLabels()[ManagedByLabel] == ManagedByHelm && ann[ReleaseNameAnnotation] == name && ann[ReleaseNamespaceAnnotation] == namespace {
		return nil
	}
	return &OwnershipError{Ref: kube.RefOf(live), OwnerRelease: ann[ReleaseNameAnnotation], OwnerNamespace: ann[ReleaseNamespaceAnnotation], Target: name}
}

// hooksFromRender converts rendered hooks into release hooks, in render's
// order (Helm's install order by kind).
func hooksFromRender(hs []render.Hook) []*Hook {
	out := make([]*Hook, 0, len(hs))
	for _, h := range hs {
		rh := &Hook{Name: h.Name, Kind: h.Kind, Path: h.Source, Manifest: h.Content, Weight: h.Weight}
		for _, ev := range h.Events {
			rh.Events = append(rh.Events, HookEvent(ev))
		}
		for _, p := range h.DeletePolicies {
			rh.DeletePolicies = append(rh.DeletePolicies, HookDeletePolicy(p))
		}
		for _, p := range h.OutputLogPolicies {
			rh.OutputLogPolicies = append(rh.OutputLogPolicies, HookOutputLogPolicy(p))
		}
		out = append(out, rh)
	}
	return out
}

// hooksByEvent groups hooks by the events given, each group sorted by
// weight then name, as Helm runs them.
func hooksByEvent(hooks []*Hook, events ...HookEvent) map[HookEvent][]*Hook {
	out := map[HookEvent][]*Hook{}
	for _, ev := range events {
		var hs []*Hook
		for _, h := range hooks {
			if slices.Contains(h.Events, ev) {
				hs = append(hs, h)
			}
		}
		slices.SortStableFunc(hs, func(a, b *Hook) int {
			return cmp.Or(cmp.Compare(a.Weight, b.Weight), cmp.Compare(a.Name, b.Name))
		})
		if len(hs) > 0 {
			out[ev] = hs
		}
	}
	return out
}

// desiredObjects parses a revision's manifest into the objects to apply,
// sorted in install order, with ownership metadata.
func desiredObjects(rls *Release) ([]*unstructured.Unstructured, error) {
	objs, err := parseObjects(fmt.Sprintf("release %q revision %d manifest", rls.Name, rls.Version), rls.Manifest, rls.Namespace)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, o := range objs {
		k := objectKey(o)
		if seen[k] {
			return nil, fmt.Errorf("release %q: %s is rendered twice; give each object a unique name", rls.Name, kube.RefOf(o))
		}
		seen[k] = true
		setOwnership(o, rls.Name, rls.Namespace)
	}
	kube.SortForInstall(objs)
	return objs, nil
}

// droppedObjects returns the objects of old that are not in desired, in
// uninstall order, split into those to delete and those kept by policy.
func droppedObjects(old *Release, desired []*unstructured.Unstructured) (del []*unstructured.Unstructured, kept []kube.ObjectRef, err error) {
	if old == nil {
		return nil, nil, nil
	}
	prev, err := parseObjects(fmt.Sprintf("release %q revision %d manifest", old.Name, old.Version), old.Manifest, old.Namespace)
	if err != nil {
		return nil, nil, err
	}
	want := map[string]bool{}
	for _, o := range desired {
		want[objectKey(o)] = true
	}
	for _, o := range prev {
		if want[objectKey(o)] {
			continue
		}
		if keepPolicy(o) {
			kept = append(kept, kube.RefOf(o))
			continue
		}
		del = append(del, o)
	}
	kube.SortForUninstall(del)
	return del, kept, nil
}

// crdObjects parses the crds/ files of a render.
func crdObjects(crds []render.CRD) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for _, c := range crds {
		objs, err := parseObjects(c.Source, string(c.Content), "")
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			if o.GroupVersionKind().GroupKind() != (schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}) {
				return nil, fmt.Errorf("%s: %s: only CustomResourceDefinitions belong in crds/", c.Source, kube.RefOf(o))
			}
			out = append(out, o)
		}
	}
	return out, nil
}

// namespaceObject is the Namespace CreateNamespace makes, labelled as Helm
// labels it.
func namespaceObject(ns string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "Namespace",
		"metadata": map[string]any{
			"name":   ns,
			"labels": map[string]any{"name": ns},
		},
	}}
	return u
}

// planReplacement completes the plan of a revision that replaces current
// (an upgrade or a rollback): the release's namespace, the objects to apply,
// those current has and the new revision drops (deleted, or kept by resource
// policy), and the hooks of events unless noHooks.
func (e *Engine) planReplacement(p *Plan, current *Release, noHooks bool, events ...HookEvent) error {
	if p.Release.Namespace == "" {
		p.Release.Namespace = e.namespace
	}
	var err error
	if p.Apply, err = desiredObjects(p.Release); err != nil {
		return err
	}
	if p.Delete, p.Kept, err = droppedObjects(current, p.Apply); err != nil {
		return err
	}
	if !noHooks {
		p.Hooks = hooksByEvent(p.Release.Hooks, events...)
	}
	return nil
}
