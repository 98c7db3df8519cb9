package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newCompletionCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{
		Use:       "completion bash|zsh|fish|powershell",
		Short:     "Generate the autocompletion script for a shell",
		Long:      "Generate the autocompletion script for barge for the named shell, for example:\n\n  source <(barge completion bash)",
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(cfg.Out, true)
			case "zsh":
				return root.GenZshCompletion(cfg.Out)
			case "fish":
				return root.GenFishCompletion(cfg.Out, true)
			case "powershell":
				return root.GenPowerShellCompletionWithDesc(cfg.Out)
			default:
				return fmt.Errorf("completion: unknown shell %q, use bash, zsh, fish or powershell", args[0])
			}
		},
	}
	return cmd
}
