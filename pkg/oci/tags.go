package oci

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// DevelConstraint is the range --devel stands for when no version is given:
// any version, pre-releases included (as in package repo).
const DevelConstraint = ">0.0.0-0"

// Version is a chart version a registry holds under a tag.
type Version struct {
	// Version is the SemVer version the tag stands for ('_' read as '+').
	Version *semver.Version
	// Tag is the tag as the registry holds it.
	Tag string
}

// String returns the version as the chart spells it.
func (v Version) String() string { return v.Version.Original() }

// Tags returns every tag of the repository ref names (its tag and digest are
// ignored), in the registry's order. The list is fetched once per Client.
func (c *Client) Tags(ctx context.Context, ref string) ([]string, error) {
	r, err := ParseReference(ref)
	if err != nil {
		return nil, err
	}
	return c.tagList(ctx, ref, r.Repo())
}

func (c *Client) tagList(ctx context.Context, label string, r Reference) ([]string, error) {
	key := r.Name()
	c.mu.Lock()
	tags, ok := c.tags[key]
	c.mu.Unlock()
	if ok {
		return tags, nil
	}
	v, err := c.shared(ctx, "tags:"+key, func(ctx context.Context) (any, error) {
		var all []string
		err := c.repository(r).Tags(ctx, "", func(page []string) error {
			all = append(all, page...)
			return nil
		})
		if err != nil {
			return nil, classify(ctx, label, r.Registry, c.hasCredential(ctx, r.Registry), err)
		}
		c.mu.Lock()
		c.tags[key] = all
		c.mu.Unlock()
		return all, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]string), nil
}

// Versions returns the chart versions of the repository ref names, newest
// first: its tags that are strict SemVer versions once '_' is read as '+'
// (as Helm reads them; "latest" and "v1.2" are left out).
func (c *Client) Versions(ctx context.Context, ref string) ([]Version, error) {
	tags, err := c.Tags(ctx, ref)
	if err != nil {
		return nil, err
	}
	return versions(tags), nil
}

// versions returns the tags that are versions, newest first.
func versions(tags []string) []Version {
	var vs []Version
	for _, t := range tags {
		v, err := semver.StrictNewVersion(VersionOf(t))
		if err == nil {
			vs = append(vs, Version{Version: v, Tag: t})
		}
	}
	slices.SortStableFunc(vs, func(a, b Version) int { return b.Version.Compare(a.Version) })
	return vs
}

// ResolveVersion returns the version of the repository ref names that Helm
// would pick for constraint: a tag written exactly as constraint (or as its
// tag, '+' written '_') if there is one, else the newest version in the
// SemVer range constraint; with an empty constraint the newest stable
// version, or with devel the newest of all. Nothing matching is an *Error
// wrapping ErrNotFound that lists the newest versions.
func (c *Client) ResolveVersion(ctx context.Context, ref, constraint string, devel bool) (Version, error) {
	r, err := ParseReference(ref)
	if err != nil {
		return Version{}, err
	}
	tags, err := c.tagList(ctx, ref, r.Repo())
	if err != nil {
		return Version{}, err
	}
	return pickVersion(ref, tags, constraint, devel)
}

// pickVersion is ResolveVersion on the tags of ref.
func pickVersion(ref string, tags []string, constraint string, devel bool) (Version, error) {
	constraint = strings.TrimSpace(constraint)
	vs := versions(tags)
	if constraint != "" {
		for _, v := range vs {
			if v.Tag == constraint || v.Tag == TagOf(constraint) {
				return v, nil
			}
		}
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
		return Version{}, &Error{Ref: ref, Err: fmt.Errorf("version %q is neither a version nor a range: %v", constraint, err), Hint: "give a version such as 1.2.3 or a range such as ^1.2"}
	}
	for _, v := range vs {
		if con.Check(v.Version) {
			return v, nil
		}
	}
	if len(vs) == 0 {
		return Version{}, &Error{Ref: ref, Err: fmt.Errorf("%w: the repository has no tag that is a SemVer version (%d tags)", ErrNotFound, len(tags)), Hint: "check the reference, or push a chart with 'barge push'"}
	}
	newest := make([]string, 0, 5)
	for _, v := range vs[:min(5, len(vs))] {
		newest = append(newest, v.String())
	}
	switch {
	case constraint == "" && !devel:
		return Version{}, &Error{Ref: ref, Err: fmt.Errorf("%w: no stable version (newest: %s)", ErrNotFound, strings.Join(newest, ", ")), Hint: "pass --devel or --version to take a pre-release"}
	case constraint == "":
		return Version{}, &Error{Ref: ref, Err: fmt.Errorf("%w: no version", ErrNotFound)}
	}
	return Version{}, &Error{Ref: ref, Err: fmt.Errorf("%w: no version matches %q (newest: %s)", ErrNotFound, constraint, strings.Join(newest, ", "))}
}
