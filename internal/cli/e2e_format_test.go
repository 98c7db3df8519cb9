package cli

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestE2EHelmFormats runs the read commands of barge and Helm v3.22 on the
// same releases and compares their output byte for byte: both read the same
// records, so every difference is a difference of format.
func TestE2EHelmFormats(t *testing.T) {
	e := newE2E(t)
	web := fixture("web")
	e.mustBarge("install", "one", web, "--set", "message=un", "--labels", "tier=front")
	e.mustBarge("upgrade", "one", web, "--set", "message=deux", "--description", "second try")
	e.mustBarge("install", "two", web, "--wait", "--timeout", "1m")
	r := e.mustBarge("test", "two", "--timeout", "1m")
	if !strings.Contains(r.stdout, "TEST SUITE:     two-test\n") || !strings.Contains(r.stdout, "Phase:          Succeeded\n") {
		t.Errorf("barge test output:\n%s", r.stdout)
	}
	e.mustBarge("install", "three", web)
	e.mustBarge("uninstall", "three", "--keep-history")

	tests := [][]string{
		{"list"},
		{"list", "-a"},
		{"list", "-o", "json"},
		{"list", "-o", "yaml", "-a"},
		{"list", "--superseded", "-o", "json"},
		{"list", "-l", "tier=front", "-q"},
		// -d is left out: releases deployed in the same second have no order.
		{"list", "--time-format", "2006-01-02", "-r"},
		{"history", "one"},
		{"history", "one", "-o", "json"},
		{"history", "one", "-o", "yaml", "--max", "1"},
		{"status", "two"},
		{"status", "one", "--revision", "1", "--show-desc"},
		{"get", "values", "one"},
		{"get", "values", "one", "--revision", "1", "-o", "yaml"},
		{"get", "values", "two", "-a"},
		{"get", "values", "two", "-a", "-o", "json"},
		{"get", "manifest", "one"},
		{"get", "notes", "one"},
		{"get", "hooks", "two"},
		{"get", "metadata", "one"},
		{"get", "metadata", "one", "-o", "json"},
		{"get", "all", "two"},
	}
	for _, args := range tests {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			bargeArgs := args
			if args[0] == "status" {
				// barge's status also lists the objects; Helm's does so
				// only with --show-resources.
				bargeArgs = append(append([]string{}, args...), "--show-resources=false")
			}
			want := e.mustHelm("v3.22.0", args...).stdout
			if strings.TrimSpace(want) == "" {
				t.Fatalf("helm %s printed nothing: nothing to compare", strings.Join(args, " "))
			}
			got := e.mustBarge(bargeArgs...).stdout
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("barge %s differs from helm (-helm +barge):\n%s", strings.Join(args, " "), diff)
			}
		})
	}
}
