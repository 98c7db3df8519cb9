package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bargehq/barge/pkg/kube"
	"github.com/bargehq/barge/pkg/release"
	"github.com/bargehq/barge/pkg/release/storage"
)

func TestTableLayout(t *testing.T) {
	// Helm's tables (gosuri/uitable) pad every cell, the last one too, to
	// its column's width and separate cells with a tab.
	tests := []struct {
		name string
		rows [][]any
		want string
	}{
		{
			name: "header and rows",
			rows: [][]any{{"NAME", "REVISION"}, {"joomla1", 1}, {"a", 12}},
			want: "NAME   \tREVISION\n" +
				"joomla1\t1       \n" +
				"a      \t12      \n",
		},
		{
			name: "empty is one empty line",
			want: "\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tb := &table{}
			for _, r := range tc.rows {
				tb.row(r...)
			}
			var b bytes.Buffer
			if err := tb.write(&b); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, b.String()); diff != "" {
				t.Errorf("table (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOutputFormatSet(t *testing.T) {
	tests := []struct {
		in      string
		wantErr bool
	}{
		{"table", false}, {"json", false}, {"yaml", false}, {"xml", true}, {"", true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			var f outputFormat
			err := f.Set(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Set(%q) error = %v, want error %v", tc.in, err, tc.wantErr)
			}
		})
	}
}

func TestListStatuses(t *testing.T) {
	tests := []struct {
		name string
		opts listOptions
		want []release.Status
	}{
		{"default is deployed and failed", listOptions{}, []release.Status{release.StatusDeployed, release.StatusFailed}},
		{"all is every status", listOptions{all: true, deployed: true}, nil},
		{"pending is the three pending statuses", listOptions{pending: true},
			[]release.Status{release.StatusPendingInstall, release.StatusPendingUpgrade, release.StatusPendingRollback}},
		{"several flags add up", listOptions{uninstalled: true, superseded: true},
			[]release.Status{release.StatusUninstalled, release.StatusSuperseded}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.opts.statuses()); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListSupersededAlone(t *testing.T) {
	// Superseded revisions are never the latest: asked for alone, every
	// superseded revision is listed, as in Helm.
	o := listOptions{superseded: true}
	lo, err := o.listOptions()
	if err != nil {
		t.Fatal(err)
	}
	if !lo.AllRevisions {
		t.Error("--superseded alone: AllRevisions = false, want true")
	}
	o = listOptions{superseded: true, deployed: true}
	if lo, _ = o.listOptions(); lo.AllRevisions {
		t.Error("--superseded --deployed: AllRevisions = true, want false")
	}
	o = listOptions{filter: "("}
	if _, err := o.listOptions(); err == nil || !strings.Contains(err.Error(), "--filter") {
		t.Errorf("bad --filter: error = %v, want one naming --filter", err)
	}
}

func TestListSortAndPage(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	rows := func() []storage.Summary {
		return []storage.Summary{ // the store's order: by name
			{Name: "a", LastDeployed: at("2026-01-03T00:00:00Z")},
			{Name: "b", LastDeployed: at("2026-01-01T00:00:00Z")},
			{Name: "c", LastDeployed: at("2026-01-02T00:00:00Z")},
		}
	}
	names := func(s []storage.Summary) []string {
		var out []string
		for _, r := range s {
			out = append(out, r.Name)
		}
		return out
	}
	tests := []struct {
		name          string
		opts          listOptions
		offset, limit int
		want          []string
	}{
		{"by name", listOptions{}, 0, 0, []string{"a", "b", "c"}},
		{"reverse", listOptions{reverse: true}, 0, 0, []string{"c", "b", "a"}},
		{"by date, oldest first", listOptions{byDate: true}, 0, 0, []string{"b", "c", "a"}},
		{"by date reversed", listOptions{byDate: true, reverse: true}, 0, 0, []string{"a", "c", "b"}},
		{"max", listOptions{}, 0, 2, []string{"a", "b"}},
		{"offset", listOptions{}, 1, 0, []string{"b", "c"}},
		{"offset past the end", listOptions{}, 5, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rows()
			tc.opts.sort(r)
			if diff := cmp.Diff(tc.want, names(page(r, tc.offset, tc.limit))); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInstallNameAndChart(t *testing.T) {
	now := func() time.Time { return time.Unix(1700000000, 0) }
	tests := []struct {
		name      string
		args      []string
		generate  bool
		template  string
		wantName  string
		wantChart string
		wantErr   string
	}{
		{"name and chart", []string{"web", "./web"}, false, "", "web", "./web", ""},
		{"generated from the chart directory", []string{"./charts/joomla"}, true, "", "joomla-1700000000", "./charts/joomla", ""},
		{"generated from an archive, cut at the first dot as Helm does", []string{"nginx-1.2.3.tgz"}, true, "", "nginx-1-1700000000", "nginx-1.2.3.tgz", ""},
		{"name template", []string{"./web"}, false, `{{ "web" | upper | lower }}-x`, "web-x", "./web", ""},
		{"no name", []string{"./web"}, false, "", "", "", "must either provide a name or specify --generate-name: give the release a name, as in `install NAME ./web`"},
		{"no chart", []string{"joomla1"}, false, "", "", "", "the CHART argument is missing: `install joomla1 CHART` installs CHART"},
		{"name and --generate-name", []string{"web", "./web"}, true, "", "", "", "cannot set --generate-name and also specify a name"},
		{"too many arguments", []string{"a", "b", "c"}, false, "", "", "", "unexpected arguments: c"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name, ch, err := installNameAndChart(tc.args, tc.generate, tc.template, now)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if name != tc.wantName || ch != tc.wantChart {
				t.Errorf("got (%q, %q), want (%q, %q)", name, ch, tc.wantName, tc.wantChart)
			}
		})
	}
}

func TestWaitProgressLines(t *testing.T) {
	// Off a terminal, progress is one line per change of an object's state,
	// nothing for objects ready from the start, and a summary at the end.
	var b bytes.Buffer
	p := newWaitProgress(&b, "ns1")
	p.now = func() time.Time { return p.start }
	dep := kube.ObjectRef{Kind: "Deployment", Namespace: "ns1", Name: "web"}
	svc := kube.ObjectRef{Kind: "Service", Namespace: "ns1", Name: "web"}
	cm := kube.ObjectRef{Kind: "ConfigMap", Namespace: "other", Name: "conf"}
	p.update(kube.Status{Ref: svc, State: kube.StateCurrent})
	p.update(kube.Status{Ref: dep, State: kube.StateInProgress, Message: "Ready: 0/1"})
	p.update(kube.Status{Ref: cm, State: kube.StateInProgress})
	p.update(kube.Status{Ref: dep, State: kube.StateInProgress, Message: "Ready: 0/1"})
	p.update(kube.Status{Ref: dep, State: kube.StateCurrent})
	p.finish()
	want := "waiting: Deployment/web: InProgress: Ready: 0/1 [0s]\n" +
		"waiting: ConfigMap/other/conf: InProgress [0s]\n" +
		"ready: Deployment/web [0s]\n" +
		"2 of 3 objects ready after 0s\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
}

func TestWaitProgressTerminal(t *testing.T) {
	// On a terminal, the table of objects not ready is redrawn in place:
	// each redraw moves the cursor up over the last one and clears it.
	var b bytes.Buffer
	p := newWaitProgress(&b, "ns1")
	p.tty, p.width = true, 80
	p.now = func() time.Time { return p.start }
	dep := kube.ObjectRef{Kind: "Deployment", Namespace: "ns1", Name: "web"}
	svc := kube.ObjectRef{Kind: "Service", Namespace: "ns1", Name: "web"}
	p.update(kube.Status{Ref: dep, State: kube.StateInProgress, Message: "Ready: 0/1"})
	first := b.String()
	wantFirst := "Waiting for 1 of 1 objects to be ready [0s]\n" +
		"  Deployment/web  InProgress  Ready: 0/1\n"
	if diff := cmp.Diff(wantFirst, first); diff != "" {
		t.Fatalf("first draw (-want +got):\n%s", diff)
	}
	p.update(kube.Status{Ref: svc, State: kube.StateCurrent})
	p.update(kube.Status{Ref: dep, State: kube.StateCurrent})
	p.finish()
	want := wantFirst +
		"\x1b[2A\x1b[J" + "Waiting for 1 of 2 objects to be ready [0s]\n" + "  Deployment/web  InProgress  Ready: 0/1\n" +
		"\x1b[2A\x1b[J" + "Waiting for 0 of 2 objects to be ready [0s]\n" +
		"\x1b[1A\x1b[J" + "2 of 2 objects ready after 0s\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("redraws (-want +got):\n%s", diff)
	}
}
