package release_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bargehq/barge/pkg/diff"
	"github.com/bargehq/barge/pkg/release"
)

// TestDiffManifests compares two revisions' manifests without a cluster:
// objects added, changed, dropped and kept by their policy, Secrets
// masked unless asked for, and every object created when there is no
// revision before. The new revision's objects come in install order (by
// kind, then as in the manifest), then the dropped ones.
func TestDiffManifests(t *testing.T) {
	const before = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  greeting: hello
---
apiVersion: v1
kind: Secret
metadata:
  name: auth
stringData:
  password: old-pw
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: gone
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: kept
  annotations:
    helm.sh/resource-policy: keep
`
	const after = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  greeting: bonjour
---
apiVersion: v1
kind: Secret
metadata:
  name: auth
stringData:
  password: new-pw
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: fresh
`
	from := &release.Release{Name: "web", Namespace: "shop", Version: 1, Manifest: before}
	to := &release.Release{Name: "web", Namespace: "shop", Version: 2, Manifest: after}
	type change struct {
		Ref    string
		Action diff.Action
		Paths  []diff.PathChange
	}
	tests := []struct {
		name     string
		from, to *release.Release
		opts     release.DiffOptions
		want     []change
	}{
		{
			name: "masked",
			from: from, to: to,
			want: []change{
				{Ref: "Secret/auth", Action: diff.Change, Paths: []diff.PathChange{{Path: ".stringData.password", Before: diff.MaskedBefore, After: diff.MaskedAfter}}},
				{Ref: "ConfigMap/settings", Action: diff.Change, Paths: []diff.PathChange{{Path: ".data.greeting", Before: "hello", After: "bonjour"}}},
				{Ref: "ConfigMap/fresh", Action: diff.Create},
				{Ref: "ConfigMap/gone", Action: diff.Delete},
				{Ref: "ConfigMap/kept", Action: diff.Keep},
			},
		},
		{
			name: "secrets shown",
			from: from, to: to,
			opts: release.DiffOptions{ShowSecrets: true},
			want: []change{
				{Ref: "Secret/auth", Action: diff.Change, Paths: []diff.PathChange{{Path: ".stringData.password", Before: "old-pw", After: "new-pw"}}},
				{Ref: "ConfigMap/settings", Action: diff.Change, Paths: []diff.PathChange{{Path: ".data.greeting", Before: "hello", After: "bonjour"}}},
				{Ref: "ConfigMap/fresh", Action: diff.Create},
				{Ref: "ConfigMap/gone", Action: diff.Delete},
				{Ref: "ConfigMap/kept", Action: diff.Keep},
			},
		},
		{
			name: "no revision before",
			to:   to,
			want: []change{
				{Ref: "Secret/auth", Action: diff.Create},
				{Ref: "ConfigMap/settings", Action: diff.Create},
				{Ref: "ConfigMap/fresh", Action: diff.Create},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, err := release.DiffManifests(tt.from, tt.to, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []change
			for _, c := range cs.Changes {
				if c.Namespace != "shop" {
					t.Errorf("%s/%s: namespace %q, want the release's, shop", c.Kind, c.Name, c.Namespace)
				}
				got = append(got, change{Ref: c.Kind + "/" + c.Name, Action: c.Action, Paths: c.Paths})
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("changes (-want +got):\n%s", d)
			}
		})
	}
}
