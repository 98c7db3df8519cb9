package release_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/bargehq/barge/pkg/kubeschema"
	"github.com/bargehq/barge/pkg/release"
	"github.com/bargehq/barge/pkg/release/storage"
)

// TestPlanRefusesObjectsTheServerWould plans installs and upgrades of a
// chart with a mistyped field and an invalid Service name: with a schema,
// both are refused with their file and line; the check is off with
// --disable-openapi-validation or --skip-schema-validation, or without a
// schema.
func TestPlanRefusesObjectsTheServerWould(t *testing.T) {
	ks, err := kubeschema.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	ch := loadChart(t, "bad-objects")
	store := storage.NewMemory("apps", storage.Options{Now: fixedNow})
	newEngine := func(s *kubeschema.Schema) *release.Engine {
		e, err := release.New(release.Config{Namespace: "apps", Store: store, Now: fixedNow, Schema: s})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	ctx := context.Background()
	_, err = newEngine(ks).PlanInstall(ctx, "web", ch, nil, release.InstallOptions{DryRun: release.DryRunClient})
	var oe *release.ObjectsError
	if !errors.As(err, &oe) {
		t.Fatalf("PlanInstall: want an *ObjectsError, got %v", err)
	}
	for _, want := range []string{
		`templates/deployment.yaml:6: Deployment/web: spec.replicas: expected integer, got string "2" [object-schema-type]`,
		`templates/deployment.yaml:22: Service/My_Service: metadata.name "My_Service" is not a valid Service name`,
		"--disable-openapi-validation",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	for name, checks := range map[string]release.CheckOptions{
		"--disable-openapi-validation": {DisableOpenAPIValidation: true},
		"--skip-schema-validation":     {SkipSchemaValidation: true},
	} {
		if _, err := newEngine(ks).PlanInstall(ctx, "web", ch, nil, release.InstallOptions{DryRun: release.DryRunClient, CheckOptions: checks}); err != nil {
			t.Errorf("PlanInstall with %s: %v", name, err)
		}
	}
	p, err := newEngine(nil).PlanInstall(ctx, "web", ch, nil, release.InstallOptions{})
	if err != nil {
		t.Fatalf("PlanInstall without a schema: %v", err)
	}
	storeDeployed(t, store, p)
	if _, err := newEngine(ks).PlanUpgrade(ctx, "web", ch, nil, release.UpgradeOptions{}); !errors.As(err, &oe) {
		t.Errorf("PlanUpgrade: want an *ObjectsError, got %v", err)
	}
}
