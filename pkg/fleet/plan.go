package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	helmchart "helm.sh/helm/v3/pkg/chart"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/bargehq/barge/pkg/chart/render"
	"github.com/bargehq/barge/pkg/diff"
	"github.com/bargehq/barge/pkg/release"
	"github.com/bargehq/barge/pkg/release/storage"
)

// Action is what a plan does to one release.
type Action string

// The actions.
const (
	// ActionInstall installs a release that has no record (or whose last
	// revision is uninstalled).
	ActionInstall Action = "install"
	// ActionUpgrade upgrades a release whose chart, values, manifest or
	// labels differ from its last deployed revision, or whose last
	// revision is not deployed.
	ActionUpgrade Action = "upgrade"
	// ActionUnchanged leaves alone a release already in its desired state;
	// nothing is written for it.
	ActionUnchanged Action = "unchanged"
	// ActionPrune uninstalls a release the fleet owns but no longer lists
	// (with PlanOptions.Prune), or any release it owns (Destroy).
	ActionPrune Action = "prune"
)

// Change is the planned action on one release.
type Change struct {
	// Name and Namespace identify the release on its cluster.
	Name, Namespace string
	// Cluster names the cluster of the fleet file the release is on (""
	// when the file lists no clusters).
	Cluster string
	// Needs are the IDs of the releases that must be deployed before this
	// one starts (Release.Needs).
	Needs []string
	// Action is what the plan does.
	Action Action
	// Release is the desired release; nil for ActionPrune.
	Release *Release
	// Reasons say why an upgrade is needed: "values", "chart joomla
	// 1.0.0 -> 1.1.0", "manifest", "labels", "last revision failed".
	Reasons []string
	// Objects summarises how the release's objects change.
	Objects ObjectChanges
	// Diff is, with PlanOptions.Diff, how the objects change field by
	// field (see planDiff); nil otherwise.
	Diff *diff.ChangeSet
	// Revision is the release's last revision (0 when it has none).
	Revision int
	// Err is why the release could not be planned; such a release is
	// reported failed and left alone.
	Err error

	replace bool // install over an uninstalled release
}

// ID identifies the change's release in the fleet, as Release.ID does.
func (c *Change) ID() string { return releaseID(c.Cluster, c.Namespace, c.Name) }

// ObjectChanges counts how a release's objects change.
type ObjectChanges struct {
	// Added, Changed and Removed list objects as Kind/name.
	Added, Changed, Removed []string
	// Unchanged counts the objects left as they are.
	Unchanged int
}

// Plan is the computed change of a fleet, before anything is done.
type Plan struct {
	// Fleet is the fleet's name.
	Fleet string
	// Changes are one per release, in the file's order, then the prunes.
	Changes []Change
}

// Count returns how many changes have action a and no error.
func (p *Plan) Count(a Action) int {
	n := 0
	for _, c := range p.Changes {
		if c.Action == a && c.Err == nil {
			n++
		}
	}
	return n
}

// Errors returns the changes that could not be planned.
func (p *Plan) Errors() []Change {
	var out []Change
	for _, c := range p.Changes {
		if c.Err != nil {
			out = append(out, c)
		}
	}
	return out
}

// PlanOptions tune Plan.
type PlanOptions struct {
	// Selector keeps the releases whose labels it matches; nil keeps all.
	Selector labels.Selector
	// Prune also plans to uninstall the releases the fleet owns (labelled
	// FleetLabel=fleet) that the file no longer lists.
	Prune bool
	// Objects renders installs too, to list their objects; without it,
	// installs are rendered only when executed.
	Objects bool
	// Concurrency bounds the releases planned at once; zero means
	// DefaultConcurrency.
	Concurrency int
	// Diff sets Change.Diff on the upgrades and installs.
	Diff bool
	// ShowSecrets shows the values of Secrets in Change.Diff; they are
	// masked by default, as in release.DiffOptions.
	ShowSecrets bool
}

