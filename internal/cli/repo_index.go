package cli

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/bargehq/barge/pkg/repo"
)

func newRepoIndexCmd(cfg *Config) *cobra.Command {
	var opts repo.IndexOptions
	cmd := &cobra.Command{
		Use:   "index DIR",
		Short: "Generate an index file given a directory containing packaged charts",
		Long: `Read DIR, generate an index of the chart archives (.tgz) found there and in
its direct subdirectories, and write it to DIR/index.yaml.

This makes DIR a chart repository that any web server can serve. To list the
charts with absolute URLs, use --url.

To merge the generated index with an existing index file, use --merge: the
charts found in DIR are merged into the index given, the charts of DIR
winning over the index's. A version whose archive is unchanged keeps its
created time (Helm stamps it anew), so indexing twice writes the same file.

A file ending in .tgz that is not a chart archive is left out, with a warning.`,
		Example: `  barge repo index ./charts --url https://charts.example.com
  barge repo index ./new --url https://charts.example.com --merge ./published/index.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := filepath.Abs(args[0])
			if err != nil {
				return fmt.Errorf("repo index %s: %w", args[0], err)
			}
			idx, err := repo.GenerateIndex(cmd.Context(), dir, opts)
			if err != nil {
				return err
			}
			for _, s := range idx.Skipped {
				cfg.warn(s.Error())
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.URL, "url", "", "url of chart repository")
	f.StringVar(&opts.Merge, "merge", "", "merge the generated index into the given index")
	f.BoolVar(&opts.JSON, "json", false, "output in JSON format")
	return cmd
}
