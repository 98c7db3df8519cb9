package storage

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart/loader"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/bargehq/barge/internal/localcluster"
	"github.com/bargehq/barge/pkg/release"
)

// TestSecretsSummaryAnnotation checks that List and History take the summary
// of a record barge wrote from its annotation, and decode the record when
// another writer changed it.
func TestSecretsSummaryAnnotation(t *testing.T) {
	c := localcluster.Get(t)
	ns := c.Namespace(t)
	ctx := t.Context()
	s := newTestSecrets(t, c, ns, Options{})
	secrets := clientset(t, c).CoreV1().Secrets(ns)

	// rewrite changes the Secret of a revision as another writer would,
	// keeping its annotations.
	rewrite := func(t *testing.T, name string, revision int, change func(data map[string][]byte, labels map[string]string)) {
		t.Helper()
		obj, err := secrets.Get(ctx, Key(name, revision), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		change(obj.Data, obj.Labels)
		if _, err := secrets.Update(ctx, obj, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	listOf := func(t *testing.T, name string) []Summary {
		t.Helper()
		got, err := s.List(ctx, ListOptions{Filter: mustRegexp(t, "^"+name+"$")})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	t.Run("written on create and update", func(t *testing.T) {
		r := rev(ns, "annotated", 1, release.StatusDeployed)
		if err := s.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
		r.Info.Status, r.Info.Description = release.StatusSuperseded, "superseded by 2"
		if err := s.Update(ctx, r); err != nil {
			t.Fatal(err)
		}
		obj, err := secrets.Get(ctx, Key("annotated", 1), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(obj.Annotations[SummaryAnnotation]), &got); err != nil {
			t.Fatalf("annotation %s: %q: %v", SummaryAnnotation, obj.Annotations[SummaryAnnotation], err)
		}
		want := map[string]any{
			"name": "annotated", "namespace": ns, "version": float64(1),
			"info": map[string]any{
				"first_deployed": "2025-06-01T12:00:00Z", "last_deployed": "2025-06-01T12:01:00Z", "deleted": "",
				"description": "superseded by 2", "status": "superseded",
			},
			"chart": map[string]any{"metadata": map[string]any{"name": "demo", "version": "1.0.0", "appVersion": "2.0"}},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("annotation after update (-want +got):\n%s", diff)
		}
	})

	t.Run("barge's records list from the annotation alone", func(t *testing.T) {
		r1 := rev(ns, "lean", 1, release.StatusSuperseded)
		r2 := rev(ns, "lean", 2, release.StatusDeployed)
		r2.Labels = map[string]string{"team": "blue"}
		for _, r := range []*release.Release{r1, r2} {
			if err := s.Create(ctx, r); err != nil {
				t.Fatal(err)
			}
			// Make the data unreadable: only the annotation can answer.
			rewrite(t, "lean", r.Version, func(data map[string][]byte, _ map[string]string) {
				data["release"] = []byte("not a record")
			})
		}
		if diff := cmp.Diff([]Summary{summaryOf(r2)}, listOf(t, "lean"), timeText); diff != "" {
			t.Errorf("List (-want +got):\n%s", diff)
		}
		h, err := s.History(ctx, "lean")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]Summary{summaryOf(r1), summaryOf(r2)}, h, timeText); diff != "" {
			t.Errorf("History (-want +got):\n%s", diff)
		}
	})

	t.Run("a stale annotation is not trusted", func(t *testing.T) {
		r := rev(ns, "stale", 1, release.StatusDeployed)
		if err := s.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
		// Another writer marks the revision failed and keeps the annotation.
		changed := rev(ns, "stale", 1, release.StatusFailed)
		changed.Info.Description = "failed elsewhere"
		data, err := Encode(changed)
		if err != nil {
			t.Fatal(err)
		}
		rewrite(t, "stale", 1, func(d map[string][]byte, lbs map[string]string) {
			d["release"] = data
			lbs[labelStatus] = string(release.StatusFailed)
		})
		want := []Summary{summaryOf(changed)}
		if diff := cmp.Diff(want, listOf(t, "stale"), timeText); diff != "" {
			t.Errorf("List (-want +got):\n%s", diff)
		}
		h, err := s.History(ctx, "stale")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, h, timeText); diff != "" {
			t.Errorf("History (-want +got):\n%s", diff)
		}
	})
}

// TestSummaryMatchesHelm has Helm write and rewrite records next to barge's
// and checks that List and History give what `helm list` and `helm history`
// of Helm v3.22 print, row for row, for records barge wrote (read from the
// annotation), records Helm wrote, and records Helm rewrote (whose
// annotation Helm dropped).
func TestSummaryMatchesHelm(t *testing.T) {
	ref := helmBinary(t, "v3.22.0")
	for _, version := range []string{"v3.22.0", "v4.3.1"} {
		t.Run(version, func(t *testing.T) {
			c := localcluster.Get(t)
			ns := c.Namespace(t)
			ctx := t.Context()
			home := t.TempDir()
			writer := helmRunner{t: t, bin: helmBinary(t, version), kcfg: c.KubeconfigPath, home: home, namespace: ns, isHelmV4: version[1] == '4'}
			helm := helmRunner{t: t, bin: ref, kcfg: c.KubeconfigPath, home: home, namespace: ns}
			s := newTestSecrets(t, c, ns, Options{})
			chartDir := filepath.Join("testdata", "charts", "greeter")
			ch, err := loader.Load(chartDir)
			if err != nil {
				t.Fatal(err)
			}

			writer.run("install", "hgreet", chartDir, "--labels", "team=blue")
			writer.run("upgrade", "hgreet", chartDir, "--set", "greeting=hey", "--description", "second")
			now := time.Now()
			for _, name := range []string{"bgreet", "cgreet"} {
				r := &release.Release{
					Name: name, Namespace: ns, Version: 1, Chart: ch, Config: map[string]any{},
					Info:   &release.Info{FirstDeployed: now, LastDeployed: now, Status: release.StatusDeployed, Description: "Install complete"},
					Labels: map[string]string{"team": "green"},
				}
				if err := s.Create(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			// Helm upgrades bgreet: it rewrites revision 1 and writes 2.
			writer.run("upgrade", "bgreet", chartDir, "--reuse-values")
			obj, err := clientset(t, c).CoreV1().Secrets(ns).Get(ctx, Key("bgreet", 1), metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if a, ok := obj.Annotations[SummaryAnnotation]; ok {
				t.Errorf("helm %s kept the annotation when it rewrote bgreet's revision 1: %s", version, a)
			}

			// helm list -a -o json.
			type listRow struct {
				Name, Namespace, Revision, Updated, Status, Chart, AppVersion string
			}
			var helmList []struct {
				Name       string `json:"name"`
				Namespace  string `json:"namespace"`
				Revision   string `json:"revision"`
				Updated    string `json:"updated"`
				Status     string `json:"status"`
				Chart      string `json:"chart"`
				AppVersion string `json:"app_version"`
			}
			helm.json(&helmList, "list", "-a")
			if len(helmList) != 3 {
				t.Fatalf("helm list -a: %d releases, want 3: %+v", len(helmList), helmList)
			}
			var want, got []listRow
			for _, x := range helmList {
				want = append(want, listRow(x))
			}
			sums, err := s.List(ctx, ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range sums {
				got = append(got, listRow{x.Name, x.Namespace, strconv.Itoa(x.Revision), x.LastDeployed.String(), string(x.Status), x.ChartRef(), x.AppVersion})
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("List differs from helm list -a (-helm +barge):\n%s", diff)
			}

			// helm history -o json, compared as JSON.
			type histRow struct {
				Revision    int       `json:"revision"`
				Updated     time.Time `json:"updated"`
				Status      string    `json:"status"`
				Chart       string    `json:"chart"`
				AppVersion  string    `json:"app_version"`
				Description string    `json:"description"`
			}
			for _, name := range []string{"hgreet", "bgreet", "cgreet"} {
				wantJSON := helm.run("history", name, "-o", "json")
				sums, err := s.History(ctx, name)
				if err != nil {
					t.Fatal(err)
				}
				rows := []histRow{}
				for _, x := range sums {
					rows = append(rows, histRow{x.Revision, x.LastDeployed, string(x.Status), x.ChartRef(), x.AppVersion, x.Description})
				}
				gotJSON, err := json.Marshal(rows)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(string(wantJSON), string(gotJSON)+"\n"); diff != "" {
					t.Errorf("History(%s) differs from helm history (-helm +barge):\n%s", name, diff)
				}
			}
		})
	}
}
