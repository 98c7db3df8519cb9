package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/bargehq/barge/pkg/release"
	"github.com/bargehq/barge/pkg/release/storage"
)

// listOptions are the flags of `barge list`.
type listOptions struct {
	output        outputFlags
	short         bool
	noHeaders     bool
	timeFormat    string
	byDate        bool
	reverse       bool
	all           bool
	allNamespaces bool
	uninstalled   bool
	superseded    bool
	uninstalling  bool
	deployed      bool
	failed        bool
	pending       bool
	max           int
	offset        int
	filter        string
	selector      string
}

func newListCmd(cfg *Config) *cobra.Command {
	o := &listOptions{}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List releases",
		Long: `List releases in the namespace (or in all namespaces with -A).

By default only deployed and failed releases are listed; the status flags
(--deployed, --failed, --pending, --superseded, --uninstalled, --uninstalling)
choose others, and -a lists every release whatever its status. Releases are
sorted by name; -d sorts them by date, oldest first, and -r reverses the order.`,
		Example: `  barge list -A
  barge list --filter '^web' --output json
  barge list -l team=payments --all`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cfg)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.short, "short", "q", false, "output short (quiet) listing format: names only")
	f.BoolVar(&o.noHeaders, "no-headers", false, "don't print headers when using the default output format")
	f.StringVar(&o.timeFormat, "time-format", "", `format time using golang time formatter. Example: --time-format "2006-01-02 15:04:05Z0700"`)
	f.BoolVarP(&o.byDate, "date", "d", false, "sort by release date")
	f.BoolVarP(&o.reverse, "reverse", "r", false, "reverse the sort order")
	f.BoolVarP(&o.all, "all", "a", false, "show all releases without any filter applied")
	f.BoolVarP(&o.allNamespaces, "all-namespaces", "A", false, "list releases across all namespaces")
	f.BoolVar(&o.uninstalled, "uninstalled", false, "show uninstalled releases (if 'uninstall --keep-history' was used)")
	f.BoolVar(&o.superseded, "superseded", false, "show superseded releases")
	f.BoolVar(&o.uninstalling, "uninstalling", false, "show releases that are currently being uninstalled")
	f.BoolVar(&o.deployed, "deployed", false, "show deployed releases. If no other is specified, this will be automatically enabled")
	f.BoolVar(&o.failed, "failed", false, "show failed releases")
	f.BoolVar(&o.pending, "pending", false, "show pending releases")
	f.IntVarP(&o.max, "max", "m", 256, "maximum number of releases to fetch (0 for no limit)")
	f.IntVar(&o.offset, "offset", 0, "next release index in the list, used to offset from start value")
	f.StringVarP(&o.filter, "filter", "f", "", "a regular expression; only releases whose name it matches are listed")
	f.StringVarP(&o.selector, "selector", "l", "", "selector (label query) to filter on, supports '=', '==', and '!='.(e.g. -l key1=value1,key2=value2)")
	o.output.Bind(f)
	return cmd
}

// statuses returns the statuses the flags ask for; nil means all.
func (o *listOptions) statuses() []release.Status {
	if o.all {
		return nil
	}
	var s []release.Status
	add := func(on bool, st ...release.Status) {
		if on {
			s = append(s, st...)
		}
	}
	add(o.deployed, release.StatusDeployed)
	add(o.uninstalled, release.StatusUninstalled)
	add(o.uninstalling, release.StatusUninstalling)
	add(o.pending, release.StatusPendingInstall, release.StatusPendingUpgrade, release.StatusPendingRollback)
	add(o.failed, release.StatusFailed)
	add(o.superseded, release.StatusSuperseded)
	if len(s) == 0 {
		s = []release.Status{release.StatusDeployed, release.StatusFailed}
	}
	return s
}

// allRevisions reports whether every matching revision is listed rather
// than the latest of each release. Superseded revisions are never the
// latest: asking for them alone lists every superseded revision, as Helm
// does.
func (o *listOptions) allRevisions() bool {
	s := o.statuses()
	return len(s) == 1 && s[0] == release.StatusSuperseded
}