// Plan compares each desired release with its records and decides its
// action. It reads the store and renders, and changes nothing. A release
// that cannot be planned (its chart does not load or render, its record
// cannot be read) has Err set; the others are planned regardless.
func (r *Runner) Plan(ctx context.Context, fleet string, rels []*Release, opts PlanOptions) (*Plan, error) {
	sel := selected(rels, opts.Selector)
	p := &Plan{Fleet: fleet, Changes: make([]Change, len(sel))}
	lk := r.planLookup()
	var idx *recordIndex
	var err error
	var wg sync.WaitGroup
	wg.Go(func() { idx, err = r.records(ctx, fleet) })
	if len(sel) > 0 {
		wg.Go(func() { r.warm(ctx, sel[0], lk) })
	}
	wg.Wait()
	if err != nil {
		return nil, err
	}
	// First, decide from the records' metadata the releases whose digest
	// says they are unchanged; then plan the others in full, reading their
	// records. Deployed records without a trusted digest are read whatever
	// the renders give: when there are many, they are listed meanwhile.
	var listing sync.WaitGroup
	var listErr error
	listed := idx != nil && idx.deployedHeads(sel, true) > fetchListMin
	if listed {
		listing.Go(func() { listErr = r.listDeployed(ctx, idx, fleet) })
	}
	outcomes := make([]quickOutcome, len(sel))
	forEach(ctx, len(sel), opts.Concurrency, func(i int) {
		p.Changes[i], outcomes[i] = r.planQuick(ctx, sel[i], idx, lk, opts.Objects)
	})
	listing.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("fleet %s: plan interrupted: %w", fleet, err)
	}
	if listErr != nil {
		return nil, listErr
	}
	var rest []*Release
	var restIdx []int
	for i, o := range outcomes {
		if o != quickDecided {
			rest, restIdx = append(rest, sel[i]), append(restIdx, i)
		}
	}
	if !listed && idx != nil && idx.deployedHeads(rest, false) > fetchListMin {
		if err := r.listDeployed(ctx, idx, fleet); err != nil {
			return nil, err
		}
	}
	forEach(ctx, len(rest), opts.Concurrency, func(j int) {
		i := restIdx[j]
		p.Changes[i] = r.planOne(ctx, sel[i], idx, lk, opts.Objects, outcomes[i] == quickDiffers, opts.diffOptions())
	})
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("fleet %s: plan interrupted: %w", fleet, err)
	}
	if opts.Prune {
		prunes, err := r.owned(ctx, fleet, opts.Selector, rels)
		if err != nil {
			return nil, err
		}
		p.Changes = append(p.Changes, prunes...)
	}
	return p, nil
}

// selected returns the releases of rels whose labels selector matches,
// all of them when it is nil.
func selected(rels []*Release, selector labels.Selector) []*Release {
	if selector == nil {
		return rels
	}
	var out []*Release
	for _, r := range rels {
		if selector.Matches(labels.Set(r.Labels)) {
			out = append(out, r)
		}
	}
	return out
}

// owned lists the releases the fleet owns that are not in keep, as prunes.
func (r *Runner) owned(ctx context.Context, fleet string, selector labels.Selector, keep []*Release) ([]Change, error) {
	sel := labels.SelectorFromSet(labels.Set{FleetLabel: fleet})
	sums, err := r.store("").List(ctx, storage.ListOptions{Selector: sel})
	if err != nil {
		return nil, fmt.Errorf("fleet %s: list the releases it owns: %w", fleet, err)
	}
	want := map[string]bool{}
	for _, k := range keep {
		want[k.Key()] = true
	}
	var out []Change
	for _, s := range sums {
		if want[s.Namespace+"/"+s.Name] || s.Status == release.StatusUninstalled {
			continue
		}
		if selector != nil && !selector.Matches(labels.Set(s.Labels)) {
			continue
		}
		out = append(out, Change{Name: s.Name, Namespace: s.Namespace, Action: ActionPrune, Revision: s.Revision,
			Reasons: []string{"owned by fleet " + fleet + " but no longer in its file"}})
	}
	return out, nil
}

