package storage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart"
	helmrelease "helm.sh/helm/v3/pkg/release"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/bargehq/barge/internal/localcluster"
	"github.com/bargehq/barge/pkg/release"
)

// bigRevision returns a revision whose chart holds files of incompressible
// content, size bytes in all, in files of at most 700 KB.
func bigRevision(ns, name string, v int, st release.Status, size int) *release.Release {
	r := rev(ns, name, v, st)
	ch := *r.Chart
	for i := 0; size > 0; i++ {
		n := min(size, 700_000)
		ch.Files = append(ch.Files, &chart.File{Name: fmt.Sprintf("files/blob-%d.bin", i), Data: fileContent("binary", n+i)[:n]})
		size -= n
	}
	r.Chart = &ch
	return r
}

// partNames returns the names of the part Secrets of a revision.
func partNames(t *testing.T, c *localcluster.Cluster, ns, name string, v int) []string {
	t.Helper()
	list, err := clientset(t, c).CoreV1().Secrets(ns).List(t.Context(), metav1.ListOptions{
		LabelSelector: labels.Set{"owner": "barge", "name": name, "version": fmt.Sprint(v)}.String(),
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range list.Items {
		out = append(out, s.Name)
	}
	return out
}

// sameRecord checks that got is want, as JSON (cmp is slow on megabytes).
func sameRecord(t *testing.T, what string, want, got *release.Release) {
	t.Helper()
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(w, g) {
		t.Errorf("%s: the record read differs from the record written", what)
	}
}

func TestRecordInParts(t *testing.T) {
	c := localcluster.Get(t)
	ctx := t.Context()
	ns := c.Namespace(t)
	s := newTestSecrets(t, c, ns, Options{})
	cs := clientset(t, c)

	big := bigRevision(ns, "big", 1, release.StatusPendingInstall, 3_000_000)
	if err := s.CheckRecord(big); err != nil {
		t.Fatalf("CheckRecord of a 3 MB record: %v", err)
	}
	if err := s.Create(ctx, big); err != nil {
		t.Fatal(err)
	}
	first := partNames(t, c, ns, "big", 1)
	if len(first) != 3 {
		t.Fatalf("parts %v, want 3 (3 MB of random files, gzipped, in parts of 1 MiB)", first)
	}

	// The record's Secret is Helm's, small, and holds a stub Helm reads.
	main, err := cs.CoreV1().Secrets(ns).Get(ctx, Key("big", 1), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(main.Data["release"]); n > 8<<10 {
		t.Errorf("the record's Secret holds %d bytes, want a small stub", n)
	}
	wantLabels := map[string]string{"owner": "helm", "name": "big", "status": "pending-install", "version": "1"}
	for k, v := range wantLabels {
		if main.Labels[k] != v {
			t.Errorf("label %s=%q, want %q", k, main.Labels[k], v)
		}
	}
	var stub helmrelease.Release
	if err := json.Unmarshal(gunzip(t, main.Data["release"]), &stub); err != nil {
		t.Fatalf("Helm cannot read the stub: %v", err)
	}
	if stub.Info.Status != helmrelease.StatusPendingInstall || stub.Chart.Metadata.Name != "demo" || !strings.Contains(stub.Manifest, "kind: ReleaseStoredByBarge") ||
		!strings.Contains(stub.Info.Description, "stored by barge in 3 parts") {
		t.Errorf("stub: status %s, chart %s, description %q, manifest %q", stub.Info.Status, stub.Chart.Metadata.Name, stub.Info.Description, stub.Manifest)
	}
	for _, p := range first {
		obj, err := cs.CoreV1().Secrets(ns).Get(ctx, p, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(obj.OwnerReferences) != 1 || obj.OwnerReferences[0].UID != main.UID {
			t.Errorf("part %s: owners %v, want the record's Secret (uid %s)", p, obj.OwnerReferences, main.UID)
		}
	}

	// barge reads it whole.
	got, err := s.Get(ctx, "big", 1)
	if err != nil {
		t.Fatal(err)
	}
	sameRecord(t, "Get", big, got)

	// An update writes new parts and deletes the old ones.
	big.Info.Status, big.Info.Description = release.StatusDeployed, "Install complete"
	if err := s.Update(ctx, big); err != nil {
		t.Fatal(err)
	}
	second := partNames(t, c, ns, "big", 1)
	if len(second) != 3 || cmp.Equal(first, second) {
		t.Errorf("parts after the update %v, want 3 new ones (were %v)", second, first)
	}
	for _, read := range []struct {
		name string
		get  func() (*release.Release, error)
	}{
		{"Get", func() (*release.Release, error) { return s.Get(ctx, "big", 1) }},
		{"Last", func() (*release.Release, error) { return s.Last(ctx, "big") }},
		{"Deployed", func() (*release.Release, error) { return s.Deployed(ctx, "big") }},
		{"ListRecords", func() (*release.Release, error) {
			recs, err := s.ListRecords(ctx, labels.Set{"name": "big"})
			if err != nil || len(recs) != 1 {
				return nil, fmt.Errorf("%d records, %v", len(recs), err)
			}
			return recs[0].Decode()
		}},
	} {
		got, err := read.get()
		if err != nil {
			t.Fatalf("%s: %v", read.name, err)
		}
		sameRecord(t, read.name, big, got)
	}
	hist, err := s.History(ctx, "big")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 || hist[0].Status != release.StatusDeployed || hist[0].Description != "Install complete" {
		t.Errorf("history %+v", hist)
	}

	// A long failure is recorded with its description cut.
	failed := *big
	info := *big.Info
	info.Status, info.Description = release.StatusFailed, "Release \"big\" failed: "+strings.Repeat("x", 100_000)
	failed.Info = &info
	if err := s.Update(ctx, &failed); err != nil {
		t.Fatalf("recording a failure with a 100 KB error: %v", err)
	}
	got, err = s.Get(ctx, "big", 1)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got.Info.Description); n > maxDescription+64 || !strings.HasSuffix(got.Info.Description, "bytes cut]") {
		t.Errorf("description of %d bytes stored, want at most %d, cut", n, maxDescription)
	}

	// Helm's rewrite of the stub (uninstall --keep-history) sets the status.
	main, err = cs.CoreV1().Secrets(ns).Get(ctx, Key("big", 1), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(gunzip(t, main.Data["release"]), &stub); err != nil {
		t.Fatal(err)
	}
	stub.Info.Status, stub.Info.Description = helmrelease.StatusUninstalled, "Uninstallation complete"
	js, err := json.Marshal(&stub)
	if err != nil {
		t.Fatal(err)
	}
	main.Data["release"] = helmEncode(t, js, true)
	main.Annotations = nil
	main.Labels["status"] = "uninstalled"
	if _, err := cs.CoreV1().Secrets(ns).Update(ctx, main, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err = s.Get(ctx, "big", 1)
	if err != nil {
		t.Fatal(err)
	}
	if got.Info.Status != release.StatusUninstalled || got.Manifest != big.Manifest || len(got.Chart.Files) != len(big.Chart.Files) {
		t.Errorf("after Helm's rewrite: status %s, manifest %q, %d files", got.Info.Status, got.Manifest, len(got.Chart.Files))
	}

	// Delete removes the parts, even of a stub Helm rewrote.
	if _, err := s.Delete(ctx, "big", 1); err != nil {
		t.Fatal(err)
	}
	if left := partNames(t, c, ns, "big", 1); len(left) > 0 {
		t.Errorf("parts left after Delete: %v", left)
	}
}

func TestPruneDeletesParts(t *testing.T) {
	c := localcluster.Get(t)
	ctx := t.Context()
	ns := c.Namespace(t)
	s := newTestSecrets(t, c, ns, Options{})
	for v := 1; v <= 3; v++ {
		st := release.StatusSuperseded
		if v == 3 {
			st = release.StatusDeployed
		}
		if err := s.Create(ctx, bigRevision(ns, "big", v, st, 1_500_000)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Prune(ctx, "big", 1); err != nil {
		t.Fatal(err)
	}
	for v := 1; v <= 3; v++ {
		n := len(partNames(t, c, ns, "big", v))
		if want := map[bool]int{true: 2, false: 0}[v == 3]; n != want {
			t.Errorf("revision %d: %d parts, want %d", v, n, want)
		}
	}
}

func TestCheckRecordRefusesTooLarge(t *testing.T) {
	c := localcluster.Get(t)
	s := newTestSecrets(t, c, c.Namespace(t), Options{})
	huge := bigRevision("apps", "huge", 1, release.StatusPendingInstall, 9_000_000)
	err := s.CheckRecord(huge)
	var se *release.RecordSizeError
	if !errors.As(err, &se) || !errors.Is(err, release.ErrRecordTooLarge) {
		t.Fatalf("CheckRecord of a 9 MB record: %v, want a *release.RecordSizeError", err)
	}
	for _, want := range []string{`release "huge" revision 1`, "MiB compressed", "over the 7.9 MiB", "files/blob-0.bin (683.6 KiB)", ".helmignore"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if err := s.Create(t.Context(), huge); !errors.Is(err, release.ErrRecordTooLarge) {
		t.Errorf("Create of a 9 MB record: %v, want ErrRecordTooLarge", err)
	}
}
