package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgodiscovery "k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/bargehq/barge/pkg/kube/discovery"
)

// discoveryServer serves the aggregated discovery documents recorded from a
// real API server (package discovery's testdata: v1.37 with a
// CustomResourceDefinition serving record.barge.dev/v1 and v1beta1). Until
// crdInstalled is set, it serves them without the record.barge.dev group.
type discoveryServer struct {
	// delay holds each answer back, so that concurrent callers overlap.
	delay time.Duration

	mu           sync.Mutex
	crdInstalled bool
	apisRequests int
}

func (s *discoveryServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/api" && r.URL.Path != "/apis" {
		http.NotFound(w, r)
		return
	}
	body, err := os.ReadFile(filepath.Join("discovery", "testdata", "server", "aggregated", r.URL.Path+".json"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	time.Sleep(s.delay)
	s.mu.Lock()
	installed := s.crdInstalled
	if r.URL.Path == "/apis" {
		s.apisRequests++
	}
	s.mu.Unlock()
	if r.URL.Path == "/apis" && !installed {
		var doc map[string]any
		if err := json.Unmarshal(body, &doc); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		items := doc["items"].([]any)
		doc["items"] = items[:len(items)-1] // record.barge.dev is last
		body, _ = json.Marshal(doc)
	}
	w.Header().Set("Content-Type", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
	_, _ = w.Write(body)
}

func (s *discoveryServer) installCRD() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.crdInstalled = true
}

func (s *discoveryServer) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apisRequests
}

func startDiscovery(t *testing.T, s *discoveryServer) *rest.Config {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &rest.Config{Host: srv.URL}
}

