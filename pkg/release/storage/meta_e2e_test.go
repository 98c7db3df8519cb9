package storage

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart/loader"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/bargehq/barge/internal/localcluster"
	"github.com/bargehq/barge/pkg/release"
)

// TestListMetaDigest checks that ListMeta gives the digest of the records
// barge wrote, and none for records another writer changed or Helm
// rewrote.
func TestListMetaDigest(t *testing.T) {
	c := localcluster.Get(t)
	ns := c.Namespace(t)
	ctx := t.Context()
	s := newTestSecrets(t, c, ns, Options{})
	secrets := clientset(t, c).CoreV1().Secrets(ns)

	// digests lists the records of release name: revision -> digest.
	digests := func(t *testing.T, name string) map[int]string {
		t.Helper()
		metas, err := s.ListMeta(ctx, labels.Set{labelName: name})
		if err != nil {
			t.Fatal(err)
		}
		out := map[int]string{}
		for _, m := range metas {
			if m.Name != name || m.Namespace != ns {
				t.Errorf("ListMeta(name=%s): record of %s/%s", name, m.Namespace, m.Name)
			}
			out[m.Revision] = m.Digest
		}
		return out
	}
	digestOf := func(t *testing.T, r *release.Release) string {
		t.Helper()
		d, err := ContentDigest(r)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}

	t.Run("written on create and update", func(t *testing.T) {
		r := rev(ns, "meta", 1, release.StatusDeployed)
		r.Labels = map[string]string{"team": "blue"}
		if err := s.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
		r.Info.Status = release.StatusSuperseded
		if err := s.Update(ctx, r); err != nil {
			t.Fatal(err)
		}
		r2 := rev(ns, "meta", 2, release.StatusDeployed)
		r2.Manifest = "kind: Secret\n"
		if err := s.Create(ctx, r2); err != nil {
			t.Fatal(err)
		}
		want := map[int]string{1: digestOf(t, r), 2: digestOf(t, r2)}
		if diff := cmp.Diff(want, digests(t, "meta")); diff != "" {
			t.Errorf("digests (-want +got):\n%s", diff)
		}
		metas, err := s.ListMeta(ctx, labels.Set{labelName: "meta", labelVersion: "1"})
		if err != nil {
			t.Fatal(err)
		}
		wantMeta := []RecordMeta{{Namespace: ns, Name: "meta", Revision: 1, Status: release.StatusSuperseded,
			Labels: map[string]string{"team": "blue"}, Digest: want[1]}}
		if diff := cmp.Diff(wantMeta, metas); diff != "" {
			t.Errorf("ListMeta (-want +got):\n%s", diff)
		}
	})

	t.Run("data changed by another writer", func(t *testing.T) {
		r := rev(ns, "edited", 1, release.StatusDeployed)
		if err := s.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
		// kubectl edit changes the manifest in the record and keeps the
		// annotations.
		obj, err := secrets.Get(ctx, Key("edited", 1), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		changed := rev(ns, "edited", 1, release.StatusDeployed)
		changed.Manifest = "kind: Secret\n"
		if obj.Data["release"], err = Encode(changed); err != nil {
			t.Fatal(err)
		}
		if _, err := secrets.Update(ctx, obj, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[int]string{1: ""}, digests(t, "edited")); diff != "" {
			t.Errorf("digests (-want +got):\n%s", diff)
		}
	})

	t.Run("labels changed by another writer", func(t *testing.T) {
		r := rev(ns, "labelled", 1, release.StatusDeployed)
		if err := s.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
		obj, err := secrets.Get(ctx, Key("labelled", 1), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		obj.Labels["team"] = "red"
		if _, err := secrets.Update(ctx, obj, metav1.UpdateOptions{FieldManager: "kubectl-label"}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[int]string{1: digestOf(t, r)}, digests(t, "labelled")); diff != "" {
			t.Errorf("digests (-want +got):\n%s", diff)
		}
	})
}

// TestListMetaDigestHelm has Helm v3 and v4 upgrade a release barge
// installed: the record Helm rewrites (revision 1, superseded) and the one
// it writes (revision 2) have no digest.
func TestListMetaDigestHelm(t *testing.T) {
	for _, version := range []string{"v3.22.0", "v4.3.1"} {
		t.Run(version, func(t *testing.T) {
			c := localcluster.Get(t)
			ns := c.Namespace(t)
			ctx := t.Context()
			helm := helmRunner{t: t, bin: helmBinary(t, version), kcfg: c.KubeconfigPath, home: t.TempDir(), namespace: ns, isHelmV4: version[1] == '4'}
			s := newTestSecrets(t, c, ns, Options{})
			chartDir := filepath.Join("testdata", "charts", "greeter")
			ch, err := loader.Load(chartDir)
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			r := &release.Release{
				Name: "greet", Namespace: ns, Version: 1, Chart: ch, Config: map[string]any{},
				Info: &release.Info{FirstDeployed: now, LastDeployed: now, Status: release.StatusDeployed, Description: "Install complete"},
			}
			if err := s.Create(ctx, r); err != nil {
				t.Fatal(err)
			}
			helm.run("upgrade", "greet", chartDir, "--reuse-values")
			metas, err := s.ListMeta(ctx, labels.Set{labelName: "greet"})
			if err != nil {
				t.Fatal(err)
			}
			got := map[int]string{}
			for _, m := range metas {
				got[m.Revision] = m.Digest
			}
			if diff := cmp.Diff(map[int]string{1: "", 2: ""}, got); diff != "" {
				t.Errorf("digests after helm upgrade (-want +got):\n%s", diff)
			}
		})
	}
}
