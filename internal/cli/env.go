package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"
)

func newEnvCmd(cfg *Config) *cobra.Command {
	return &cobra.Command{
		Use:   "env",
		Short: "Print barge's settings in effect, under their BARGE_* and HELM_* names",
		Long: `Print barge's settings in effect, as environment variable assignments.

Each setting is read from $BARGE_<NAME> when it is set, else from Helm's
$HELM_<NAME>, so that an environment configured for Helm configures barge
too; the value printed is the one in effect, under both names (flags given on
the command line count too).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			k := cfg.Kube
			vals := map[string]string{
				"DEBUG":                        strconv.FormatBool(cfg.Debug),
				"KUBECONFIG":                   k.Kubeconfig,
				"KUBECONTEXT":                  k.Context,
				"NAMESPACE":                    cfg.Namespace(),
				"KUBEAPISERVER":                k.APIServer,
				"KUBETOKEN":                    k.Token,
				"KUBECAFILE":                   k.CAFile,
				"KUBEINSECURE_SKIP_TLS_VERIFY": strconv.FormatBool(k.Insecure),
				"QPS":                          strconv.FormatFloat(float64(k.QPS), 'f', -1, 32),
				"BURST_LIMIT":                  strconv.Itoa(k.Burst),
				"MAX_HISTORY":                  strconv.Itoa(cfg.maxHistory()),
			}
			for _, prefix := range []string{"BARGE_", "HELM_"} {
				for _, name := range settings {
					if prefix == "HELM_" && notHelms[name] {
						continue
					}
					fmt.Fprintf(cfg.Out, "%s%s=%q\n", prefix, name, vals[name])
				}
			}
			return nil
		},
	}
}