// warm loads rel's chart, parses it and renders rel once, discarding the
// result, while the records are listed: the plan's renders then find the
// chart parsed and the objects its lookups ask for listed (lk lists a
// kind at its first lookup). Errors are left for the plan to meet.
func (r *Runner) warm(ctx context.Context, rel *Release, lk render.Lookuper) {
	ch, err := r.chart(ctx, rel)
	if err != nil {
		return
	}
	_, _ = r.renderUpgrade(ctx, rel, ch, 2, lk)
}

// renderUpgrade renders rel with chart ch as the given revision of an
// upgrade would.
func (r *Runner) renderUpgrade(ctx context.Context, rel *Release, ch *helmchart.Chart, revision int, lk render.Lookuper) (*render.Result, error) {
	rd, err := r.renderer(ch)
	if err != nil {
		return nil, err
	}
	res, err := rd.Render(ctx, render.Options{
		ReleaseName: rel.Name, Namespace: rel.Namespace, Revision: revision, IsUpgrade: true,
		Values: rel.Values, Capabilities: r.cfg.Capabilities, Lookup: lk,
	})
	if err != nil {
		return nil, err
	}
	// The stored manifest is the post-rendered one.
	pr, err := r.postRenderer(rel)
	if err != nil {
		return nil, err
	}
	if err := release.ApplyPostRender(ctx, rel.Name, res, pr); err != nil {
		return nil, err
	}
	return res, nil
}

// quickOutcome is what planQuick could tell of a release.
type quickOutcome int

const (
	// quickUnknown: the metadata did not decide; plan it in full.
	quickUnknown quickOutcome = iota
	// quickDecided: the Change is final (unchanged, or failed).
	quickDecided
	// quickDiffers: the release's trusted digest differs from the desired
	// one's; plan it in full, knowing that it changed.
	quickDiffers
)

// planQuick decides, without reading its record, that a release is
// unchanged: its latest revision is deployed, carries every label the
// release asks for, and its trusted content digest (storage.ContentDigest)
// is that of the desired release, rendered now: the same chart name and
// version, values, manifest and hooks. Rendering still decides the desired
// manifest, since a chart's lookups can make it depend on the cluster.
func (r *Runner) planQuick(ctx context.Context, rel *Release, idx *recordIndex, lk render.Lookuper, objects bool) (Change, quickOutcome) {
	c := Change{Name: rel.Name, Namespace: rel.Namespace, Release: rel}
	ch, err := r.chart(ctx, rel)
	if err != nil {
		c.Err = err
		return c, quickDecided
	}
	head, ok, err := r.head(ctx, idx, rel)
	if err != nil || !ok || head.Status != release.StatusDeployed || head.Digest == "" {
		// Errors are met again, and reported, when planning in full.
		return c, quickUnknown
	}
	for k, v := range rel.Labels {
		if head.Labels[k] != v {
			return c, quickUnknown
		}
	}
	res, err := r.renderUpgrade(ctx, rel, ch, head.Revision+1, lk)
	if err != nil {
		return c, quickUnknown
	}
	desired := &release.Release{Name: rel.Name, Chart: ch, Config: rel.Values, Manifest: res.Manifest}
	for _, h := range res.Hooks {
		desired.Hooks = append(desired.Hooks, &release.Hook{Name: h.Name, Manifest: h.Content})
	}
	d, err := storage.ContentDigest(desired)
	if err != nil {
		return c, quickUnknown
	}
	if d != head.Digest {
		return c, quickDiffers
	}
	c.Action, c.Revision = ActionUnchanged, head.Revision
	if objects {
		c.Objects = compareManifests(res.Manifest, res.Manifest)
	}
	return c, quickDecided
}

