package fleet

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// ClusterRunner is one cluster of a Clusters.
type ClusterRunner struct {
	// Name is the cluster's name in the fleet file (Release.Cluster); ""
	// for the one cluster of a file that lists none.
	Name string
	// Runner works on the cluster; nil when it could not be reached, with
	// Err saying why.
	Runner *Runner
	// Err is why the cluster could not be reached: each of its releases
	// fails with it, and the other clusters' releases go on.
	Err error
	// Concurrency bounds the releases worked on at once on this cluster;
	// zero means the options' Concurrency.
	Concurrency int
}

// ClusterError is why a release was not planned or not started: its
// cluster could not be reached, or its records could not be read.
type ClusterError struct {
	// Cluster names the cluster.
	Cluster string
	// Err is what reaching it gave.
	Err error
}

func (e *ClusterError) Error() string {
	if e.Cluster == "" {
		return e.Err.Error()
	}
	return fmt.Sprintf("cluster %s: %v", e.Cluster, e.Err)
}

func (e *ClusterError) Unwrap() error { return e.Err }

// Clusters plans and executes a fleet over several clusters, one Runner
// each: every cluster has its own client, rate limits and concurrency, and
// a cluster that cannot be reached fails only its own releases. Needs
// order releases across clusters.
type Clusters struct {
	clusters []ClusterRunner
	// do, when set, runs each release instead of its cluster's Runner
	// (schedule.do).
	do func(ctx context.Context, l *lane, c *Change, res *Result, opts ApplyOptions, free func())
}

// NewClusters returns a Clusters over cs, in the order given (the order
// plans and reports group releases in). Names must be unique.
func NewClusters(cs []ClusterRunner) (*Clusters, error) {
	seen := map[string]bool{}
	for _, c := range cs {
		if seen[c.Name] {
			return nil, fmt.Errorf("fleet: cluster %q is given twice", c.Name)
		}
		seen[c.Name] = true
		if c.Runner == nil && c.Err == nil {
			return nil, fmt.Errorf("fleet: cluster %q has no runner", c.Name)
		}
	}
	return &Clusters{clusters: slices.Clone(cs)}, nil
}

// single is the Clusters of one Runner on the one cluster of a file that
// lists none.
func single(r *Runner) *Clusters {
	return &Clusters{clusters: []ClusterRunner{{Runner: r}}}
}

// Plan plans each cluster's releases with its Runner, all clusters at
// once, and returns one plan: changes grouped by cluster, in the order of
// the clusters, each cluster's in the order of rels, then its prunes. The
// releases of a cluster that cannot be reached, or whose records cannot
// be read, have Err set (a *ClusterError); the other clusters are planned
// regardless. It fails only when ctx ends.
func (m *Clusters) Plan(ctx context.Context, fleet string, rels []*Release, opts PlanOptions) (*Plan, error) {
	byCluster := make(map[string][]*Release, len(m.clusters))
	for _, c := range m.clusters {
		byCluster[c.Name] = nil
	}
	for _, r := range rels {
		if _, ok := byCluster[r.Cluster]; !ok {
			return nil, fmt.Errorf("%s: cluster %q is not one of the fleet's clusters", r.Source, r.Cluster)
		}
		byCluster[r.Cluster] = append(byCluster[r.Cluster], r)
	}
	plans := make([]*Plan, len(m.clusters))
	var wg sync.WaitGroup
	for i, c := range m.clusters {
		wg.Go(func() {
			plans[i] = m.planCluster(ctx, c, fleet, byCluster[c.Name], opts)
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("fleet %s: plan interrupted: %w", fleet, err)
	}
	p := &Plan{Fleet: fleet}
	for _, cp := range plans {
		p.Changes = append(p.Changes, cp.Changes...)
	}
	return p, nil
}

// planCluster plans rels, the releases placed on c.
func (m *Clusters) planCluster(ctx context.Context, c ClusterRunner, fleet string, rels []*Release, opts PlanOptions) *Plan {
	var p *Plan
	err := c.Err
	if err == nil {
		p, err = c.Runner.Plan(ctx, fleet, rels, opts)
	}
	if err != nil {
		ce := &ClusterError{Cluster: c.Name, Err: err}
		p = &Plan{Fleet: fleet}
		for _, r := range selected(rels, opts.Selector) {
			p.Changes = append(p.Changes, Change{Name: r.Name, Namespace: r.Namespace, Release: r, Err: ce})
		}
	}
	for i := range p.Changes {
		ch := &p.Changes[i]
		ch.Cluster = c.Name
		if ch.Release != nil {
			ch.Needs = ch.Release.Needs
		}
	}
	return p
}

// Apply executes a plan over the clusters, as Runner.Apply does on one:
// each cluster works on at most its concurrency of releases at once, and
// a release starts only once every release it needs that the plan
// installs or upgrades is done. A release whose need failed is skipped,
// and so are those that need it. Once a release fails because its cluster
// cannot be dialled, the cluster's releases not yet started fail without
// trying.
func (m *Clusters) Apply(ctx context.Context, p *Plan, opts ApplyOptions) *Report {
	return m.run(ctx, p, opts)
}

// Destroy uninstalls every release the fleet owns on each cluster, as
// Runner.Destroy does on one, in the reverse order of the needs of rels
// (the file's releases): a release is uninstalled once those that need it
// are. A cluster that cannot be reached, or whose releases cannot be
// listed, is reported in the error, and the others are destroyed
// regardless.
func (m *Clusters) Destroy(ctx context.Context, fleet string, rels []*Release, plan PlanOptions, opts ApplyOptions) (*Report, error) {
	lists := make([][]Change, len(m.clusters))
	errs := make([]error, len(m.clusters))
	var wg sync.WaitGroup
	for i, c := range m.clusters {
		if c.Err != nil {
			errs[i] = &ClusterError{Cluster: c.Name, Err: c.Err}
			continue
		}
		wg.Go(func() {
			prunes, err := c.Runner.owned(ctx, fleet, plan.Selector, nil)
			if err != nil {
				errs[i] = &ClusterError{Cluster: c.Name, Err: err}
			}
			for j := range prunes {
				prunes[j].Cluster = c.Name
			}
			lists[i] = prunes
		})
	}
	wg.Wait()
	p := &Plan{Fleet: fleet}
	for _, l := range lists {
		p.Changes = append(p.Changes, l...)
	}
	reverseNeeds(p.Changes, rels)
	rep := m.run(ctx, p, opts)
	return rep, errors.Join(errs...)
}

// reverseNeeds sets the Needs of each uninstall of changes to the
// releases of rels that need it: they go first.
func reverseNeeds(changes []Change, rels []*Release) {
	neededBy := map[string][]string{}
	for _, r := range rels {
		for _, n := range r.Needs {
			neededBy[n] = append(neededBy[n], r.ID())
		}
	}
	for i := range changes {
		changes[i].Needs = neededBy[changes[i].ID()]
	}
}
