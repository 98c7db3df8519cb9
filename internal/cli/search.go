package cli

import (
	"errors"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bargehq/barge/pkg/repo"
)

func newSearchCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "search [keyword]",
		Short: "Search for a keyword in charts",
		Long: `Search for charts in the repositories you have added ('barge search repo').

Artifact Hub is not searched by barge: search it at https://artifacthub.io.`,
	}
	cmd.AddCommand(newSearchRepoCmd(cfg))
	cmd.AddCommand(&cobra.Command{
		Use:    "hub [KEYWORD]",
		Short:  "Search the Artifact Hub (not supported)",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("search hub: barge does not search the Artifact Hub; search it at https://artifacthub.io, or search the repositories you added with 'barge search repo'")
		},
	})
	return cmd
}

// searchRepoOptions are the flags of `barge search repo`.
type searchRepoOptions struct {
	search         repo.SearchOptions
	maxColWidth    uint
	failOnNoResult bool
	output         outputFlags
}

func newSearchRepoCmd(cfg *Config) *cobra.Command {
	o := &searchRepoOptions{}
	cmd := &cobra.Command{
		Use:   "repo [keyword]",
		Short: "Search repositories for a keyword in charts",
		Long: `Search the repositories you have added for charts whose name, description or
keywords contain the keyword (ignoring case), or match it as a regular
expression with --regexp. Without a keyword, every chart is listed.

The search reads the indexes cached by 'barge repo add' and 'barge repo update'
(or by Helm's commands: they share the cache).

It lists the newest stable version of each chart found. --devel includes
pre-release versions; --version limits the versions to a SemVer constraint;
--versions lists every matching version.`,
		Example: `  # Search for stable release versions matching the keyword "nginx"
  barge search repo nginx

  # Search for release versions matching the keyword "nginx", including pre-release versions
  barge search repo nginx --devel

  # Search for the latest stable release for nginx-ingress with a major version of 1
  barge search repo nginx-ingress --version ^1.0.0`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.search.Keyword = strings.Join(args, " ")
			return o.run(cmd, cfg)
		},
	}
	f := cmd.Flags()
	s := &o.search
	f.BoolVarP(&s.Regexp, "regexp", "r", false, "use regular expressions for searching repositories you have added")
	f.BoolVarP(&s.Versions, "versions", "l", false, "show the long listing, with each version of each chart on its own line, for repositories you have added")
	f.BoolVar(&s.Devel, "devel", false, "use development versions (alpha, beta, and release candidate releases), too. Equivalent to version '>0.0.0-0'. If --version is set, this is ignored")
	f.StringVar(&s.Version, "version", "", "search using semantic versioning constraints on repositories you have added")
	f.UintVar(&o.maxColWidth, "max-col-width", 50, "maximum column width for output table")
	f.BoolVar(&o.failOnNoResult, "fail-on-no-result", false, "search fails if no results are found")
	o.output.Bind(f)
	return cmd
}

func (o *searchRepoOptions) run(cmd *cobra.Command, cfg *Config) error {
	paths := cfg.repoPaths()
	c, err := repo.LoadConfig(paths.Config)
	if err != nil {
		return err
	}
	cache := &repo.Cache{Paths: paths, Logger: cfg.Logger()}
	res, err := cache.Search(cmd.Context(), c, o.search)
	if err != nil {
		return err
	}
	for _, w := range res.Warnings {
		cfg.warn(w.Error())
	}
	if len(res.Hits) == 0 && o.failOnNoResult {
		return errors.New("no results found")
	}
	return o.output.format.write(cfg.Out, &searchResults{hits: res.Hits, maxWidth: int(min(o.maxColWidth, 1<<20))})
}

// searchResults prints the charts found as `helm search repo` does.
type searchResults struct {
	hits     []repo.SearchHit
	maxWidth int
}

// searchResult is a chart version in `search repo -o json|yaml`.
type searchResult struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	AppVersion  string `json:"app_version"`
	Description string `json:"description"`
}

func (s *searchResults) items() []searchResult {
	items := make([]searchResult, 0, len(s.hits))
	for _, h := range s.hits {
		items = append(items, searchResult{h.Name, h.Chart.Version, h.Chart.AppVersion, h.Chart.Description})
	}
	return items
}

func (s *searchResults) WriteTable(w io.Writer) error {
	if len(s.hits) == 0 {
		_, err := io.WriteString(w, "No results found\n")
		return err
	}
	t := &repoTable{maxWidth: s.maxWidth}
	t.row("NAME", "CHART VERSION", "APP VERSION", "DESCRIPTION")
	for _, it := range s.items() {
		t.row(it.Name, it.Version, it.AppVersion, it.Description)
	}
	return t.write(w)
}

func (s *searchResults) WriteJSON(w io.Writer) error { return encodeJSON(w, s.items()) }

func (s *searchResults) WriteYAML(w io.Writer) error { return encodeYAML(w, s.items()) }
