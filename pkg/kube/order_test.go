package kube

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func obj(apiVersion, kind, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetName(name)
	return u
}

func kindNames(objs []*unstructured.Unstructured) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetKind()+"/"+o.GetName())
	}
	return out
}

func TestSort(t *testing.T) {
	// A chart's manifests in file order, as a renderer hands them over.
	input := func() []*unstructured.Unstructured {
		return []*unstructured.Unstructured{
			obj("v1", "Service", "web"),
			obj("example.com/v1", "Widget", "w1"),
			obj("apps/v1", "Deployment", "web"),
			obj("v1", "ConfigMap", "b"),
			obj("v1", "Namespace", "demo"),
			obj("example.com/v1", "Gadget", "g1"),
			obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "widgets.example.com"),
			obj("v1", "ConfigMap", "a"),
			obj("batch/v1", "Job", "migrate"),
			obj("rbac.authorization.k8s.io/v1", "RoleBinding", "rb"),
			obj("v1", "Secret", "s"),
			obj("example.com/v1", "Widget", "w0"),
			obj("networking.k8s.io/v1", "Ingress", "web"),
			obj("v1", "ServiceAccount", "sa"),
			obj("rbac.authorization.k8s.io/v1", "Role", "r"),
			obj("scheduling.k8s.io/v1", "PriorityClass", "high"),
		}
	}
	tests := []struct {
		name string
		sort func([]*unstructured.Unstructured)
		want []string
	}{
		{
			name: "install",
			sort: SortForInstall,
			want: []string{
				"PriorityClass/high", "Namespace/demo", "ServiceAccount/sa", "Secret/s",
				"ConfigMap/b", "ConfigMap/a", // same kind keeps the given order
				"CustomResourceDefinition/widgets.example.com", "Role/r", "RoleBinding/rb",
				"Service/web", "Deployment/web", "Job/migrate", "Ingress/web",
				// unknown kinds last, alphabetically by kind, given order within a kind
				"Gadget/g1", "Widget/w1", "Widget/w0",
			},
		},
		{
			name: "uninstall",
			sort: SortForUninstall,
			want: []string{
				"Ingress/web", "Service/web", "Job/migrate", "Deployment/web",
				"RoleBinding/rb", "Role/r", "CustomResourceDefinition/widgets.example.com",
				"ConfigMap/b", "ConfigMap/a", "Secret/s", "ServiceAccount/sa",
				"Namespace/demo", "PriorityClass/high",
				"Gadget/g1", "Widget/w1", "Widget/w0",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs := input()
			tt.sort(objs)
			if diff := cmp.Diff(tt.want, kindNames(objs)); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
		})
	}
}

// Helm's uninstall order is its install order reversed, except that
// Services are removed before the workloads behind them.
func TestUninstallOrderIsReversedInstallOrder(t *testing.T) {
	want := slices.Clone(installOrder())
	slices.Reverse(want)
	want = slices.DeleteFunc(want, func(k string) bool { return k == "Service" })
	i := slices.Index(want, "CronJob")
	want = slices.Insert(want, i, "Service")
	if diff := cmp.Diff(want, uninstallOrder()); diff != "" {
		t.Errorf("uninstall order (-want +got):\n%s", diff)
	}
}

func TestKindOrderRank(t *testing.T) {
	tests := []struct {
		name     string
		order    KindOrder
		kind     string
		wantRank int
		wantOK   bool
	}{
		{"first install kind", InstallOrder(), "PriorityClass", 0, true},
		{"namespace installs second", InstallOrder(), "Namespace", 1, true},
		{"first uninstall kind", UninstallOrder(), "APIService", 0, true},
		{"custom kind unknown", InstallOrder(), "Widget", 0, false},
		{"kinds are case sensitive", InstallOrder(), "namespace", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := tt.order.Rank(tt.kind)
			if r != tt.wantRank || ok != tt.wantOK {
				t.Errorf("Rank(%q) = %d, %v; want %d, %v", tt.kind, r, ok, tt.wantRank, tt.wantOK)
			}
		})
	}
}
