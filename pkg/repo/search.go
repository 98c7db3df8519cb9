package repo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// ErrNoRepositories is returned by Cache.Search when repositories.yaml lists
// no repository.
var ErrNoRepositories = errors.New("no repositories configured")

// SearchOptions is a search of the configured repositories, with the
// meaning of "helm search repo"'s arguments and flags.
type SearchOptions struct {
	// Keyword is matched, ignoring case, as a substring of each chart's
	// name, "repo/name", description and keywords. Empty, every chart
	// matches.
	Keyword string
	// Regexp makes Keyword a regular expression (RE2 syntax), matched as
	// written, case included, as Helm does.
	Regexp bool
	// Versions lists every matching version, not only the newest.
	Versions bool
	// Version is a SemVer constraint the versions must satisfy. Empty, it
	// is ">0.0.0" (stable versions), or DevelConstraint with Devel.
	Version string
	// Devel admits pre-releases when Version is empty.
	Devel bool
}

// SearchHit is one chart version found.
type SearchHit struct {
	// Name is "repo/chart".
	Name string
	// Repo is the repository's name.
	Repo string
	// Score is where the keyword matched: 0 the chart's name, 1 its
	// "repo/name", 2 its description, 3 its keywords (lower is better).
	Score int
	// Chart is the version.
	Chart *ChartVersion
}

// SearchResults is what Cache.Search found, and the repositories it could not
// search.
type SearchResults struct {
	Hits []SearchHit
	// Warnings name the repositories whose cache is missing or damaged;
	// the others were searched.
	Warnings []error
}

// Search searches the cached indexes of the repositories of cfg as
// "helm search repo" does (see SearchOptions and SearchIndexes). A
// repository without a usable cache is skipped with a warning. It fails
// with ErrNoRepositories when cfg lists none.
func (c *Cache) Search(ctx context.Context, cfg *Config, opts SearchOptions) (*SearchResults, error) {
	if cfg == nil || len(cfg.Repositories) == 0 {
		return nil, fmt.Errorf("%w; add one with 'barge repo add NAME URL'", ErrNoRepositories)
	}
	res := &SearchResults{}
	var repos []NamedIndex
	for _, e := range cfg.Repositories {
		idx, err := c.Load(ctx, e.Name)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			res.Warnings = append(res.Warnings, fmt.Errorf("repository %q is corrupt or missing, not searched: %w", e.Name, err))
			continue
		}
		repos = append(repos, NamedIndex{Name: e.Name, Index: idx})
	}
	hits, err := SearchIndexes(repos, opts)
	if err != nil {
		return nil, err
	}
	res.Hits = hits
	return res, nil
}

// NamedIndex is a repository's index and its name.
type NamedIndex struct {
	Name  string
	Index *Index
}

// searchSep separates the fields of a chart's search line, as in Helm.
const searchSep = "\v"

// SearchIndexes searches indexes with Helm's rules: every version of every
// chart is matched against its line "name\vrepo/name\vdescription\vkeywords";
// hits are sorted by score, then name, then newest version first; then
// versions that do not satisfy the constraint are dropped and, unless
// Versions, each chart keeps its first hit only.
func SearchIndexes(indexes []NamedIndex, opts SearchOptions) ([]SearchHit, error) {
	constraint := opts.Version
	if constraint == "" {
		constraint = ">0.0.0"
		if opts.Devel {
			constraint = DevelConstraint
		}
	}
	con, err := semver.NewConstraint(constraint)
	if err != nil {
		return nil, fmt.Errorf("--version %q: an invalid version/constraint format: %v; give a version such as 1.2.3 or a range such as ^1.2", opts.Version, err)
	}
	var match func(line string) int // the match's byte offset, or -1
	switch {
	case opts.Keyword == "":
		match = func(string) int { return 0 }
	case opts.Regexp:
		re, err := regexp.Compile(opts.Keyword)
		if err != nil {
			return nil, fmt.Errorf("search %q: %v; fix the regular expression, or search without --regexp", opts.Keyword, err)
		}
		match = func(line string) int {
			loc := re.FindStringIndex(line)
			if loc == nil {
				return -1
			}
			return loc[0]
		}
	default:
		kw := strings.ToLower(opts.Keyword)
		match = func(line string) int { return strings.Index(strings.ToLower(line), kw) }
	}

	type hit struct {
		SearchHit
		v *semver.Version
	}
	var hits []hit
	for _, ni := range indexes {
		for key, cvs := range ni.Index.Entries {
			name := path.Join(ni.Name, key)
			for _, cv := range cvs {
				line := cv.Name + searchSep + ni.Name + "/" + cv.Name + searchSep + cv.Description + searchSep + strings.Join(cv.Keywords, " ")
				at := match(line)
				if at < 0 {
					continue
				}
				score := 0
				if opts.Keyword != "" {
					if !opts.Regexp {
						line = strings.ToLower(line)
					}
					score = strings.Count(line[:at], searchSep)
				}
				v, _ := semver.NewVersion(cv.Version)
				hits = append(hits, hit{SearchHit{Name: name, Repo: ni.Name, Score: score, Chart: cv}, v})
			}
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int {
		if c := cmp.Compare(a.Score, b.Score); c != 0 {
			return c
		}
		if a.Name != b.Name {
			return strings.Compare(a.Name, b.Name)
		}
		switch {
		case a.v == nil && b.v == nil:
			return strings.Compare(a.Chart.Version, b.Chart.Version)
		case a.v == nil:
			return 1
		case b.v == nil:
			return -1
		}
		if c := b.v.Compare(a.v); c != 0 {
			return c
		}
		return strings.Compare(a.Chart.Version, b.Chart.Version)
	})
	out := make([]SearchHit, 0, len(hits))
	seen := map[string]bool{}
	for _, h := range hits {
		if !opts.Versions && seen[h.Name] {
			continue
		}
		if h.v == nil || !con.Check(h.v) {
			continue
		}
		seen[h.Name] = true
		out = append(out, h.SearchHit)
	}
	return out, nil
}
