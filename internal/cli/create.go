package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bargehq/barge/charts"
)

func newCreateCmd(cfg *Config) *cobra.Command {
	return &cobra.Command{
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
			if _, err := charts.Create(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cfg.Out, "Creating %s\n", args[0])
			return nil
		},
	}
}
