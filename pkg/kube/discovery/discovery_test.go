package discovery

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgodiscovery "k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
)

// fakeServer serves the discovery documents recorded from a real API
// server (v1.37, with a CustomResourceDefinition serving
// record.barge.dev/v1 and v1beta1) under testdata/server: the aggregated
// documents to clients that ask for them, unless legacy is set, and the
// legacy ones otherwise.
type fakeServer struct {
	legacy bool
	// fail answers these paths with this status and a Status body.
	fail map[string]int
	// edit, when set, changes a document before it is served.
	edit func(path string, body []byte) []byte

	mu       sync.Mutex
	requests []string // "PATH ACCEPT"
}

func (s *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.URL.Path+" "+r.Header.Get("Accept"))
	s.mu.Unlock()
	if code := s.fail[r.URL.Path]; code != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"%s is down","code":%d}`, r.URL.Path, code)
		return
	}
	file, contentType := filepath.Join("legacy", r.URL.Path+".json"), "application/json"
	switch {
	case r.URL.Path == "/version":
		file = "version.json"
	case (r.URL.Path == "/api" || r.URL.Path == "/apis") && !s.legacy &&
		strings.Contains(r.Header.Get("Accept"), "as=APIGroupDiscoveryList"):
		file, contentType = filepath.Join("aggregated", r.URL.Path+".json"), aggregatedMediaType
	}
	body, err := os.ReadFile(filepath.Join("testdata", "server", file))
	if err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","code":404}`)
		return
	}
	if s.edit != nil {
		body = s.edit(r.URL.Path, body)
	}
	w.Header().Set("Content-Type", contentType)
	_, _ = w.Write(body)
}

func (s *fakeServer) paths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.requests {
		out = append(out, strings.Fields(r)[0])
	}
	sort.Strings(out)
	return out
}

func start(t *testing.T, s *fakeServer) *rest.Config {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &rest.Config{Host: srv.URL}
}

func newClient(t *testing.T, rc *rest.Config) *Client {
	t.Helper()
	c, err := New(rc)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// clientGoResources is what client-go's discovery, which barge used
// before, gives for the same server: the reference.
func clientGoResources(t *testing.T, rc *rest.Config) ([]*metav1.APIResourceList, error) {
	t.Helper()
	dc, err := clientgodiscovery.NewDiscoveryClientForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	_, lists, err := dc.ServerGroupsAndResources()
	return lists, err
}

var sortLists = cmpopts.SortSlices(func(a, b *metav1.APIResourceList) bool { return a.GroupVersion < b.GroupVersion })

func groupVersions(lists []*metav1.APIResourceList) []string {
	var gvs []string
	for _, l := range lists {
		gvs = append(gvs, l.GroupVersion)
	}
	return gvs
}

// wantOrder is the order of group versions of the recorded server: the
// core group first, then the groups as /apis lists them, each with its
// preferred version first.
var wantOrder = []string{
	"v1",
	"apiregistration.k8s.io/v1", "apps/v1", "events.k8s.io/v1", "authentication.k8s.io/v1",
	"authorization.k8s.io/v1", "autoscaling/v2", "autoscaling/v1", "batch/v1", "certificates.k8s.io/v1",
	"networking.k8s.io/v1", "policy/v1", "rbac.authorization.k8s.io/v1", "storage.k8s.io/v1",
	"admissionregistration.k8s.io/v1", "apiextensions.k8s.io/v1", "scheduling.k8s.io/v1",
	"coordination.k8s.io/v1", "node.k8s.io/v1", "discovery.k8s.io/v1", "resource.k8s.io/v1",
	"flowcontrol.apiserver.k8s.io/v1", "storagemigration.k8s.io/v1", "record.barge.dev/v1",
	"record.barge.dev/v1beta1",
}

func TestServerResources(t *testing.T) {
	legacyPaths := []string{"/api", "/api/v1", "/apis"}
	for _, gv := range wantOrder[1:] {
		legacyPaths = append(legacyPaths, "/apis/"+gv)
	}
	sort.Strings(legacyPaths)
	tests := []struct {
		name      string
		legacy    bool
		wantPaths []string
	}{
		{"aggregated", false, []string{"/api", "/apis"}},
		{"legacy", true, legacyPaths},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &fakeServer{legacy: tt.legacy}
			rc := start(t, s)
			got, err := newClient(t, rc).ServerResources(context.Background())
			if err != nil {
				t.Fatalf("ServerResources: %v", err)
			}
			if diff := cmp.Diff(wantOrder, groupVersions(got)); diff != "" {
				t.Errorf("group versions (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantPaths, s.paths()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			for _, r := range s.requests {
				if p, accept, _ := strings.Cut(r, " "); (p == "/api" || p == "/apis") &&
					accept != "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json" {
					t.Errorf("GET %s with Accept %q", p, accept)
				}
			}
			want, err := clientGoResources(t, rc)
			if err != nil {
				t.Fatalf("client-go discovery: %v", err)
			}
			if diff := cmp.Diff(want, got, sortLists, cmpopts.EquateEmpty(), cmpopts.IgnoreTypes(metav1.TypeMeta{})); diff != "" {
				t.Errorf("lists differ from client-go's (-want +got):\n%s", diff)
			}
		})
	}
}

