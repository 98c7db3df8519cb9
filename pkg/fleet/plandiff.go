package fleet

import (
	"fmt"

	"github.com/bargehq/barge/pkg/release"
)

// diffOptions returns the options of the plan's diffs, or nil when it
// asks for none.
func (o PlanOptions) diffOptions() *release.DiffOptions {
	if !o.Diff {
		return nil
	}
	return &release.DiffOptions{ShowSecrets: o.ShowSecrets}
}

// planDiff sets c.Diff, when in asks for diffs, to how the objects change
// from the manifest of current, the revision an upgrade replaces (its last
// deployed one), to that of desired, rendered and post-rendered as the
// upgrade would store it. They are compared as rendered, without reading
// the cluster, as release.DiffManifests does: Secrets' values are masked
// unless asked for, and hooks are not compared. For an install current is
// nil, and every object is a creation. An upgrade found to change nothing
// (c has no reasons) gets no diff; neither does one whose last revision
// is still pending (planRecord does not render it).
func (in planInput) planDiff(c *Change, current, desired *release.Release) error {
	if in.diff == nil || (current != nil && len(c.Reasons) == 0) {
		return nil
	}
	cs, err := release.DiffManifests(current, desired, *in.diff)
	if err != nil {
		return fmt.Errorf("diff of release %s: %w", in.rel.Key(), err)
	}
	c.Diff = cs
	return nil
}