func (o *listOptions) listOptions() (storage.ListOptions, error) {
	lo := storage.ListOptions{Statuses: o.statuses(), AllRevisions: o.allRevisions()}
	if o.filter != "" {
		re, err := regexp.Compile(o.filter)
		if err != nil {
			return lo, fmt.Errorf("--filter %q: not a valid regular expression: %w", o.filter, err)
		}
		lo.Filter = re
	}
	if o.selector != "" {
		sel, err := labels.Parse(o.selector)
		if err != nil {
			return lo, fmt.Errorf("--selector %q: %w", o.selector, err)
		}
		lo.Selector = sel
	}
	return lo, nil
}

func (o *listOptions) run(ctx context.Context, cfg *Config) error {
	lo, err := o.listOptions()
	if err != nil {
		return err
	}
	ns := cfg.Namespace()
	if o.allNamespaces {
		ns = ""
	}
	cc, err := cfg.connect(ctx, ns, false)
	if err != nil {
		return err
	}
	rows, err := cc.store.List(ctx, lo)
	// Releases whose records cannot be read are listed in their place,
	// marked, and the command fails once the others are printed.
	var partial *storage.PartialError
	if err != nil && !errors.As(err, &partial) {
		return err
	}
	failed := unreadableRows(partial)
	rows = append(rows, failed.summaries()...)
	o.sort(rows)
	rows = page(rows, o.offset, o.max)
	if err := o.print(cfg, rows, failed); err != nil {
		return err
	}
	return failed.exitError("the other releases are listed")
}

// print writes rows in the format the flags ask for.
func (o *listOptions) print(cfg *Config, rows []storage.Summary, failed unreadable) error {
	if o.short {
		names := make([]string, 0, len(rows))
		for _, r := range rows {
			names = append(names, r.Name)
		}
		switch o.output.format {
		case outputJSON:
			return encodeJSON(cfg.Out, names)
		case outputYAML:
			return encodeYAML(cfg.Out, names)
		}
		for _, n := range names {
			fmt.Fprintln(cfg.Out, n)
		}
		return nil
	}
	return o.output.format.write(cfg.Out, newReleaseList(rows, failed, o.timeFormat, o.noHeaders))
}

// sort orders rows by name (the store's order), or by date with -d, oldest
// first; -r reverses either.
//
// When every revision is listed (--superseded alone), many rows share a name, and
// Helm's order of them is that of an unstable sort (sort.Sort) of the records
// in the order its storage lists them: by namespace, then by object name.
// The same sort of the same sequence gives the same order.
func (o *listOptions) sort(rows []storage.Summary) {
	if o.allRevisions() {
		slices.SortFunc(rows, func(a, b storage.Summary) int {
			return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(storage.Key(a.Name, a.Revision), storage.Key(b.Name, b.Revision)))
		})
		if o.byDate {
			sort.Sort(byUnixDate(rows))
		} else {
			sort.Sort(byName(rows))
		}
	} else if o.byDate {
		slices.SortStableFunc(rows, func(a, b storage.Summary) int {
			return cmp.Compare(a.LastDeployed.Unix(), b.LastDeployed.Unix())
		})
	}
	if o.reverse {
		slices.Reverse(rows)
	}
}

// byName orders summaries by release name only.
type byName []storage.Summary

func (s byName) Len() int           { return len(s) }
func (s byName) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }
func (s byName) Less(i, j int) bool { return s[i].Name < s[j].Name }

// byUnixDate orders summaries by the second they were last deployed.
type byUnixDate []storage.Summary

func (s byUnixDate) Len() int      { return len(s) }
func (s byUnixDate) Swap(i, j int) { s[i], s[j] = s[j], s[i] }
func (s byUnixDate) Less(i, j int) bool {
	return s[i].LastDeployed.Unix() < s[j].LastDeployed.Unix()
}

// page returns rows[offset:offset+limit], limit <= 0 meaning no limit.
func page[T any](rows []T, offset, limit int) []T {
	if offset >= len(rows) {
		return []T{}
	}
	rows = rows[max(offset, 0):]
	if limit > 0 && limit < len(rows) {
		rows = rows[:limit]
	}
	return rows
}

