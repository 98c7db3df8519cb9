package discovery

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/rest"
)

// DefaultTimeout bounds each discovery request when the configuration
// given to New sets no timeout, as in client-go's discovery.
const DefaultTimeout = 32 * time.Second

// DefaultBurst is the burst of the client-side rate limit when the
// configuration given to New sets none, as in client-go's discovery.
const DefaultBurst = 300

// Client asks one API server for its version and the APIs it serves.
type Client struct {
	rest *rest.RESTClient
}

// New returns a Client for the API server rc points at. Each request is
// bounded by rc.Timeout (zero means DefaultTimeout) and by its context.
// Requests go through rc's transport, wrappers included (rc.Wrap), and are
// held back by rc's rate limits; a zero rc.Burst is taken as
// DefaultBurst, since legacy discovery sends a request per group version
// at once.
func New(rc *rest.Config) (*Client, error) {
	cfg := rest.CopyConfig(rc)
	cfg.APIPath = ""
	cfg.GroupVersion = nil
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Burst == 0 {
		cfg.Burst = DefaultBurst
	}
	cfg.NegotiatedSerializer = NegotiatedSerializer()
	client, err := rest.UnversionedRESTClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("discovery client: %w", err)
	}
	return &Client{rest: client}, nil
}

// NegotiatedSerializer is the smallest serializer a rest.RESTClient needs
// to read raw answers: it decodes the server's Status errors and nothing
// else. Each call returns a new one.
func NegotiatedSerializer() runtime.NegotiatedSerializer {
	s := runtime.NewScheme()
	metav1.AddToGroupVersion(s, schema.GroupVersion{Version: "v1"})
	return serializer.NewCodecFactory(s).WithoutConversion()
}

// ServerVersion returns the server's version, from GET /version.
func (c *Client) ServerVersion(ctx context.Context) (*version.Info, error) {
	body, _, err := c.get(ctx, "/version", "application/json")
	if err != nil {
		return nil, err
	}
	var v version.Info
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, fmt.Errorf("server version: %w", err)
	}
	return &v, nil
}

// ServerResources returns the resources the server serves, one list per
// group version: group by group in the server's order, the core group
// first, and in each group its preferred version first. Subresources are
// in the lists too, named "resource/subresource".
//
// When some group versions cannot be read (an aggregated API server down,
// a group removed while it was being read) ServerResources asks once more,
// then returns the lists it has with an *IncompleteError naming the
// missing group versions. Any other error comes with no lists.
func (c *Client) ServerResources(ctx context.Context) ([]*metav1.APIResourceList, error) {
	lists, failed, err := c.serverResources(ctx)
	if err == nil && len(failed) > 0 && ctx.Err() == nil {
		lists, failed, err = c.serverResources(ctx)
	}
	if err != nil {
		return nil, err
	}
	if len(failed) > 0 {
		return lists, &IncompleteError{Failed: failed}
	}
	return lists, nil
}

// IncompleteError says which group versions discovery could not read.
type IncompleteError struct {
	Failed map[schema.GroupVersion]error
}

// Error lists the group versions that failed and why, sorted.
func (e *IncompleteError) Error() string {
	var parts []string
	for gv, err := range e.Failed {
		parts = append(parts, fmt.Sprintf("%s: %v", gv, err))
	}
	sort.Strings(parts)
	return "unable to retrieve the complete list of server APIs: " + strings.Join(parts, ", ")
}

// serverResources reads discovery once: the lists it could read, the group
// versions it could not, or an error that leaves it with nothing.
func (c *Client) serverResources(ctx context.Context) ([]*metav1.APIResourceList, map[schema.GroupVersion]error, error) {
	var (
		docs [2]*document
		errs [2]error
		wg   sync.WaitGroup
	)
	for i, path := range []string{"/api", "/apis"} {
		wg.Go(func() { docs[i], errs[i] = c.document(ctx, path) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, nil, err
		}
	}
	core, apis := docs[0], docs[1]
	groups := slices.Concat(core.groups, apis.groups)
	failed := map[schema.GroupVersion]error{}
	for _, d := range docs {
		for gv, err := range d.failed {
			failed[gv] = err
		}
	}
	if core.lists != nil && apis.lists != nil {
		var lists []*metav1.APIResourceList
		for _, g := range groups {
			for _, v := range g.versions {
				gv := schema.GroupVersion{Group: g.name, Version: v}
				if l := core.lists[gv]; l != nil {
					lists = append(lists, l)
				} else if l := apis.lists[gv]; l != nil {
					lists = append(lists, l)
				}
			}
		}
		return lists, failed, nil
	}
	lists, failedGVs := c.groupVersions(ctx, groups)
	for gv, err := range failedGVs {
		failed[gv] = err
	}
	return lists, failed, nil
}

// groupVersions reads the legacy discovery document of every version of
// groups at once, and returns them in the order of groups.
func (c *Client) groupVersions(ctx context.Context, groups []group) ([]*metav1.APIResourceList, map[schema.GroupVersion]error) {
	var gvs []schema.GroupVersion
	for _, g := range groups {
		for _, v := range g.versions {
			gvs = append(gvs, schema.GroupVersion{Group: g.name, Version: v})
		}
	}
	lists := make([]*metav1.APIResourceList, len(gvs))
	errs := make([]error, len(gvs))
	var wg sync.WaitGroup
	for i, gv := range gvs {
		wg.Go(func() { lists[i], errs[i] = c.groupVersion(ctx, gv) })
	}
	wg.Wait()
	var out []*metav1.APIResourceList
	failed := map[schema.GroupVersion]error{}
	for i, gv := range gvs {
		if errs[i] != nil {
			failed[gv] = errs[i]
			continue
		}
		out = append(out, lists[i])
	}
	return out, failed
}

// groupVersion reads the legacy discovery document of one group version:
// /api/v1 for the core group, /apis/GROUP/VERSION for the others.
func (c *Client) groupVersion(ctx context.Context, gv schema.GroupVersion) (*metav1.APIResourceList, error) {
	path := "/apis/" + gv.String()
	if gv.Group == "" {
		path = "/api/" + gv.Version
	}
	body, _, err := c.get(ctx, path, "application/json")
	if err != nil {
		return nil, err
	}
	return parseResourceList(gv, body)
}

// acceptDiscovery asks for aggregated discovery, or the legacy documents
// from a server that does not serve it.
const acceptDiscovery = aggregatedMediaType + ",application/json"

// document reads the discovery document at path, /api or /apis. A server
// without /api (some aggregated API servers) has an empty core group.
func (c *Client) document(ctx context.Context, path string) (*document, error) {
	body, contentType, err := c.get(ctx, path, acceptDiscovery)
	if err != nil {
		if path == "/api" && apierrors.IsNotFound(err) {
			return &document{lists: map[schema.GroupVersion]*metav1.APIResourceList{}}, nil
		}
		return nil, err
	}
	switch {
	case isAggregated(contentType):
		return parseAggregated(body)
	case path == "/api":
		return parseLegacyCore(body)
	default:
		return parseLegacyGroups(body)
	}
}

// get returns the body and the Content-Type of the answer to GET path. An
// answer other than 2xx is an error, the server's Status when it sent one
// (apierrors.IsNotFound and the like work on it).
func (c *Client) get(ctx context.Context, path, accept string) ([]byte, string, error) {
	var contentType string
	res := c.rest.Get().AbsPath(path).SetHeader("Accept", accept).Do(ctx).ContentType(&contentType)
	if err := res.Error(); err != nil {
		return nil, "", err
	}
	body, err := res.Raw()
	return body, contentType, err
}
