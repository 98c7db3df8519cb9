package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/bargehq/barge/pkg/fleet"
	"github.com/bargehq/barge/pkg/release"
)

// fleetDestroyOptions are the flags of `barge destroy`.
type fleetDestroyOptions struct {
	fleet    fleetFlags
	wait     release.WaitOptions
	takeOver bool
}

func newFleetDestroyCmd(cfg *Config) *cobra.Command {
	o := &fleetDestroyOptions{}
	cmd := &cobra.Command{
		Use:   "destroy -f FLEET",
		Short: "Uninstall every release a fleet owns",
		Long: `Uninstall every release the fleet of a fleet file owns (those labelled
barge.dev/fleet=<its name>), listed in the file or not; with -l, only those
whose labels match. Releases the fleet does not own are left alone, even if
the file names them. Records are deleted, as barge uninstall does.`,
		Example: `  barge destroy -f fleet.yaml
  barge destroy -f fleet.yaml -l barge.dev/tenant=acme`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cfg)
		},
	}
	f := cmd.Flags()
	o.fleet.Bind(f)
	(&waitFlags{opts: &o.wait, what: "destroy", perRelease: true}).Bind(f)
	bindTakeOver(f, &o.takeOver)
	return cmd
}

func (o *fleetDestroyOptions) run(ctx context.Context, cfg *Config) error {
	start := time.Now()
	s, err := o.fleet.open(ctx, cfg, o.wait)
	if err != nil {
		return err
	}
	disp := newFleetProgress(cfg.ErrOut, 0)
	disp.run()
	rep, err := s.clusters.Destroy(ctx, s.file.Metadata.Name, s.releases, fleet.PlanOptions{Selector: s.selector},
		fleet.ApplyOptions{WaitOptions: o.wait, TakeOver: o.takeOver, Concurrency: o.fleet.concurrency, Events: disp.event, Total: disp.setTotal})
	disp.finish()
	if len(rep.Results) == 0 && err == nil {
		fmt.Fprintf(cfg.Out, "fleet %s owns no release: nothing to destroy\n", s.file.Metadata.Name)
		return nil
	}
	if len(rep.Results) > 0 {
		printReport(cfg.Out, rep, time.Since(start))
	}
	if err != nil {
		// A cluster whose releases could not be listed: the others were
		// destroyed regardless.
		return &ExitError{Code: 1, Err: fmt.Errorf("fleet %s: %w", s.file.Metadata.Name, err)}
	}
	return reportError(ctx, rep)
}
