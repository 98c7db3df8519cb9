package cli

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/bargehq/barge/charts"
	"github.com/bargehq/barge/pkg/plugin"
)

func newCreateCmd(cfg *Config) *cobra.Command {
	var starter string
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a new chart with the given name",
		Long: `Create a chart directory named NAME from barge's starter chart: a Deployment,
a Service, a ServiceAccount, an optional Ingress and HorizontalPodAutoscaler,
NOTES.txt, helpers and a test hook.

NAME is a path; its last element is the chart's name. The directory is created
if missing and must be empty if it exists.`,
		Example: `  barge create mychart
  barge create charts/mychart`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if starter != "" {
				if _, err := charts.CreateFrom(cmd.Context(), args[0], starterPath(cfg, starter)); err != nil {
					return fmt.Errorf("--starter %s: %w", starter, err)
				}
				fmt.Fprintf(cfg.Out, "Creating %s\n", args[0])
				return nil
			}
			if _, err := charts.Create(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cfg.Out, "Creating %s\n", args[0])
			return nil
		},
	}
	cmd.Flags().StringVarP(&starter, "starter", "p", "", "the name or absolute path to Helm starter scaffold (a name is looked up in $HELM_DATA_HOME/starters)")
	return cmd
}

// starterPath returns the directory of --starter: an absolute path as it
// is, else a chart in Helm's starters directory, as Helm finds it.
func starterPath(cfg *Config, starter string) string {
	if filepath.IsAbs(starter) {
		return starter
	}
	return filepath.Join(plugin.HomesFromEnv(cfg.Getenv).Data, "starters", starter)
}
