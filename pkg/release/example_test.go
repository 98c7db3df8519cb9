package release_test

import (
	"context"
	"fmt"

	"github.com/bargehq/barge/pkg/chart"
	"github.com/bargehq/barge/pkg/kube"
	"github.com/bargehq/barge/pkg/release"
	"github.com/bargehq/barge/pkg/release/storage"
)

// A plan says what an upgrade would do before anything is done: here,
// revision 2 of the release drops the extra ConfigMap and keeps the one
// annotated helm.sh/resource-policy: keep.
func ExampleEngine_PlanUpgrade() {
	ctx := context.Background()
	store := storage.NewMemory("apps", storage.Options{})
	engine, err := release.New(release.Config{Namespace: "apps", Store: store})
	if err != nil {
		panic(err)
	}
	ch, err := chart.Load("testdata/charts/app")
	if err != nil {
		panic(err)
	}
	first, err := engine.PlanInstall(ctx, "web", ch, map[string]any{"extra": true, "keep": true}, release.InstallOptions{})
	if err != nil {
		panic(err)
	}
	first.Release.Info.Status = release.StatusDeployed
	if err := store.Create(ctx, first.Release); err != nil {
		panic(err)
	}

	plan, err := engine.PlanUpgrade(ctx, "web", ch, map[string]any{"version": "2"}, release.UpgradeOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println("revision", plan.Release.Version, plan.Release.Info.Status)
	for _, o := range plan.Apply {
		fmt.Println("apply", kube.RefOf(o))
	}
	for _, o := range plan.Delete {
		fmt.Println("delete", kube.RefOf(o))
	}
	for _, r := range plan.Kept {
		fmt.Println("keep", r)
	}
	// Output:
	// revision 2 pending-upgrade
	// apply ConfigMap/web-main in namespace apps
	// delete ConfigMap/web-extra in namespace apps
	// keep ConfigMap/web-kept in namespace apps
}
