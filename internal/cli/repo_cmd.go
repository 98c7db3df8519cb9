package cli

import (
	"errors"
	"io"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/bargehq/barge/pkg/repo"
	"github.com/bargehq/barge/pkg/repo/getter"
)

func newRepoCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "repo add|remove|list|index|update [ARGS]",
		Short: "Add, list, remove, update and index chart repositories",
		Long: `Add, list, remove, update and index chart repositories.

barge shares Helm's repositories: the file of repositories (repositories.yaml)
and the cache of their indexes are Helm's own (see --repository-config and
--repository-cache), so a repository added by one is known to the other.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(
		newRepoAddCmd(cfg),
		newRepoListCmd(cfg),
		newRepoRemoveCmd(cfg),
		newRepoIndexCmd(cfg),
		newRepoUpdateCmd(cfg),
	)
	return cmd
}

func newRepoListCmd(cfg *Config) *cobra.Command {
	var output outputFlags
	var noHeaders bool
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List chart repositories",
		Long: `List the configured chart repositories: their names and URLs.

A password or token in a URL is masked.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			c, err := repo.LoadConfig(cfg.repoPaths().Config)
			if err != nil {
				return err
			}
			if len(c.Repositories) == 0 && output.format == outputTable {
				return errors.New("no repositories to show")
			}
			if noHeaders {
				return output.format.write(cfg.Out, repoListNoHeaders(c.Repositories))
			}
			return output.format.write(cfg.Out, repoList(c.Repositories))
		},
	}
	output.Bind(cmd.Flags())
	cmd.Flags().BoolVar(&noHeaders, "no-headers", false, "suppress headers in the output")
	return cmd
}

// repoList prints the configured repositories as `helm repo list` does.
type repoList []*repo.Entry

// repoListItem is a repository in `repo list -o json|yaml`.
type repoListItem struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

func (l repoList) items() []repoListItem {
	items := make([]repoListItem, 0, len(l))
	for _, e := range l {
		items = append(items, repoListItem{Name: e.Name, URL: shownURL(e.URL)})
	}
	return items
}

func (l repoList) WriteTable(w io.Writer) error {
	t := &repoTable{}
	t.row("NAME", "URL")
	for _, it := range l.items() {
		t.row(it.Name, it.URL)
	}
	return t.write(w)
}

func (l repoList) WriteJSON(w io.Writer) error { return encodeJSON(w, l.items()) }

// repoListNoHeaders is repoList without the table's header (--no-headers).
type repoListNoHeaders repoList

func (l repoListNoHeaders) WriteTable(w io.Writer) error {
	t := &repoTable{}
	for _, it := range repoList(l).items() {
		t.row(it.Name, it.URL)
	}
	return t.write(w)
}

func (l repoListNoHeaders) WriteJSON(w io.Writer) error { return repoList(l).WriteJSON(w) }

func (l repoListNoHeaders) WriteYAML(w io.Writer) error { return repoList(l).WriteYAML(w) }

func (l repoList) WriteYAML(w io.Writer) error { return encodeYAML(w, l.items()) }

// repoNames completes the names of the configured repositories not already
// in args.
func repoNames(cfg *Config) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		c, err := repo.LoadConfig(cfg.repoPaths().Config)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		given := map[string]bool{}
		for _, a := range args {
			given[a] = true
		}
		var names []string
		for _, e := range c.Repositories {
			if !given[e.Name] {
				names = append(names, e.Name+"\t"+shownURL(e.URL))
			}
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}

// shownURL is a repository URL as barge prints it: as written, unless it
// holds a password or a query (a token, a signature), which are masked.
func shownURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.RawQuery != "" || u.User != nil {
		return getter.Redact(raw)
	}
	return raw
}
