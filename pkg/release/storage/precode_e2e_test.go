package storage

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bargehq/barge/internal/localcluster"
	"github.com/bargehq/barge/pkg/release"
)

// TestPrecode checks that a record encoded ahead is what gets stored when
// the write is of that record, and never when it is of another.
func TestPrecode(t *testing.T) {
	c := localcluster.Get(t)
	ns := c.Namespace(t)
	ctx := t.Context()
	s := newTestSecrets(t, c, ns, Options{})

	r := rev(ns, "web", 1, release.StatusPendingInstall)
	if err := s.Create(ctx, r); err != nil {
		t.Fatal(err)
	}
	deployed := *r
	info := *r.Info
	info.Status, info.Description = release.StatusDeployed, "Install complete"
	deployed.Info = &info

	t.Run("the same record", func(t *testing.T) {
		s.Precode(&deployed)
		r.Info.Status, r.Info.Description = release.StatusDeployed, "Install complete"
		if err := s.Update(ctx, r); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "web", 1)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(r.Info, got.Info); diff != "" {
			t.Errorf("stored info (-want +got):\n%s", diff)
		}
	})
	t.Run("another record", func(t *testing.T) {
		failed := deployed
		finfo := *deployed.Info
		finfo.Status, finfo.Description = release.StatusFailed, "precoded, never written"
		failed.Info = &finfo
		s.Precode(&failed)
		r.Info.Description = "written"
		if err := s.Update(ctx, r); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "web", 1)
		if err != nil {
			t.Fatal(err)
		}
		if got.Info.Status != release.StatusDeployed || got.Info.Description != "written" {
			t.Errorf("stored %s %q; want deployed \"written\", not the precoded record", got.Info.Status, got.Info.Description)
		}
	})
}
