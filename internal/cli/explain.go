package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bargehq/barge/pkg/kube"
)

// explainErrors wraps the RunE of cmd and of every command under it so
// that their errors say what to do when the cause is one the user cannot
// guess from the API server's words: credentials refused (401) or RBAC
// denying the request (403), told apart from an unreachable server (see
// kube.ExplainAccess), and a release namespace that does not exist.
func explainErrors(cmd *cobra.Command, cfg *Config) {
	for _, c := range cmd.Commands() {
		explainErrors(c, cfg)
	}
	if run := cmd.RunE; run != nil {
		cmd.RunE = func(c *cobra.Command, args []string) error {
			return cfg.explain(c, run(c, args))
		}
	}
}

// explain returns err with its explanation; an *ExitError keeps its code.
func (c *Config) explain(cmd *cobra.Command, err error) error {
	var exit *ExitError
	if errors.As(err, &exit) {
		if exit.Err != nil {
			exit.Err = c.explain(cmd, exit.Err)
		}
		return err
	}
	if err == nil {
		return nil
	}
	host := "the cluster"
	if rc, rerr := c.Kube.RESTConfig(); rerr == nil {
		host = rc.Host
	}
	if ae := kube.ExplainAccess(err, host); ae != err {
		return ae
	}
	if ns, ok := kube.MissingNamespace(err); ok {
		hint := "create it first"
		if f := cmd.Flags().Lookup("create-namespace"); f != nil && f.Value.String() != "true" {
			hint = "create it first, or pass --create-namespace"
		}
		return fmt.Errorf("%w (namespace %q does not exist: %s)", err, ns, hint)
	}
	return err
}