// planOne plans one release in full, from its record. differs says that
// planQuick found the release changed: it is not rendered once more to
// find out. dopts, when not nil, asks for Change.Diff.
func (r *Runner) planOne(ctx context.Context, rel *Release, idx *recordIndex, lk render.Lookuper, objects, differs bool, dopts *release.DiffOptions) Change {
	ch, err := r.chart(ctx, rel)
	if err != nil {
		return Change{Name: rel.Name, Namespace: rel.Namespace, Release: rel, Err: err}
	}
	eng, err := r.engine(rel.Namespace, nil)
	if err != nil {
		return Change{Name: rel.Name, Namespace: rel.Namespace, Release: rel, Err: err}
	}
	last, err := r.last(ctx, idx, rel)
	return r.planRecord(ctx, planInput{rel: rel, chart: ch, engine: eng, last: last, lastErr: err, diff: dopts}, lk, objects, differs)
}

// planInput is what planning one release in full starts from: the desired
// release, its chart, an engine over its records, and its last record as
// the store's Last returned it.
type planInput struct {
	rel     *Release
	chart   *helmchart.Chart
	engine  *release.Engine
	last    *release.Release
	lastErr error
	diff    *release.DiffOptions // asks for Change.Diff when not nil
}

// planRecord plans in.rel from its last record, deciding what to do as
// release.NextOperation does: it reads no record, and renders only through
// in.engine and the Runner's renderers. lk serves the renders' lookups;
// objects and differs are planOne's.
func (r *Runner) planRecord(ctx context.Context, in planInput, lk render.Lookuper, objects, differs bool) Change {
	rel, ch, eng, last := in.rel, in.chart, in.engine, in.last
	c := Change{Name: rel.Name, Namespace: rel.Namespace, Release: rel}
	fail := func(err error) Change {
		c.Err = err
		return c
	}
	next, err := release.NextOperation(last, in.lastErr)
	if err != nil {
		return fail(fmt.Errorf("%s: read the records of release %s: %w", rel.Source, rel.Key(), err))
	}
	pr, err := r.postRenderer(rel)
	if err != nil {
		return fail(err)
	}
	post := release.PostRenderOptions{PostRender: pr}
	c.Revision = next.Revision()
	if next.Operation == release.OpInstall {
		c.Action, c.replace = ActionInstall, next.Replace
		if objects || in.diff != nil {
			p, err := eng.PlanInstall(ctx, rel.Name, ch, rel.Values, release.InstallOptions{DryRun: release.DryRunClient, Labels: rel.Labels, PostRenderOptions: post})
			if err != nil {
				return fail(fmt.Errorf("%s: %w", rel.Source, err))
			}
			c.Objects = compareManifests("", p.Release.Manifest)
			if err := in.planDiff(&c, nil, p.Release); err != nil {
				return fail(fmt.Errorf("%s: %w", rel.Source, err))
			}
		}
		return c
	}
	if !differs {
		ok, err := r.unchanged(ctx, rel, ch, last, lk)
		if err != nil {
			return fail(fmt.Errorf("%s: %w", rel.Source, err))
		}
		if ok {
			c.Action = ActionUnchanged
			if objects {
				c.Objects = compareManifests(last.Manifest, last.Manifest)
			}
			return c
		}
	}
	if next.Busy {
		// Only the upgrade, holding the release's lock, can recover the
		// revision or find it live.
		c.Reasons = []string{next.Reason()}
	} else {
		p, err := eng.PlanUpgrade(ctx, rel.Name, ch, rel.Values, release.UpgradeOptions{ResetValues: true, Labels: rel.Labels, PostRenderOptions: post})
		if err != nil {
			return fail(fmt.Errorf("%s: %w", rel.Source, err))
		}
		c.Reasons = differences(next, p.Current, p.Release)
		if objects {
			c.Objects = compareManifests(p.Current.Manifest, p.Release.Manifest)
		}
		if err := in.planDiff(&c, p.Current, p.Release); err != nil {
			return fail(fmt.Errorf("%s: %w", rel.Source, err))
		}
	}
	c.Action = ActionUpgrade
	if len(c.Reasons) == 0 {
		c.Action = ActionUnchanged
	}
	return c
}