// TestServerResourcesSubresources checks that the lists of aggregated
// discovery name subresources as legacy discovery does, with their own kind.
func TestServerResourcesSubresources(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		t.Run(fmt.Sprintf("legacy=%v", legacy), func(t *testing.T) {
			lists, err := newClient(t, start(t, &fakeServer{legacy: legacy})).ServerResources(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, l := range lists {
				for _, r := range l.APIResources {
					got[l.GroupVersion+" "+r.Name] = r.Kind
				}
			}
			want := map[string]string{
				"v1 pods":                            "Pod",
				"v1 pods/log":                        "Pod",
				"v1 pods/eviction":                   "Eviction",
				"apps/v1 deployments/scale":          "Scale",
				"record.barge.dev/v1 widgets":        "Widget",
				"record.barge.dev/v1 widgets/status": "Widget",
			}
			for k, kind := range want {
				if got[k] != kind {
					t.Errorf("%s: kind %q, want %q", k, got[k], kind)
				}
			}
		})
	}
}

func TestServerResourcesPartial(t *testing.T) {
	stale := func(path string, body []byte) []byte {
		if path != "/apis" {
			return body
		}
		// The last version of the last group is record.barge.dev/v1beta1.
		i := strings.LastIndex(string(body), `"freshness":"Current"`)
		return []byte(string(body[:i]) + `"freshness":"Stale"` + string(body[i+len(`"freshness":"Current"`):]))
	}
	tests := []struct {
		name       string
		server     *fakeServer
		wantFailed []schema.GroupVersion
		wantErr    string
		wantPaths  int
	}{
		{
			name:       "aggregated, a stale group version",
			server:     &fakeServer{edit: stale},
			wantFailed: []schema.GroupVersion{{Group: "record.barge.dev", Version: "v1beta1"}},
			wantErr:    "unable to retrieve the complete list of server APIs: record.barge.dev/v1beta1: stale GroupVersion discovery: record.barge.dev/v1beta1",
			wantPaths:  4, // asked twice
		},
		{
			name:       "legacy, a group version failing",
			server:     &fakeServer{legacy: true, fail: map[string]int{"/apis/record.barge.dev/v1beta1": 503}},
			wantFailed: []schema.GroupVersion{{Group: "record.barge.dev", Version: "v1beta1"}},
			wantErr:    "unable to retrieve the complete list of server APIs: record.barge.dev/v1beta1: /apis/record.barge.dev/v1beta1 is down",
			wantPaths:  2 * (len(wantOrder) + 2),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := start(t, tt.server)
			got, err := newClient(t, rc).ServerResources(context.Background())
			var incomplete *IncompleteError
			if !errors.As(err, &incomplete) {
				t.Fatalf("err = %v, want an *IncompleteError", err)
			}
			var failed []schema.GroupVersion
			for gv := range incomplete.Failed {
				failed = append(failed, gv)
			}
			if diff := cmp.Diff(tt.wantFailed, failed); diff != "" {
				t.Errorf("failed group versions (-want +got):\n%s", diff)
			}
			if err.Error() != tt.wantErr {
				t.Errorf("error:\n%s\nwant:\n%s", err, tt.wantErr)
			}
			if diff := cmp.Diff(wantOrder[:len(wantOrder)-1], groupVersions(got)); diff != "" {
				t.Errorf("group versions (-want +got):\n%s", diff)
			}
			if n := len(tt.server.paths()); n != tt.wantPaths {
				t.Errorf("%d requests, want %d", n, tt.wantPaths)
			}
		})
	}
}

