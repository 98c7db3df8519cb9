package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/bargehq/barge/pkg/fleet"
)

// The passwords of TestE2EFleetPlanDiff's Secret, before and after the
// change: neither may show in a plan unless --show-secrets is given.
const (
	planDiffOldPassword = "pw-before-Q7zK"
	planDiffNewPassword = "pw-after-X9mT"
)

// planDiffFleet writes a fleet of two releases of a chart holding a
// ConfigMap (greeting) and a Secret (password) in the test's namespace:
// settings, whose greeting and password are given, and steady, left at the
// chart's defaults. It returns the fleet file's path and the releases'
// namespace.
func (e *e2e) planDiffFleet(greeting, password string) (string, string) {
	e.t.Helper()
	dir := e.t.TempDir()
	files := map[string]string{
		"chart/Chart.yaml":  "apiVersion: v2\nname: settings\nversion: 0.1.0\n",
		"chart/values.yaml": "greeting: hi\npassword: default-pw\n",
		"chart/templates/objects.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
data:
  greeting: {{ .Values.greeting | quote }}
---
apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-auth
stringData:
  password: {{ .Values.password | quote }}
`,
	}
	ns := e.ns + "-pd"
	files["fleet.yaml"] = fmt.Sprintf(`apiVersion: barge.dev/v1alpha1
kind: Fleet
metadata:
  name: plandiff
releases:
  - name: settings
    namespace: %[1]s
    chart: ./chart
    set:
      greeting: %[2]q
      password: %[3]q
  - name: steady
    namespace: %[1]s
    chart: ./chart
`, ns, greeting, password)
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			e.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			e.t.Fatal(err)
		}
	}
	e.t.Cleanup(func() { _ = e.cs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
	return filepath.Join(dir, "fleet.yaml"), ns
}

// hasLine reports whether a line of out matches the regular expression re.
func hasLine(out, re string) bool {
	return regexp.MustCompile("(?m)" + re).MatchString(out)
}

// TestE2EFleetPlanDiff plans a fleet with --diff: before it is applied,
// the releases show as objects created; after its values change, the
// release that changes shows its ConfigMap's greeting going from the old
// value to the new one and its Secret changing without showing either
// password (--show-secrets shows them), and the release left alone shows no
// diff. -o json carries the same change set per release.
func TestE2EFleetPlanDiff(t *testing.T) {
	e := newE2E(t)
	file, ns := e.planDiffFleet("hello", planDiffOldPassword)

	r := e.mustBarge("plan", "-f", file, "--diff", "--color", "never")
	if !hasRow(r.stdout, ns, "settings", "install") || !hasRow(r.stdout, ns, "steady", "install") {
		t.Errorf("plan before apply: want both releases to install\n%s", r)
	}
	if !hasLine(r.stdout, `^\+\s+greeting: "?hello"?$`) {
		t.Errorf("plan --diff of an install: want the ConfigMap's greeting added\n%s", r)
	}
	if strings.Contains(r.stdout+r.stderr, planDiffOldPassword) {
		t.Errorf("plan --diff of an install shows the Secret's password\n%s", r)
	}

	e.mustBarge("apply", "-f", file)
	if r := e.mustBarge("plan", "-f", file, "--diff"); strings.Count(r.stdout, "settings") != 1 || strings.Count(r.stdout, "steady") != 1 {
		t.Errorf("plan --diff after apply: want only the table's rows to name the releases\n%s", r)
	}

	// The same file, the values changed.
	file, _ = e.planDiffFleet("bonjour", planDiffNewPassword)
	r = e.mustBarge("plan", "-f", file, "--diff", "--color", "never")
	if !hasRow(r.stdout, ns, "settings", "upgrade") || !hasRow(r.stdout, ns, "steady", "unchanged") {
		t.Errorf("plan after the change: want settings upgraded and steady unchanged\n%s", r)
	}
	if !hasLine(r.stdout, `^-\s+greeting: "?hello"?$`) || !hasLine(r.stdout, `^\+\s+greeting: "?bonjour"?$`) {
		t.Errorf("plan --diff: want the ConfigMap's greeting changed from hello to bonjour\n%s", r)
	}
	if !hasLine(r.stdout, `^Secret `+ns+`/settings-auth .*changed`) {
		t.Errorf("plan --diff: want the Secret settings-auth shown changed\n%s", r)
	}
	for _, pw := range []string{planDiffOldPassword, planDiffNewPassword} {
		if strings.Contains(r.stdout+r.stderr, pw) {
			t.Errorf("plan --diff shows the password %q\n%s", pw, r)
		}
	}
	if strings.Count(r.stdout, "steady") != 1 {
		t.Errorf("plan --diff: the unchanged release steady has a diff\n%s", r)
	}
	if !strings.Contains(r.stdout, ns+"/settings") {
		t.Errorf("plan --diff: no heading names the release %s/settings\n%s", ns, r)
	}

	r = e.mustBarge("plan", "-f", file, "--diff", "--show-secrets", "--color", "never")
	if !hasLine(r.stdout, `^-\s+password: "?`+planDiffOldPassword+`"?$`) || !hasLine(r.stdout, `^\+\s+password: "?`+planDiffNewPassword+`"?$`) {
		t.Errorf("plan --diff --show-secrets: want the password changed from the old one to the new one\n%s", r)
	}

	r = e.mustBarge("plan", "-f", file, "--diff", "-o", "json")
	var plan struct {
		Releases []struct {
			Name, Action string
			Diff         *struct {
				Changed bool
				Changes []struct {
					Kind, Name, Action string
					Paths              []struct {
						Path          string
						Before, After any
					}
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil {
		t.Fatalf("plan --diff -o json: %v\n%s", err, r.stdout)
	}
	for _, pw := range []string{planDiffOldPassword, planDiffNewPassword} {
		if strings.Contains(r.stdout, pw) {
			t.Errorf("plan --diff -o json shows the password %q\n%s", pw, r.stdout)
		}
	}
	var settings, steady bool
	for _, rel := range plan.Releases {
		switch rel.Name {
		case "steady":
			steady = true
			if rel.Diff != nil {
				t.Errorf("-o json: the unchanged release steady has a diff: %+v", rel.Diff)
			}
		case "settings":
			settings = true
			if rel.Action != "upgrade" || rel.Diff == nil || !rel.Diff.Changed {
				t.Fatalf("-o json: settings: want an upgrade with a diff that changes something: %+v", rel)
			}
			found := false
			for _, c := range rel.Diff.Changes {
				if c.Kind != "ConfigMap" {
					continue
				}
				found = true
				if c.Name != "settings-config" || c.Action != "change" || len(c.Paths) != 1 ||
					c.Paths[0].Path != ".data.greeting" || c.Paths[0].Before != "hello" || c.Paths[0].After != "bonjour" {
					t.Errorf("-o json: the ConfigMap's change: want .data.greeting from hello to bonjour, got %+v", c)
				}
			}
			if !found {
				t.Errorf("-o json: settings' diff has no ConfigMap: %+v", rel.Diff)
			}
		}
	}
	if !settings || !steady {
		t.Errorf("-o json: want the releases settings and steady\n%s", r.stdout)
	}
}

// TestPlanTableClustersAndNeeds prints a plan whose releases are on
// clusters and need others: the table gains a CLUSTER column first and a
// NEEDS column, cut when long; a plan without them keeps its columns.
func TestPlanTableClustersAndNeeds(t *testing.T) {
	long := []string{"east/platform/postgres-primary", "east/platform/redis-cache", "east/platform/kafka"}
	tests := []struct {
		name    string
		changes []fleet.Change
		want    string
	}{
		{
			name: "plain",
			changes: []fleet.Change{
				{Name: "web", Namespace: "shop", Action: fleet.ActionInstall},
			},
			want: `NAMESPACE  RELEASE  ACTION   OBJECTS  WHY
shop       web      install  -
`,
		},
		{
			name: "clusters and needs",
			changes: []fleet.Change{
				{Cluster: "east", Name: "db", Namespace: "platform", Action: fleet.ActionInstall},
				{Cluster: "east", Name: "web", Namespace: "shop", Action: fleet.ActionUpgrade, Needs: []string{"east/platform/db"}, Reasons: []string{"values"}},
				{Cluster: "west", Name: "api", Namespace: "shop", Action: fleet.ActionUnchanged, Needs: long},
			},
			want: `CLUSTER  NAMESPACE  RELEASE  ACTION     OBJECTS  NEEDS                                     WHY
east     platform   db       install    -        -
east     shop       web      upgrade    -        east/platform/db                          values
west     shop       api      unchanged  -        east/platform/postgres-primary,east/p...
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			printPlanObjects(&out, &fleet.Plan{Fleet: "f", Changes: tt.changes}, false)
			got, _, _ := strings.Cut(out.String(), "\nfleet f:")
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("table (-want +got):\n%s", d)
			}
		})
	}
}
