package storage

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/bargehq/barge/internal/localcluster"
	"github.com/bargehq/barge/pkg/release"
)

// byRecord orders records by namespace, name and revision.
var byRecord = cmpopts.SortSlices(func(a, b Record) bool {
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	return a.Revision < b.Revision
})

func TestListRecords(t *testing.T) {
	c := localcluster.Get(t)
	ctx := t.Context()
	ns1, ns2 := c.Namespace(t), c.Namespace(t)
	// A label value no other test's records carry, to list across namespaces.
	mark := map[string]string{"batch": ns1}

	var want []*release.Release
	for _, r := range []*release.Release{
		rev(ns1, "web", 1, release.StatusSuperseded),
		rev(ns1, "web", 2, release.StatusDeployed),
		rev(ns1, "db", 1, release.StatusDeployed),
		rev(ns2, "web", 1, release.StatusDeployed),
	} {
		r.Labels = mark
		if err := newTestSecrets(t, c, r.Namespace, Options{}).Create(ctx, r); err != nil {
			t.Fatal(err)
		}
		if r.Info.Status == release.StatusDeployed {
			want = append(want, r)
		}
	}
	// Unmarked records, and a Secret with a record's labels but not its
	// type, are not listed.
	if err := newTestSecrets(t, c, ns1, Options{}).Create(ctx, rev(ns1, "api", 1, release.StatusDeployed)); err != nil {
		t.Fatal(err)
	}
	impostor := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "sh.helm.release.v1.cache.v1", Labels: map[string]string{
			"owner": "helm", "name": "cache", "version": "1", "status": "deployed", "batch": ns1,
		}},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{"release": []byte("not a record")},
	}
	secrets := clientset(t, c).CoreV1().Secrets(ns2)
	if _, err := secrets.Create(ctx, impostor, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Other tests list records in all namespaces, and would trip over it
	// while its namespace is being deleted.
	t.Cleanup(func() {
		if err := secrets.Delete(context.WithoutCancel(ctx), impostor.Name, metav1.DeleteOptions{}); err != nil {
			t.Errorf("delete Secret %s/%s: %v", ns2, impostor.Name, err)
		}
	})

	sel := labels.Set{"status": "deployed", "batch": ns1}
	tests := []struct {
		name      string
		namespace string
		want      []*release.Release
	}{
		{name: "all namespaces", namespace: "", want: want},
		{name: "one namespace", namespace: ns2, want: want[2:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := newTestSecrets(t, c, tt.namespace, Options{}).ListRecords(ctx, sel)
			if err != nil {
				t.Fatal(err)
			}
			var gotKeys, wantKeys []Record
			for _, r := range recs {
				gotKeys = append(gotKeys, Record{Namespace: r.Namespace, Name: r.Name, Revision: r.Revision, Status: r.Status, Labels: r.Labels})
			}
			for _, r := range tt.want {
				wantKeys = append(wantKeys, Record{Namespace: r.Namespace, Name: r.Name, Revision: r.Version, Status: r.Info.Status, Labels: mark})
			}
			if diff := cmp.Diff(wantKeys, gotKeys, byRecord); diff != "" {
				t.Fatalf("records (-want +got):\n%s", diff)
			}
			for i := range recs {
				got, err := recs[i].Decode()
				if err != nil {
					t.Fatal(err)
				}
				stored, err := newTestSecrets(t, c, recs[i].Namespace, Options{}).Get(ctx, recs[i].Name, recs[i].Revision)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(stored, got, chartOpts); diff != "" {
					t.Errorf("%s/%s decoded, against Get (-want +got):\n%s", recs[i].Namespace, recs[i].Name, diff)
				}
			}
		})
	}
}
