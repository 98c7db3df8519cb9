package kube

import (
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// installOrder lists kinds in the order Helm installs them; kinds not
// listed come after all of these.
func installOrder() []string {
	return []string{
		"PriorityClass",
		"Namespace",
		"NetworkPolicy",
		"ResourceQuota",
		"LimitRange",
		"PodSecurityPolicy",
		"PodDisruptionBudget",
		"ServiceAccount",
		"Secret",
		"SecretList",
		"ConfigMap",
		"StorageClass",
		"PersistentVolume",
		"PersistentVolumeClaim",
		"CustomResourceDefinition",
		"ClusterRole",
		"ClusterRoleList",
		"ClusterRoleBinding",
		"ClusterRoleBindingList",
		"Role",
		"RoleList",
		"RoleBinding",
		"RoleBindingList",
		"Service",
		"DaemonSet",
		"Pod",
		"ReplicationController",
		"ReplicaSet",
		"Deployment",
		"HorizontalPodAutoscaler",
		"StatefulSet",
		"Job",
		"CronJob",
		"IngressClass",
		"Ingress",
		"APIService",
	}
}

// uninstallOrder lists kinds in the order Helm uninstalls them: the install
// order reversed, except that Services go before the workloads (traffic
// stops before the pods behind it). Kinds not listed come after all of these.
func uninstallOrder() []string {
	return []string{
		"APIService",
		"Ingress",
		"IngressClass",
		"Service",
		"CronJob",
		"Job",
		"StatefulSet",
		"HorizontalPodAutoscaler",
		"Deployment",
		"ReplicaSet",
		"ReplicationController",
		"Pod",
		"DaemonSet",
		"RoleBindingList",
		"RoleBinding",
		"RoleList",
		"Role",
		"ClusterRoleBindingList",
		"ClusterRoleBinding",
		"ClusterRoleList",
		"ClusterRole",
		"CustomResourceDefinition",
		"PersistentVolumeClaim",
		"PersistentVolume",
		"StorageClass",
		"ConfigMap",
		"SecretList",
		"Secret",
		"ServiceAccount",
		"PodDisruptionBudget",
		"PodSecurityPolicy",
		"LimitRange",
		"ResourceQuota",
		"NetworkPolicy",
		"Namespace",
		"PriorityClass",
	}
}

// KindOrder ranks kinds; lower ranks go first. Use InstallOrder or
// UninstallOrder. A KindOrder is read-only and may be shared.
type KindOrder struct {
	rank map[string]int
}

func newKindOrder(kinds []string) KindOrder {
	rank := make(map[string]int, len(kinds))
	for i, k := range kinds {
		rank[k] = i
	}
	return KindOrder{rank: rank}
}

// InstallOrder returns Helm's install order: namespaces, then policies,
// service accounts, secrets and config maps, storage, CRDs, RBAC,
// services, workloads, and ingresses last.
func InstallOrder() KindOrder { return newKindOrder(installOrder()) }

// UninstallOrder returns Helm's uninstall order.
func UninstallOrder() KindOrder { return newKindOrder(uninstallOrder()) }

// Rank returns kind's position in the order and whether the order knows it.
func (o KindOrder) Rank(kind string) (int, bool) {
	r, ok := o.rank[kind]
	return r, ok
}

// Less reports whether objects of kind a go before objects of kind b:
// known kinds by rank, then unknown kinds (custom resources) in
// alphabetical order.
func (o KindOrder) Less(a, b string) bool {
	ra, aok := o.rank[a]
	rb, bok := o.rank[b]
	switch {
	case aok && bok:
		return ra < rb
	case aok:
		return true
	case bok:
		return false
	default:
		return a < b
	}
}

// Sort sorts objs by kind in this order, keeping the given order among
// objects of the same kind. It sorts in place.
func (o KindOrder) Sort(objs []*unstructured.Unstructured) {
	slices.SortStableFunc(objs, func(x, y *unstructured.Unstructured) int {
		kx, ky := x.GetKind(), y.GetKind()
		switch {
		case o.Less(kx, ky):
			return -1
		case o.Less(ky, kx):
			return 1
		}
		return 0
	})
}

// SortForInstall sorts objs in place into Helm's install order.
func SortForInstall(objs []*unstructured.Unstructured) { InstallOrder().Sort(objs) }

// SortForUninstall sorts objs in place into Helm's uninstall order.
func SortForUninstall(objs []*unstructured.Unstructured) { UninstallOrder().Sort(objs) }
