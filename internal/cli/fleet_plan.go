package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/bargehq/barge/pkg/diff"
	"github.com/bargehq/barge/pkg/fleet"
	"github.com/bargehq/barge/pkg/release"
)

// fleetPlanOptions are the flags of `barge plan`.
type fleetPlanOptions struct {
	fleet        fleetFlags
	prune        bool
	objects      bool
	output       outputFlags
	detailedExit bool
	// showDiff is --diff; diff holds --show-secrets, --context and --color,
	// which mean what they mean to barge diff.
	showDiff bool
	diff     diffFlags
}

func newFleetPlanCmd(cfg *Config) *cobra.Command {
	o := &fleetPlanOptions{}
	cmd := &cobra.Command{
		Use:   "plan -f FLEET",
		Short: "Show what barge apply would do to a fleet",
		Long: `Show what barge apply would do to each release of a fleet file: install it,
upgrade it (and why: chart, values, manifest, labels), leave it unchanged, or,
with --prune, uninstall it because the fleet owns it but its file no longer
lists it. For each release, the objects added, changed and removed are
counted (--objects lists them). Nothing is changed.

-o json or yaml prints the plan for CI: per release its action, namespace,
chart and version, last revision, reasons and object changes, and the
counts. With --detailed-exitcode the exit code says what apply would do: 0
nothing, 2 changes, 1 an error.

--diff also shows, under the table, how each release to upgrade changes
field by field, from the manifest of its last deployed revision to the one
the upgrade would store (rendered and post-rendered; the cluster's objects
are not read, as with 'barge diff revision'), and each release to install
as objects created. The values of Secrets are masked unless --show-secrets
is given. With -o json or yaml, each such release has a "diff" field, the
change set as 'barge diff -o json' prints it.`,
		Example: `  barge plan -f fleet.yaml
  barge plan -f fleet.yaml --prune --objects
  barge plan -f fleet.yaml --diff -C 1
  barge plan -f fleet.yaml -o json --detailed-exitcode`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cfg)
		},
	}
	f := cmd.Flags()
	o.fleet.Bind(f)
	f.BoolVar(&o.prune, "prune", false, "also plan to uninstall the releases this fleet owns that the file no longer lists")
	f.BoolVar(&o.objects, "objects", false, "list the objects added, changed and removed under each release")
	f.BoolVar(&o.detailedExit, "detailed-exitcode", false, "exit 2 when apply would change something, 0 when nothing, 1 on an error")
	f.BoolVar(&o.showDiff, "diff", false, "show how the objects of each release to upgrade or install change, field by field")
	o.output.Bind(f)
	o.diff.output = &o.output.format
	bindDiffFlags(f, &o.diff, "show-secrets", "context", "color")
	return cmd
}

// bindDiffFlags registers on fs the named flags of the diff output flags,
// bound to d, as barge diff defines them.
func bindDiffFlags(fs *pflag.FlagSet, d *diffFlags, names ...string) {
	all := pflag.NewFlagSet("diff", pflag.ContinueOnError)
	d.Bind(all)
	for _, name := range names {
		fs.AddFlag(all.Lookup(name))
	}
}

func (o *fleetPlanOptions) run(ctx context.Context, cfg *Config) error {
	if err := o.diff.check(); err != nil {
		return err
	}
	s, err := o.fleet.open(ctx, cfg, release.WaitOptions{})
	if err != nil {
		return err
	}
	plan, err := s.clusters.Plan(ctx, s.file.Metadata.Name, s.releases, fleet.PlanOptions{
		Selector: s.selector, Prune: o.prune, Concurrency: o.fleet.concurrency, Objects: true,
		Diff: o.showDiff, ShowSecrets: o.diff.showSecrets,
	})
	if err != nil {
		return err
	}
	out := planOutput{plan: plan, objects: o.objects}
	if o.showDiff {
		out.diff = &diff.TextOptions{Context: o.diff.context, Color: o.diff.useColor(cfg), BeforeLabel: "deployed", AfterLabel: "planned"}
	}
	if err := o.output.format.write(cfg.Out, out); err != nil {
		return err
	}
	if err := planErrors(plan); err != nil {
		return err
	}
	if o.detailedExit && len(plan.Changes) > plan.Count(fleet.ActionUnchanged) {
		return &ExitError{Code: 2}
	}
	return nil
}

