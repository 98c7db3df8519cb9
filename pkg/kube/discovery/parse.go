package discovery

import (
	"encoding/json"
	"fmt"
	"mime"
	"slices"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// aggregatedMediaType is the media type of aggregated discovery documents.
// Its parameters must be in this order (g, v, as) for the server.
const aggregatedMediaType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

// isAggregated reports whether an answer's Content-Type is that of an
// aggregated discovery document, whatever the order of its parameters and
// whatever others (charset) an intermediary added.
func isAggregated(contentType string) bool {
	base, params, err := mime.ParseMediaType(contentType)
	return err == nil && base == "application/json" &&
		params["g"] == "apidiscovery.k8s.io" && params["v"] == "v2" && params["as"] == "APIGroupDiscoveryList"
}

// group is an API group and its versions, the preferred one first.
type group struct {
	name     string
	versions []string
}

// document is what one discovery document (/api or /apis) says.
type document struct {
	groups []group
	// lists are the resources of each group version; nil for a legacy
	// document, which lists groups only.
	lists map[schema.GroupVersion]*metav1.APIResourceList
	// failed are the group versions the server marked stale.
	failed map[schema.GroupVersion]error
}

// parseAggregated reads an aggregated discovery document (an
// APIGroupDiscoveryList). Versions come in the server's order of
// preference; a stale version (its aggregated API server did not answer)
// is left out and reported in failed. A resource without a kind is left out
// but its subresources are kept.
func parseAggregated(body []byte) (*document, error) {
	var list apidiscoveryv2.APIGroupDiscoveryList
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("aggregated discovery document: %w", err)
	}
	d := &document{
		lists:  map[schema.GroupVersion]*metav1.APIResourceList{},
		failed: map[schema.GroupVersion]error{},
	}
	for _, ag := range list.Items {
		g := group{name: ag.Name}
		for _, av := range ag.Versions {
			gv := schema.GroupVersion{Group: ag.Name, Version: av.Version}
			if av.Freshness == apidiscoveryv2.DiscoveryFreshnessStale {
				d.failed[gv] = fmt.Errorf("stale GroupVersion discovery: %s", gv)
				continue
			}
			g.versions = append(g.versions, av.Version)
			d.lists[gv] = resourceList(gv, av.Resources)
		}
		d.groups = append(d.groups, g)
	}
	return d, nil
}

// resourceList turns the resources of an aggregated discovery document into
// the list legacy discovery gives for gv, subresources included.
func resourceList(gv schema.GroupVersion, resources []apidiscoveryv2.APIResourceDiscovery) *metav1.APIResourceList {
	l := &metav1.APIResourceList{GroupVersion: gv.String(), APIResources: []metav1.APIResource{}}
	for _, r := range resources {
		res := metav1.APIResource{
			Name:         r.Resource,
			SingularName: r.SingularResource,
			Namespaced:   r.Scope == apidiscoveryv2.ScopeNamespace,
			Verbs:        r.Verbs,
			ShortNames:   r.ShortNames,
			Categories:   r.Categories,
		}
		if k := r.ResponseKind; k != nil && *k != (metav1.GroupVersionKind{}) {
			res.Group, res.Version, res.Kind = k.Group, k.Version, k.Kind
			l.APIResources = append(l.APIResources, res)
		}
		for _, sub := range r.Subresources {
			k := sub.ResponseKind
			if k == nil || *k == (metav1.GroupVersionKind{}) {
				continue
			}
			l.APIResources = append(l.APIResources, metav1.APIResource{
				Name:         r.Resource + "/" + sub.Subresource,
				SingularName: r.SingularResource,
				Namespaced:   res.Namespaced,
				Group:        k.Group,
				Version:      k.Version,
				Kind:         k.Kind,
				Verbs:        sub.Verbs,
			})
		}
	}
	return l
}

// parseLegacyCore reads the legacy document of /api (an APIVersions): the
// core group, whose first version is the preferred one.
func parseLegacyCore(body []byte) (*document, error) {
	var v metav1.APIVersions
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, fmt.Errorf("discovery document /api: %w", err)
	}
	if len(v.Versions) == 0 {
		return &document{}, nil
	}
	return &document{groups: []group{{name: "", versions: v.Versions}}}, nil
}

// parseLegacyGroups reads the legacy document of /apis (an APIGroupList),
// putting each group's preferred version first.
func parseLegacyGroups(body []byte) (*document, error) {
	var list metav1.APIGroupList
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("discovery document /apis: %w", err)
	}
	d := &document{}
	for _, ag := range list.Groups {
		g := group{name: ag.Name}
		preferred := ag.PreferredVersion.Version
		if slices.ContainsFunc(ag.Versions, func(v metav1.GroupVersionForDiscovery) bool { return v.Version == preferred }) {
			g.versions = append(g.versions, preferred)
		}
		for _, v := range ag.Versions {
			if v.Version != preferred {
				g.versions = append(g.versions, v.Version)
			}
		}
		d.groups = append(d.groups, g)
	}
	return d, nil
}

// parseResourceList reads the legacy discovery document of gv (an
// APIResourceList).
func parseResourceList(gv schema.GroupVersion, body []byte) (*metav1.APIResourceList, error) {
	var l metav1.APIResourceList
	if err := json.Unmarshal(body, &l); err != nil {
		return nil, fmt.Errorf("discovery document of %s: %w", gv, err)
	}
	if l.GroupVersion == "" {
		l.GroupVersion = gv.String()
	}
	return &l, nil
}
