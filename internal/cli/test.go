package cli

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/bargehq/barge/pkg/release"
)

// testOptions are the flags of `barge test`.
type testOptions struct {
	timeout   time.Duration
	logs      bool
	hideNotes bool
	filter    []string
}

func newTestCmd(cfg *Config) *cobra.Command {
	o := &testOptions{}
	cmd := &cobra.Command{
		Use:   "test RELEASE_NAME",
		Short: "Run tests for a release",
		Long: `Test runs the test hooks (helm.sh/hook: test) of a release's last revision,
waits for each to complete, records their runs, and prints the release's
status with the test suite's results. It fails if a test fails.`,
		Example: `  barge test joomla1 --logs`,
		Args:    releaseArgs(cobra.ExactArgs(1), 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), cfg, args[0])
		},
	}
	f := cmd.Flags()
	f.DurationVar(&o.timeout, "timeout", release.DefaultTimeout, "time the whole command may take: connecting and running every test; when it runs out, barge stops and records the runs it saw")
	f.BoolVar(&o.logs, "logs", false, "dump the logs from test pods (this runs after all tests are complete, but before any cleanup)")
	f.StringSliceVar(&o.filter, "filter", []string{}, "specify tests by attribute (currently \"name\") using attribute=value syntax or '!attribute=value' to exclude a test (can specify multiple or separate values with commas: name=test1,name=test2)")
	f.BoolVar(&o.hideNotes, "hide-notes", false, "if set, do not show notes in test output. Does not affect presence in chart metadata")
	return cmd
}

func (o *testOptions) run(ctx context.Context, cfg *Config, name string) error {
	filter, err := release.ParseTestFilter(o.filter)
	if err != nil {
		return err
	}
	ctx, cancel := release.WithTimeout(ctx, o.timeout, false)
	defer cancel()
	ns := cfg.Namespace()
	cc, err := cfg.connect(ctx, ns, true)
	if err != nil {
		return err
	}
	eng, err := cc.engine(ctx, cfg, ns, "", nil)
	if err != nil {
		return err
	}
	var logs bytes.Buffer
	opts := release.TestOptions{Timeout: o.timeout, Filter: filter}
	if o.logs {
		opts.Logs = &logs
	}
	rls, runErr := eng.Test(ctx, name, opts)
	if rls == nil {
		return runErr
	}
	v := &releaseView{rls: rls, hideNotes: o.hideNotes}
	if err := v.WriteTable(cfg.Out); err != nil {
		return err
	}
	if o.logs {
		fmt.Fprintln(cfg.Out)
		if _, err := logs.WriteTo(cfg.Out); err != nil {
			return err
		}
	}
	return runErr
}