func TestServerResourcesErrors(t *testing.T) {
	tests := []struct {
		name      string
		server    *fakeServer
		wantErr   string
		wantFirst string // first group version when there is no error
	}{
		{
			name:      "no /api",
			server:    &fakeServer{fail: map[string]int{"/api": 404}},
			wantFirst: "apiregistration.k8s.io/v1",
		},
		{
			name:      "no /api, legacy",
			server:    &fakeServer{legacy: true, fail: map[string]int{"/api": 404}},
			wantFirst: "apiregistration.k8s.io/v1",
		},
		{
			name:    "/apis failing",
			server:  &fakeServer{fail: map[string]int{"/apis": 500}},
			wantErr: "/apis is down",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lists, err := newClient(t, start(t, tt.server)).ServerResources(context.Background())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || lists != nil {
					t.Fatalf("ServerResources = %d lists, %v; want none and an error with %q", len(lists), err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(lists) == 0 || lists[0].GroupVersion != tt.wantFirst {
				t.Errorf("group versions %v, want %s first", groupVersions(lists), tt.wantFirst)
			}
		})
	}
}

func TestServerUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	c := newClient(t, &rest.Config{Host: srv.URL})
	if _, err := c.ServerResources(context.Background()); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("ServerResources: %v, want connection refused", err)
	}
	if _, err := c.ServerVersion(context.Background()); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("ServerVersion: %v, want connection refused", err)
	}
}

func TestServerVersion(t *testing.T) {
	v, err := newClient(t, start(t, &fakeServer{})).ServerVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if v.GitVersion != "v1.37.2" || v.Platform != "linux/amd64" {
		t.Errorf("version %s %s, want v1.37.2 linux/amd64", v.GitVersion, v.Platform)
	}
}

// TestRequestsSeeTransport checks that requests go through the transport
// wrappers of the configuration (barge's --debug request log).
func TestRequestsSeeTransport(t *testing.T) {
	rc := start(t, &fakeServer{})
	var seen []string
	rc.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripper(func(r *http.Request) (*http.Response, error) {
			seen = append(seen, r.URL.Path)
			return rt.RoundTrip(r)
		})
	})
	if _, err := newClient(t, rc).ServerVersion(context.Background()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"/version"}, seen); diff != "" {
		t.Errorf("requests seen (-want +got):\n%s", diff)
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestIsAggregated(t *testing.T) {
	tests := []struct {
		contentType string
		want        bool
	}{
		{"application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", true},
		{"application/json; as=APIGroupDiscoveryList;v=v2;g=apidiscovery.k8s.io;charset=utf-8", true},
		{"application/json", false},
		{"application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList", false},
		{"application/yaml;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", false},
		{"not a media type;;", false},
	}
	for _, tt := range tests {
		t.Run(tt.contentType, func(t *testing.T) {
			if got := isAggregated(tt.contentType); got != tt.want {
				t.Errorf("isAggregated = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseLegacyGroupsPreferredFirst(t *testing.T) {
	body := []byte(`{"kind":"APIGroupList","groups":[
		{"name":"example.com","versions":[{"groupVersion":"example.com/v1beta1","version":"v1beta1"},{"groupVersion":"example.com/v1","version":"v1"},{"groupVersion":"example.com/v1alpha1","version":"v1alpha1"}],
		 "preferredVersion":{"groupVersion":"example.com/v1","version":"v1"}},
		{"name":"other.com","versions":[{"groupVersion":"other.com/v2","version":"v2"}]}]}`)
	d, err := parseLegacyGroups(body)
	if err != nil {
		t.Fatal(err)
	}
	want := []group{
		{name: "example.com", versions: []string{"v1", "v1beta1", "v1alpha1"}},
		{name: "other.com", versions: []string{"v2"}},
	}
	if diff := cmp.Diff(want, d.groups, cmp.AllowUnexported(group{})); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
}