// releaseElement is a row of `list`, with Helm's JSON field names.
type releaseElement struct {
	Name       string `json:"name"`
	Namespace  string `json:"namespace"`
	Revision   string `json:"revision"`
	Updated    string `json:"updated"`
	Status     string `json:"status"`
	Chart      string `json:"chart"`
	AppVersion string `json:"app_version"`
	// Error is why the release's record could not be read; its status
	// is then statusUnreadable.
	Error string `json:"error,omitempty"`
}

type releaseList struct {
	rows      []releaseElement
	noHeaders bool
}

func newReleaseList(sums []storage.Summary, failed unreadable, timeFormat string, noHeaders bool) *releaseList {
	rows := make([]releaseElement, 0, len(sums))
	for _, s := range sums {
		if err := failed.of(s); err != nil {
			rows = append(rows, releaseElement{
				Name: s.Name, Namespace: s.Namespace, Revision: strconv.Itoa(s.Revision),
				Updated: "-", Status: statusUnreadable, Chart: "-", AppVersion: "-", Error: err.Error(),
			})
			continue
		}
		updated := "-"
		if !s.LastDeployed.IsZero() {
			if timeFormat != "" {
				updated = s.LastDeployed.Format(timeFormat)
			} else {
				updated = s.LastDeployed.String()
			}
		}
		rows = append(rows, releaseElement{
			Name: s.Name, Namespace: s.Namespace, Revision: strconv.Itoa(s.Revision),
			Updated: updated, Status: s.Status.String(), Chart: chartRef(s), AppVersion: appVersion(s),
		})
	}
	return &releaseList{rows: rows, noHeaders: noHeaders}
}

// chartRef is the chart column: name-version, or MISSING for a record without
// chart metadata.
func chartRef(s storage.Summary) string {
	if s.Chart == "" && s.ChartVersion == "" {
		return "MISSING"
	}
	return s.ChartRef()
}

func appVersion(s storage.Summary) string {
	if s.Chart == "" && s.ChartVersion == "" {
		return "MISSING"
	}
	return s.AppVersion
}

func (l *releaseList) WriteTable(w io.Writer) error {
	t := &table{}
	if !l.noHeaders {
		t.row("NAME", "NAMESPACE", "REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION")
	}
	for _, r := range l.rows {
		t.row(r.Name, r.Namespace, r.Revision, r.Updated, r.Status, r.Chart, r.AppVersion)
	}
	return t.write(w)
}

func (l *releaseList) WriteJSON(w io.Writer) error { return encodeJSON(w, l.rows) }
func (l *releaseList) WriteYAML(w io.Writer) error { return encodeYAML(w, l.rows) }

// statusUnreadable is the status shown for a release whose record cannot be
// read (fetched or decoded).
const statusUnreadable = "unreadable"

// unreadable are the release records a List could not read.
type unreadable []*storage.RecordError

// unreadableRows returns the records pe names; pe may be nil.
func unreadableRows(pe *storage.PartialError) unreadable {
	if pe == nil {
		return nil
	}
	return pe.Records
}

// summaries returns a summary of each record, what its labels tell, to be
// sorted and paged with the others.
func (u unreadable) summaries() []storage.Summary {
	out := make([]storage.Summary, len(u))
	for i, r := range u {
		out[i] = storage.Summary{Name: r.Name, Namespace: r.Namespace, Revision: r.Revision, Status: r.Status}
	}
	return out
}

// of returns why the record of s could not be read, or nil if it was read.
func (u unreadable) of(s storage.Summary) error {
	for _, r := range u {
		if r.Name == s.Name && r.Namespace == s.Namespace && r.Revision == s.Revision {
			return r.Err
		}
	}
	return nil
}

// exitError returns nil when every record was read; otherwise the error the
// command exits with once the others are done: each record, why, and what
// to do.
func (u unreadable) exitError(done string) error {
	if len(u) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d release record(s) could not be read; %s:", len(u), done)
	for _, r := range u {
		fmt.Fprintf(&b, "\n  %v", r)
	}
	b.WriteString("\nlook at the record with 'kubectl get secret -n NAMESPACE sh.helm.release.v1.NAME.vREVISION -o yaml'; " +
		"if no tool can read it, restore it from a backup or delete it")
	return &ExitError{Code: 1, Err: errors.New(b.String())}
}