// unchanged is the cheap test that a release is already right: its last
// revision is deployed, with the same chart, values and labels, and
// rendering the desired release gives the manifest and hooks it recorded.
// Only releases that fail it are planned in full.
func (r *Runner) unchanged(ctx context.Context, rel *Release, ch *helmchart.Chart, last *release.Release, lookup render.Lookuper) (bool, error) {
	if last.Info == nil || last.Info.Status != release.StatusDeployed || last.Chart == nil || last.Chart.Metadata == nil {
		return false, nil
	}
	if last.Chart.Metadata.Name != ch.Metadata.Name || last.Chart.Metadata.Version != ch.Metadata.Version {
		return false, nil
	}
	if !sameJSON(last.Config, rel.Values) {
		return false, nil
	}
	for k, v := range rel.Labels {
		if last.Labels[k] != v {
			return false, nil
		}
	}
	res, err := r.renderUpgrade(ctx, rel, ch, last.Version+1, lookup)
	if err != nil {
		return false, fmt.Errorf("release %q: render chart %s: %w", rel.Name, ch.Name(), err)
	}
	if res.Manifest != last.Manifest || len(res.Hooks) != len(last.Hooks) {
		return false, nil
	}
	for i, h := range res.Hooks {
		if h.Name != last.Hooks[i].Name || h.Content != last.Hooks[i].Manifest {
			return false, nil
		}
	}
	return true, nil
}

// differences says how the desired revision differs from the current
// deployed one, and whether the last revision (next's) is not that one.
func differences(next release.Decision, current, desired *release.Release) []string {
	var out []string
	if reason := next.Reason(); reason != "" {
		out = append(out, reason)
	}
	last := next.Last
	cm, dm := current.Chart.Metadata, desired.Chart.Metadata
	if cm == nil || cm.Name != dm.Name || cm.Version != dm.Version {
		from := "?"
		if cm != nil {
			from = cm.Name + " " + cm.Version
		}
		out = append(out, fmt.Sprintf("chart %s -> %s %s", from, dm.Name, dm.Version))
	}
	if !sameJSON(current.Config, desired.Config) {
		out = append(out, "values")
	}
	if current.Manifest != desired.Manifest {
		out = append(out, "manifest")
	}
	if !sameHooks(current.Hooks, desired.Hooks) {
		out = append(out, "hooks")
	}
	if !maps.Equal(nonEmpty(last.Labels), nonEmpty(desired.Labels)) {
		out = append(out, "labels")
	}
	return out
}

// sameJSON compares values as their records store them: as JSON, where
// an int64 from --set and a float64 read back from a record are equal.
func sameJSON(a, b map[string]any) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

func sameHooks(a, b []*release.Hook) bool {
	return slices.EqualFunc(a, b, func(x, y *release.Hook) bool {
		return x.Name == y.Name && x.Kind == y.Kind && x.Manifest == y.Manifest && x.Weight == y.Weight &&
			slices.Equal(x.Events, y.Events) && slices.Equal(x.DeletePolicies, y.DeletePolicies)
	})
}

func nonEmpty(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// compareManifests compares two release manifests object by object.
func compareManifests(from, to string) ObjectChanges {
	a, b := manifestObjects(from), manifestObjects(to)
	var oc ObjectChanges
	for _, k := range slices.Sorted(maps.Keys(b)) {
		old, ok := a[k]
		switch {
		case !ok:
			oc.Added = append(oc.Added, k)
		case old != b[k]:
			oc.Changed = append(oc.Changed, k)
		default:
			oc.Unchanged++
		}
	}
	for _, k := range slices.Sorted(maps.Keys(a)) {
		if _, ok := b[k]; !ok {
			oc.Removed = append(oc.Removed, k)
		}
	}
	return oc
}

// manifestObjects maps Kind/name (Kind/namespace/name when the namespace
// is set) to each document of a manifest.
func manifestObjects(manifest string) map[string]string {
	out := map[string]string{}
	for _, doc := range render.SplitDocuments(manifest) {
		var head struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil || head.Kind == "" {
			continue
		}
		k := head.Kind + "/" + head.Metadata.Name
		if head.Metadata.Namespace != "" {
			k = head.Kind + "/" + head.Metadata.Namespace + "/" + head.Metadata.Name
		}
		out[k] = strings.TrimSpace(doc)
	}
	return out
}