// planOutput prints a plan in the three formats.
type planOutput struct {
	plan    *fleet.Plan
	objects bool
	// diff, when set, prints the releases' diffs under the table.
	diff *diff.TextOptions
}

// planJSON is a plan as -o json and yaml print it.
type planJSON struct {
	Fleet    string            `json:"fleet"`
	Releases []planReleaseJSON `json:"releases"`
	Summary  map[string]int    `json:"summary"`
}

// planReleaseJSON is one release of planJSON.
type planReleaseJSON struct {
	Cluster   string   `json:"cluster,omitempty"`
	Name      string   `json:"name"`
	Namespace string   `json:"namespace"`
	Needs     []string `json:"needs,omitempty"`
	Action    string   `json:"action"`
	Chart     string   `json:"chart,omitempty"`
	Version   string   `json:"version,omitempty"`
	Revision  int      `json:"revision,omitempty"`
	Reasons   []string `json:"reasons,omitempty"`
	Objects   struct {
		Added     []string `json:"added"`
		Changed   []string `json:"changed"`
		Removed   []string `json:"removed"`
		Unchanged int      `json:"unchanged"`
	} `json:"objects"`
	// Diff is the change set of the release's objects (--diff), as barge
	// diff -o json prints it.
	Diff  *diff.ChangeSet `json:"diff,omitempty"`
	Error string          `json:"error,omitempty"`
}

func (o planOutput) data() planJSON {
	p := o.plan
	out := planJSON{Fleet: p.Fleet, Releases: []planReleaseJSON{}, Summary: map[string]int{
		"install": p.Count(fleet.ActionInstall), "upgrade": p.Count(fleet.ActionUpgrade),
		"unchanged": p.Count(fleet.ActionUnchanged), "prune": p.Count(fleet.ActionPrune), "errors": len(p.Errors()),
	}}
	for _, c := range p.Changes {
		r := planReleaseJSON{Cluster: c.Cluster, Name: c.Name, Namespace: c.Namespace, Needs: c.Needs,
			Action: string(c.Action), Revision: c.Revision, Reasons: c.Reasons, Diff: c.Diff}
		if c.Release != nil {
			r.Chart, r.Version = c.Release.Chart, c.Release.Version
		}
		r.Objects.Added, r.Objects.Changed, r.Objects.Removed = nonNil(c.Objects.Added), nonNil(c.Objects.Changed), nonNil(c.Objects.Removed)
		r.Objects.Unchanged = c.Objects.Unchanged
		if c.Err != nil {
			r.Action, r.Error = "error", c.Err.Error()
		}
		out.Releases = append(out.Releases, r)
	}
	return out
}

// nonNil returns s, or an empty list for nil, for JSON's sake.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (o planOutput) WriteTable(w io.Writer) error {
	printPlanObjects(w, o.plan, o.objects)
	if o.diff != nil {
		return printPlanDiffs(w, o.plan, *o.diff)
	}
	return nil
}
func (o planOutput) WriteJSON(w io.Writer) error { return encodeJSON(w, o.data()) }
func (o planOutput) WriteYAML(w io.Writer) error { return encodeYAML(w, o.data()) }

// printPlan prints a plan, one line per release.
func printPlan(w io.Writer, p *fleet.Plan) { printPlanObjects(w, p, false) }

