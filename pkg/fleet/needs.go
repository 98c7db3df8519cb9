package fleet

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// resolveNeeds turns each release's needs, as written, into the IDs of
// the releases they name, and refuses a need that names no release of the
// fleet, and needs that form a cycle.
func resolveNeeds(rels []*Release) error {
	byID := make(map[string]*Release, len(rels))
	byName := map[string][]string{}
	for _, r := range rels {
		byID[r.ID()] = r
		if len(byName[r.Name]) < 3 {
			byName[r.Name] = append(byName[r.Name], r.ID())
		}
	}
	var errs []error
	var defs []int
	failed := map[int]*tenantErrors{}
	for _, r := range rels {
		for _, ref := range r.needRefs {
			id, err := needID(r, ref)
			if err == nil && id == r.ID() {
				err = fmt.Errorf("needs %q: the release needs itself", ref)
			}
			if _, ok := byID[id]; err == nil && !ok {
				err = fmt.Errorf("needs %q: the fleet has no release %s%s", ref, id, nameHint(byName[ref[strings.LastIndex(ref, "/")+1:]]))
			}
			if err == nil {
				if !slices.Contains(r.Needs, id) {
					r.Needs = append(r.Needs, id)
				}
				continue
			}
			err = fmt.Errorf("%s: %w", r.Source, err)
			if r.Tenant == "" {
				errs = append(errs, err)
				continue
			}
			te, ok := failed[r.def]
			if !ok {
				te = &tenantErrors{}
				failed[r.def] = te
				defs = append(defs, r.def)
			}
			te.add(r.Tenant, err)
		}
	}
	for _, d := range defs {
		errs = append(errs, failed[d].errors(fmt.Sprintf("releases[%d]", d))...)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return findCycle(rels, byID)
}

// needID returns the ID of the release ref names, seen from r: name,
// namespace/name or cluster/namespace/name, r's cluster and namespace
// filling what ref leaves out.
func needID(r *Release, ref string) (string, error) {
	parts := strings.Split(ref, "/")
	for _, p := range parts {
		if p == "" {
			return "", fmt.Errorf("needs %q: write a release as name, namespace/name or cluster/namespace/name", ref)
		}
	}
	switch len(parts) {
	case 1:
		return releaseID(r.Cluster, r.Namespace, parts[0]), nil
	case 2:
		return releaseID(r.Cluster, parts[0], parts[1]), nil
	case 3:
		if r.Cluster == "" {
			return "", fmt.Errorf("needs %q names a cluster, but the file lists no clusters: write namespace/name", ref)
		}
		return releaseID(parts[0], parts[1], parts[2]), nil
	}
	return "", fmt.Errorf("needs %q: write a release as name, namespace/name or cluster/namespace/name", ref)
}

// nameHint names the releases called as the missing need is, if any.
func nameHint(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return " (releases of that name: " + strings.Join(ids, ", ") + ")"
}

// findCycle returns an error naming the first cycle the needs form, or nil.
func findCycle(rels []*Release, byID map[string]*Release) error {
	const (
		unseen = iota
		onPath
		done
	)
	state := make(map[string]int, len(rels))
	var path []string
	var visit func(id string) []string
	visit = func(id string) []string {
		state[id] = onPath
		path = append(path, id)
		for _, n := range byID[id].Needs {
			switch state[n] {
			case onPath:
				i := slices.Index(path, n)
				return append(slices.Clone(path[i:]), n)
			case unseen:
				if c := visit(n); c != nil {
					return c
				}
			}
		}
		path = path[:len(path)-1]
		state[id] = done
		return nil
	}
	for _, r := range rels {
		if state[r.ID()] != unseen {
			continue
		}
		if c := visit(r.ID()); c != nil {
			var srcs []string
			for _, id := range c[:len(c)-1] {
				srcs = append(srcs, byID[id].Source)
			}
			return fmt.Errorf("needs form a cycle: %s (defined by %s); remove one of these needs", strings.Join(c, " -> "), strings.Join(srcs, ", "))
		}
	}
	return nil
}
