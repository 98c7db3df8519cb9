package repo

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/bargehq/barge/pkg/repo/getter"
)

// ErrChartNotFound is wrapped by the errors of a lookup for a chart the index
// does not list.
var ErrChartNotFound = errors.New("chart not found")

// ErrVersionNotFound is wrapped by the errors of a lookup for a version, or a
// range of versions, the index does not list.
var ErrVersionNotFound = errors.New("chart version not found")

// DevelConstraint is the constraint --devel stands for when no version is
// given: any version, pre-releases included.
const DevelConstraint = ">0.0.0-0"

// NotFoundError is a lookup that found nothing. Its message says what was
// asked, where, what the index has instead, and what to do.
type NotFoundError struct {
	// Repo names the repository: `stable` or a URL.
	Repo string
	// URLRepo reports that Repo is a URL given with --repo, not a configured
	// repository's name.
	URLRepo bool
	// Chart is the chart asked for.
	Chart string
	// Constraint is the version or range asked for, "" for the latest.
	Constraint string
	// Devel reports that pre-releases were asked for.
	Devel bool
	// Versions are the newest versions of the chart, if it is listed.
	Versions []string
	// Similar are names of listed charts close to Chart, if it is not.
	Similar []string
}

// Error returns the message: what was asked, where, what there is instead,
// and what to do.
func (e *NotFoundError) Error() string {
	var b strings.Builder
	where := e.Repo + " index"
	if e.URLRepo {
		where = e.Repo + " repository"
	}
	update := "barge repo update"
	if !e.URLRepo {
		update += " " + e.Repo
	}
	if len(e.Versions) == 0 {
		fmt.Fprintf(&b, "chart %q not found in %s", e.Chart, where)
		if len(e.Similar) > 0 {
			fmt.Fprintf(&b, " (similar: %s)", strings.Join(e.Similar, ", "))
		}
		if !e.URLRepo {
			fmt.Fprintf(&b, "; check the name, or run '%s' if it was published since", update)
		}
		return b.String()
	}
	switch {
	case e.Constraint == "" && !e.Devel:
		fmt.Fprintf(&b, "chart %q has no stable version in %s (newest: %s); pass --devel or --version to take a pre-release", e.Chart, where, strings.Join(e.Versions, ", "))
		return b.String()
	case e.Constraint == "":
		fmt.Fprintf(&b, "chart %q has no version in %s", e.Chart, where)
	default:
		fmt.Fprintf(&b, "chart %q version %q not found in %s (newest: %s)", e.Chart, e.Constraint, where, strings.Join(e.Versions, ", "))
	}
	if !e.URLRepo {
		fmt.Fprintf(&b, "; run '%s' if it was published since", update)
	}
	return b.String()
}

// Unwrap returns ErrChartNotFound or ErrVersionNotFound.
func (e *NotFoundError) Unwrap() error {
	if len(e.Versions) == 0 {
		return ErrChartNotFound
	}
	return ErrVersionNotFound
}

// Lookup finds the version of the chart called name that Helm would pick:
//
//   - with an empty constraint, the newest stable version (no pre-release),
//     or with devel the newest version of all (">0.0.0-0");
//   - otherwise a version written exactly as constraint if there is one, or
//     the newest version satisfying the SemVer constraint constraint (a
//     constraint naming a pre-release admits pre-releases; devel is then
//     ignored, as in Helm).
//
// It fails with a *NotFoundError when nothing matches, and with an error
// naming the constraint when it does not parse.
func (i *Index) Lookup(name, constraint string, devel bool) (*ChartVersion, error) {
	vs := i.Entries[name]
	if len(vs) == 0 {
		return nil, &NotFoundError{Repo: i.label(), Chart: name, Constraint: constraint, Devel: devel, Similar: i.similar(name)}
	}
	c := constraint
	if c == "" {
		c = "*"
		if devel {
			c = DevelConstraint
		}
	}
	con, err := semver.NewConstraint(c)
	if err != nil {
		return nil, fmt.Errorf("chart %q: version %q is neither a version nor a range: %v; give a version such as 1.2.3 or a range such as ^1.2", name, constraint, err)
	}
	if constraint != "" {
		for _, cv := range vs {
			if cv.Version == constraint {
				return cv, nil
			}
		}
	}
	for _, cv := range vs {
		v, err := semver.NewVersion(cv.Version)
		if err != nil {
			continue
		}
		if con.Check(v) {
			return cv, nil
		}
	}
	newest := make([]string, 0, 5)
	for _, cv := range vs[:min(5, len(vs))] {
		newest = append(newest, cv.Version)
	}
	return nil, &NotFoundError{Repo: i.label(), Chart: name, Constraint: constraint, Devel: devel, Versions: newest}
}

func (i *Index) label() string {
	if i.Repo != "" {
		return i.Repo
	}
	return i.Source
}

// similar returns up to three chart names that contain name or are contained
// in it, ignoring case.
func (i *Index) similar(name string) []string {
	ln := strings.ToLower(name)
	if ln == "" {
		return nil
	}
	var out []string
	for n := range i.Entries {
		l := strings.ToLower(n)
		if strings.Contains(l, ln) || strings.Contains(ln, l) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out[:min(3, len(out))]
}

// ChartURL returns the absolute URL of the version's archive (its first
// URL), resolved against the repository URL repoURL as Helm resolves it.
func (cv *ChartVersion) ChartURL(repoURL string) (string, error) {
	if len(cv.URLs) == 0 {
		return "", fmt.Errorf("chart %q version %q has no downloadable URLs", cv.Name, cv.Version)
	}
	return getter.ResolveURL(repoURL, cv.URLs[0])
}
