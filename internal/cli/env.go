package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"
)

func newEnvCmd(cfg *Config) *cobra.Command {
	return &cobra.Command{
		Use:   "env",
		Short: "Print barge's environment: the BARGE_* variables and their values in effect",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			k := cfg.Kube
			vals := map[string]string{
				"BARGE_DEBUG":                        strconv.FormatBool(cfg.Debug),
				"BARGE_KUBECONFIG":                   k.Kubeconfig,
				"BARGE_KUBECONTEXT":                  k.Context,
				"BARGE_NAMESPACE":                    cfg.Namespace(),
				"BARGE_KUBEAPISERVER":                k.APIServer,
				"BARGE_KUBETOKEN":                    k.Token,
				"BARGE_KUBECAFILE":                   k.CAFile,
				"BARGE_KUBEINSECURE_SKIP_TLS_VERIFY": strconv.FormatBool(k.Insecure),
				"BARGE_QPS":                          strconv.FormatFloat(float64(k.QPS), 'f', -1, 32),
				"BARGE_BURST_LIMIT":                  strconv.Itoa(k.Burst),
			}
			for _, name := range envVars {
				fmt.Fprintf(cfg.Out, "%s=%q\n", name, vals[name])
			}
			return nil
		},
	}
}
