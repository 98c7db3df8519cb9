package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bargehq/barge/pkg/fleet"
	"github.com/bargehq/barge/pkg/release"
)

// fleetPlanOptions are the flags of `barge plan`.
type fleetPlanOptions struct {
	fleet   fleetFlags
	prune   bool
	objects bool
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
counted (--objects lists them). Nothing is changed.`,
		Example: `  barge plan -f fleet.yaml
  barge plan -f fleet.yaml --prune --objects`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cfg)
		},
	}
	f := cmd.Flags()
	o.fleet.Bind(f)
	f.BoolVar(&o.prune, "prune", false, "also plan to uninstall the releases this fleet owns that the file no longer lists")
	f.BoolVar(&o.objects, "objects", false, "list the objects added, changed and removed under each release")
	return cmd
}

func (o *fleetPlanOptions) run(ctx context.Context, cfg *Config) error {
	s, err := o.fleet.open(ctx, cfg, release.WaitOptions{})
	if err != nil {
		return err
	}
	plan, err := s.runner.Plan(ctx, s.file.Metadata.Name, s.releases, fleet.PlanOptions{
		Selector: s.selector, Prune: o.prune, Concurrency: o.fleet.concurrency, Objects: true,
	})
	if err != nil {
		return err
	}
	printPlanObjects(cfg.Out, plan, o.objects)
	return planErrors(plan)
}

// printPlan prints a plan, one line per release.
func printPlan(w io.Writer, p *fleet.Plan) { printPlanObjects(w, p, false) }

func printPlanObjects(w io.Writer, p *fleet.Plan, objects bool) {
	t := &table{sep: "  "}
	t.row("NAMESPACE", "RELEASE", "ACTION", "OBJECTS", "WHY")
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
		t.row(c.Namespace, c.Name, action, objectSummary(c), why)
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
