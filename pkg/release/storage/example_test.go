package storage_test

import (
	"context"
	"fmt"
	"time"

	"github.com/bargehq/barge/pkg/release"
	"github.com/bargehq/barge/pkg/release/storage"
)

func Example() {
	ctx := context.Background()
	store := storage.NewMemory("apps", storage.Options{
		Holder: "ada@laptop/42",
		Now:    func() time.Time { return time.Date(2025, 1, 3, 9, 0, 0, 0, time.UTC) },
	})

	unlock, err := store.Lock(ctx, "web")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer unlock.Unlock()

	for v, st := range []release.Status{release.StatusSuperseded, release.StatusDeployed} {
		rls := &release.Release{
			Name: "web", Namespace: "apps", Version: v + 1,
			Info: &release.Info{Status: st, LastDeployed: time.Date(2025, 1, v+1, 0, 0, 0, 0, time.UTC)},
		}
		if err := store.Create(ctx, rls); err != nil {
			fmt.Println(err)
			return
		}
	}
	rows, err := store.List(ctx, storage.ListOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rows {
		fmt.Println(r.Name, r.Revision, r.Status, r.LastDeployed.Format(time.DateOnly))
	}
	_, err = store.Lock(ctx, "web")
	fmt.Println(err)
	// Output:
	// web 2 deployed 2025-01-02
	// release "web" in namespace "apps" is locked by ada@laptop/42 since 2025-01-03T09:00:00Z
}