func testCache(t *testing.T, rc *rest.Config, file string, ttl time.Duration) *resourceCache {
	t.Helper()
	d, err := discovery.New(rc)
	if err != nil {
		t.Fatal(err)
	}
	return &resourceCache{client: d, file: file, ttl: ttl, logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

var scopeByName = cmp.Comparer(func(a, b meta.RESTScope) bool { return a.Name() == b.Name() })

func testMapper(t *testing.T, c *resourceCache) *mapper {
	return newMapper(c, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// TestRESTMapperLikeClientGo checks the REST mapper built from discovery
// against client-go's discovery REST mapper, which barge used before, on
// the same server.
func TestRESTMapperLikeClientGo(t *testing.T) {
	s := &discoveryServer{crdInstalled: true}
	rc := startDiscovery(t, s)
	ours := testMapper(t, testCache(t, rc, "", DefaultDiscoveryTTL))
	dc, err := clientgodiscovery.NewDiscoveryClientForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	groups, err := restmapper.GetAPIGroupResources(dc)
	if err != nil {
		t.Fatal(err)
	}
	ref := restmapper.NewDiscoveryRESTMapper(groups)

	gk := func(group, kind string) schema.GroupKind { return schema.GroupKind{Group: group, Kind: kind} }
	gvr := func(group, version, resource string) schema.GroupVersionResource {
		return schema.GroupVersionResource{Group: group, Version: version, Resource: resource}
	}
	mappings := []struct {
		gk       schema.GroupKind
		versions []string
	}{
		{gk("", "Pod"), nil},
		{gk("", "pod"), nil},
		{gk("", "Namespace"), []string{"v1"}},
		{gk("apps", "Deployment"), []string{"v1"}},
		{gk("apps", "Deployment"), []string{"v1beta1"}},
		{gk("autoscaling", "HorizontalPodAutoscaler"), nil},
		{gk("autoscaling", "HorizontalPodAutoscaler"), []string{"v1"}},
		{gk("record.barge.dev", "Widget"), nil},
		{gk("record.barge.dev", "Widget"), []string{"v1beta1"}},
		{gk("record.barge.dev", "WidgetList"), nil},
		{gk("", "List"), []string{"v1"}},
		{gk("", "Eviction"), nil}, // only a subresource (pods/eviction)
		{gk("example.com", "Missing"), nil},
	}
	for _, m := range mappings {
		t.Run(fmt.Sprintf("RESTMapping %s %v", m.gk, m.versions), func(t *testing.T) {
			want, wantErr := ref.RESTMapping(m.gk, m.versions...)
			got, err := ours.RESTMapping(m.gk, m.versions...)
			if diff := cmp.Diff(fmt.Sprint(wantErr), fmt.Sprint(err)); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want, got, scopeByName); diff != "" {
				t.Errorf("mapping (-want +got):\n%s", diff)
			}
			wantAll, wantErr := ref.RESTMappings(m.gk, m.versions...)
			gotAll, err := ours.RESTMappings(m.gk, m.versions...)
			if diff := cmp.Diff(fmt.Sprint(wantErr), fmt.Sprint(err)); diff != "" {
				t.Errorf("RESTMappings error (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantAll, gotAll, scopeByName); diff != "" {
				t.Errorf("RESTMappings (-want +got):\n%s", diff)
			}
		})
	}
	resources := []schema.GroupVersionResource{
		gvr("", "", "pods"),
		gvr("", "", "pod"),
		gvr("apps", "", "deployments"),
		gvr("", "", "horizontalpodautoscalers"),
		gvr("autoscaling", "v1", "horizontalpodautoscalers"),
		gvr("", "", "widgets"),
		gvr("", "", "widget"),
		gvr("", "", "pods/log"),
		gvr("", "", "nothings"),
	}
	for _, r := range resources {
		t.Run(fmt.Sprintf("resource %s", r), func(t *testing.T) {
			wantK, wantErr := ref.KindFor(r)
			gotK, err := ours.KindFor(r)
			if diff := cmp.Diff(fmt.Sprint(wantK, wantErr), fmt.Sprint(gotK, err)); diff != "" {
				t.Errorf("KindFor (-want +got):\n%s", diff)
			}
			wantKs, wantErr := ref.KindsFor(r)
			gotKs, err := ours.KindsFor(r)
			if diff := cmp.Diff(fmt.Sprint(wantKs, wantErr), fmt.Sprint(gotKs, err)); diff != "" {
				t.Errorf("KindsFor (-want +got):\n%s", diff)
			}
			wantR, wantErr := ref.ResourceFor(r)
			gotR, err := ours.ResourceFor(r)
			if diff := cmp.Diff(fmt.Sprint(wantR, wantErr), fmt.Sprint(gotR, err)); diff != "" {
				t.Errorf("ResourceFor (-want +got):\n%s", diff)
			}
			wantRs, wantErr := ref.ResourcesFor(r)
			gotRs, err := ours.ResourcesFor(r)
			if diff := cmp.Diff(fmt.Sprint(wantRs, wantErr), fmt.Sprint(gotRs, err)); diff != "" {
				t.Errorf("ResourcesFor (-want +got):\n%s", diff)
			}
			wantS, wantErr := ref.ResourceSingularizer(r.Resource)
			gotS, err := ours.ResourceSingularizer(r.Resource)
			if diff := cmp.Diff(fmt.Sprint(wantS, wantErr), fmt.Sprint(gotS, err)); diff != "" {
				t.Errorf("ResourceSingularizer (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRESTMapperPreferredVersion(t *testing.T) {
	rc := startDiscovery(t, &discoveryServer{crdInstalled: true})
	m := testMapper(t, testCache(t, rc, "", DefaultDiscoveryTTL))
	tests := []struct {
		gk          schema.GroupKind
		wantVersion string
		wantScope   meta.RESTScopeName
	}{
		{schema.GroupKind{Group: "autoscaling", Kind: "HorizontalPodAutoscaler"}, "v2", meta.RESTScopeNameNamespace},
		{schema.GroupKind{Group: "record.barge.dev", Kind: "Widget"}, "v1", meta.RESTScopeNameNamespace},
		{schema.GroupKind{Kind: "Namespace"}, "v1", meta.RESTScopeNameRoot},
	}
	for _, tt := range tests {
		t.Run(tt.gk.String(), func(t *testing.T) {
			rm, err := m.RESTMapping(tt.gk)
			if err != nil {
				t.Fatal(err)
			}
			if rm.Resource.Version != tt.wantVersion || rm.Scope.Name() != tt.wantScope {
				t.Errorf("mapped to %s, %s; want version %s, %s", rm.Resource, rm.Scope.Name(), tt.wantVersion, tt.wantScope)
			}
		})
	}
}

func TestMapperRefreshesOnMiss(t *testing.T) {
	s := &discoveryServer{}
	m := testMapper(t, testCache(t, startDiscovery(t, s), "", DefaultDiscoveryTTL))
	widget := schema.GroupKind{Group: "record.barge.dev", Kind: "Widget"}
	ctx := context.Background()

	if _, err := m.RESTMappingWithContext(ctx, widget); !meta.IsNoMatchError(err) {
		t.Fatalf("before the CRD: %v, want no match", err)
	}
	// The first load came from the server during the call: a miss does not
	// ask again.
	if n := s.requests(); n != 1 {
		t.Errorf("%d discovery reads before the CRD, want 1", n)
	}
	s.installCRD()
	rm, err := m.RESTMappingWithContext(ctx, widget)
	if err != nil {
		t.Fatalf("after the CRD: %v", err)
	}
	if rm.Resource.Resource != "widgets" {
		t.Errorf("mapped to %s", rm.Resource)
	}
	if n := s.requests(); n != 2 {
		t.Errorf("%d discovery reads, want 2", n)
	}
	// Known kinds do not ask again.
	if _, err := m.RESTMappingWithContext(ctx, schema.GroupKind{Kind: "Pod"}); err != nil {
		t.Fatal(err)
	}
	if n := s.requests(); n != 2 {
		t.Errorf("%d discovery reads after a hit, want 2", n)
	}
}

func TestMapperConcurrentMissesShareARefresh(t *testing.T) {
	s := &discoveryServer{delay: 100 * time.Millisecond}
	m := testMapper(t, testCache(t, startDiscovery(t, s), "", DefaultDiscoveryTTL))
	ctx := context.Background()
	if _, err := m.RESTMappingWithContext(ctx, schema.GroupKind{Kind: "Pod"}); err != nil {
		t.Fatal(err)
	}
	s.installCRD()
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = m.RESTMappingWithContext(ctx, schema.GroupKind{Group: "record.barge.dev", Kind: "Widget"})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("goroutine %d: %v", i, err)
		}
	}
	if n := s.requests(); n != 2 {
		t.Errorf("%d discovery reads for 20 concurrent misses, want 2 (the first and one refresh)", n)
	}

	// Misses that all saw the old information before any refresh began.
	missedAt := time.Now()
	for i := range errs {
		wg.Go(func() { _, errs[i] = m.current(ctx, missedAt) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("goroutine %d: %v", i, err)
		}
	}
	if n := s.requests(); n != 3 {
		t.Errorf("%d discovery reads after 20 concurrent refreshes, want 3", n)
	}
}

func TestMapperReset(t *testing.T) {
	s := &discoveryServer{}
	m := testMapper(t, testCache(t, startDiscovery(t, s), "", DefaultDiscoveryTTL))
	for range 2 {
		if _, err := m.RESTMapping(schema.GroupKind{Kind: "Pod"}); err != nil {
			t.Fatal(err)
		}
	}
	m.Reset()
	if _, err := m.RESTMapping(schema.GroupKind{Kind: "Pod"}); err != nil {
		t.Fatal(err)
	}
	if n := s.requests(); n != 2 {
		t.Errorf("%d discovery reads, want 2 (the first and one after Reset)", n)
	}
}

func TestDiscoveryCacheFile(t *testing.T) {
	widget := schema.GroupKind{Group: "record.barge.dev", Kind: "Widget"}
	pod := schema.GroupKind{Kind: "Pod"}
	tests := []struct {
		name string
		// age of the file written by a first process; negative: no file
		age time.Duration
		// the second process maps this kind
		gk           schema.GroupKind
		wantRequests int // of the second process
	}{
		{"fresh file, known kind", time.Minute, pod, 0},
		{"fresh file, unknown kind", time.Minute, widget, 1},
		{"stale file", 2 * time.Hour, pod, 1},
		{"file from the future", -time.Hour, pod, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &discoveryServer{}
			rc := startDiscovery(t, s)
			file := filepath.Join(t.TempDir(), "discovery", "host.json")
			first := testMapper(t, testCache(t, rc, file, time.Hour))
			if _, err := first.RESTMapping(pod); err != nil {
				t.Fatal(err)
			}
			var f cacheFile
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("cache file not written: %v", err)
			}
			if err := json.Unmarshal(b, &f); err != nil {
				t.Fatal(err)
			}
			if len(f.Resources) == 0 || f.Resources[0].GroupVersion != "v1" || time.Since(f.Time) > time.Minute {
				t.Fatalf("cache file holds %d lists from %s", len(f.Resources), f.Time)
			}
			f.Time = time.Now().Add(-tt.age)
			b, _ = json.Marshal(f)
			if err := os.WriteFile(file, b, 0o600); err != nil {
				t.Fatal(err)
			}

			s.installCRD()
			before := s.requests()
			second := testMapper(t, testCache(t, rc, file, time.Hour))
			if _, err := second.RESTMapping(tt.gk); err != nil {
				t.Fatal(err)
			}
			if n := s.requests() - before; n != tt.wantRequests {
				t.Errorf("second process read discovery %d times, want %d", n, tt.wantRequests)
			}
		})
	}
}

func TestDiscoveryCacheIncompleteNotWritten(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
		group := "apps"
		if r.URL.Path == "/api" {
			group = ""
		}
		fmt.Fprintf(w, `{"kind":"APIGroupDiscoveryList","apiVersion":"apidiscovery.k8s.io/v2","items":[{"metadata":{"name":%q},"versions":[
			{"version":"v1","freshness":"Current","resources":[{"resource":"things","responseKind":{"group":%[1]q,"version":"v1","kind":"Thing"},"scope":"Namespaced","singularResource":"thing","verbs":["get"]}]},
			{"version":"v2","freshness":"Stale"}]}]}`, group)
	}))
	t.Cleanup(srv.Close)
	file := filepath.Join(t.TempDir(), "host.json")
	m := testMapper(t, testCache(t, &rest.Config{Host: srv.URL}, file, time.Hour))
	rm, err := m.RESTMapping(schema.GroupKind{Group: "apps", Kind: "Thing"})
	if err != nil {
		t.Fatalf("a stale group version should not keep the rest from mapping: %v", err)
	}
	if rm.Resource.Resource != "things" {
		t.Errorf("mapped to %s", rm.Resource)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("incomplete discovery written to the cache file (stat: %v)", err)
	}
}

// TestNewRESTMapperOrder checks that versions are preferred in the order of
// the lists, whatever their names.
func TestNewRESTMapperOrder(t *testing.T) {
	list := func(gv string) *metav1.APIResourceList {
		return &metav1.APIResourceList{GroupVersion: gv, APIResources: []metav1.APIResource{
			{Name: "gadgets", SingularName: "gadget", Namespaced: true, Kind: "Gadget"},
			{Name: "gadgets/status", Namespaced: true, Kind: "Gadget"},
		}}
	}
	rm := newRESTMapper([]*metav1.APIResourceList{list("example.com/v1beta2"), list("example.com/v1")})
	m, err := rm.RESTMapping(schema.GroupKind{Group: "example.com", Kind: "Gadget"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Resource.Version != "v1beta2" {
		t.Errorf("mapped to %s, want the first version listed, v1beta2", m.Resource)
	}
	if _, err := rm.KindFor(schema.GroupVersionResource{Resource: "gadgets/status"}); !meta.IsNoMatchError(err) {
		t.Errorf("subresource KindFor: %v, want no match", err)
	}
}

// TestClientCacheDir checks where a Client keeps its discovery cache:
// under WithCacheDir's directory, under $XDG_CACHE_HOME/barge by default,
// nowhere with WithCacheDir(""); and that WithDiscoveryTTL bounds its age.
func TestClientCacheDir(t *testing.T) {
	tests := []struct {
		name     string
		opts     func(dir string) []Option
		wantFile func(xdg, dir string) string // empty: no file anywhere
	}{
		{
			name:     "WithCacheDir",
			opts:     func(dir string) []Option { return []Option{WithCacheDir(dir)} },
			wantFile: func(_, dir string) string { return filepath.Join(dir, "discovery", "HOST.json") },
		},
		{
			name:     "default",
			opts:     func(string) []Option { return nil },
			wantFile: func(xdg, _ string) string { return filepath.Join(xdg, "barge", "discovery", "HOST.json") },
		},
		{
			name:     "memory only",
			opts:     func(string) []Option { return []Option{WithCacheDir("")} },
			wantFile: func(string, string) string { return "" },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			xdg, dir := t.TempDir(), t.TempDir()
			t.Setenv("XDG_CACHE_HOME", xdg)
			rc := startDiscovery(t, &discoveryServer{})
			kc, err := NewForRESTConfig(rc, tt.opts(dir)...)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := kc.RESTMapper().RESTMapping(schema.GroupKind{Kind: "Pod"}); err != nil {
				t.Fatal(err)
			}
			var files []string
			for _, root := range []string{xdg, dir} {
				_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
					if err == nil && !d.IsDir() {
						files = append(files, path)
					}
					return nil
				})
			}
			var want []string
			if f := tt.wantFile(xdg, dir); f != "" {
				want = []string{filepath.Join(filepath.Dir(f), hostDir(rc.Host)+".json")}
			}
			if diff := cmp.Diff(want, files); diff != "" {
				t.Errorf("cache files (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("WithDiscoveryTTL", func(t *testing.T) {
		s := &discoveryServer{}
		rc := startDiscovery(t, s)
		dir := t.TempDir()
		for i, wantRequests := range []int{1, 1, 2} {
			if i == 2 {
				time.Sleep(300 * time.Millisecond)
			}
			kc, err := NewForRESTConfig(rc, WithCacheDir(dir), WithDiscoveryTTL(200*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := kc.RESTMapper().RESTMapping(schema.GroupKind{Kind: "Pod"}); err != nil {
				t.Fatal(err)
			}
			if n := s.requests(); n != wantRequests {
				t.Errorf("client %d: %d discovery reads in all, want %d", i, n, wantRequests)
			}
		}
	})
}