func printPlanObjects(w io.Writer, p *fleet.Plan, objects bool) {
	clusters := slices.ContainsFunc(p.Changes, func(c fleet.Change) bool { return c.Cluster != "" })
	needs := slices.ContainsFunc(p.Changes, func(c fleet.Change) bool { return len(c.Needs) > 0 })
	// row adds the cells of a release, with its cluster and needs when
	// some release has them.
	row := func(t *table, cluster, namespace, name, action, objects, needed, why string) {
		cells := []any{namespace, name, action, objects}
		if clusters {
			cells = append([]any{cluster}, cells...)
		}
		if needs {
			cells = append(cells, needed)
		}
		t.row(append(cells, why)...)
	}
	t := &table{sep: "  "}
	row(t, "CLUSTER", "NAMESPACE", "RELEASE", "ACTION", "OBJECTS", "NEEDS", "WHY")
	flush := func() {
		fmt.Fprint(w, t.String())
		t = &table{sep: "  "}
	}
	for _, c := range p.Changes {
		action := string(c.Action)
		why := strings.Join(c.Reasons, ", ")
		if c.Err != nil {
			action, why = "error", c.Err.Error()
		}
		row(t, c.Cluster, c.Namespace, c.Name, action, objectSummary(c), needsCell(c.Needs), why)
		if objects && c.Err == nil {
			flush()
			for _, k := range c.Objects.Added {
				fmt.Fprintf(w, "    + %s\n", k)
			}
			for _, k := range c.Objects.Changed {
				fmt.Fprintf(w, "    ~ %s\n", k)
			}
			for _, k := range c.Objects.Removed {
				fmt.Fprintf(w, "    - %s\n", k)
			}
		}
	}
	flush()
	fmt.Fprintf(w, "\nfleet %s: %d to install, %d to upgrade, %d unchanged, %d to prune, %d errors\n", p.Fleet,
		p.Count(fleet.ActionInstall), p.Count(fleet.ActionUpgrade), p.Count(fleet.ActionUnchanged), p.Count(fleet.ActionPrune), len(p.Errors()))
}

// needsCellMax is how long the NEEDS cell of the plan's table may be.
const needsCellMax = 40

// needsCell lists a release's needs for the plan's table, cut to
// needsCellMax characters with "...", or "-" when it has none.
func needsCell(needs []string) string {
	if len(needs) == 0 {
		return "-"
	}
	s := strings.Join(needs, ",")
	if len(s) > needsCellMax {
		s = s[:needsCellMax-3] + "..."
	}
	return s
}

// printPlanDiffs prints, after the plan's table, the diff of each release
// the plan upgrades or installs, headed by the release's ID and action.
func printPlanDiffs(w io.Writer, p *fleet.Plan, opts diff.TextOptions) error {
	for _, c := range p.Changes {
		if c.Diff == nil || c.Err != nil {
			continue
		}
		head := fmt.Sprintf("%s %s (%s)", planDiffHeading, c.ID(), c.Action)
		if opts.Color {
			head = "\x1b[1m" + head + "\x1b[0m"
		}
		if _, err := fmt.Fprintf(w, "\n%s\n", head); err != nil {
			return err
		}
		o := opts
		if c.Action == fleet.ActionInstall {
			o.BeforeLabel = "not installed"
		}
		if err := diff.WriteText(w, c.Diff, o); err != nil {
			return err
		}
	}
	return nil
}

// planDiffHeading starts the line above each release's diff.
const planDiffHeading = "==> release"

// objectSummary counts a release's object changes: "+14", "~1 =13".
func objectSummary(c fleet.Change) string {
	if c.Err != nil || c.Action == fleet.ActionPrune {
		return "-"
	}
	oc := c.Objects
	var parts []string
	if n := len(oc.Added); n > 0 {
		parts = append(parts, fmt.Sprintf("+%d", n))
	}
	if n := len(oc.Changed); n > 0 {
		parts = append(parts, fmt.Sprintf("~%d", n))
	}
	if n := len(oc.Removed); n > 0 {
		parts = append(parts, fmt.Sprintf("-%d", n))
	}
	if oc.Unchanged > 0 {
		parts = append(parts, fmt.Sprintf("=%d", oc.Unchanged))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}
