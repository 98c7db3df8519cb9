package storage

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/bargehq/barge/internal/localcluster"
	"github.com/bargehq/barge/pkg/release"
)

// wireLog records, for each request that reads or writes whole objects
// (not the metadata-only lists), its method and resource and the content
// types of its body and of the answer.
type wireLog struct {
	next http.RoundTripper
	mu   sync.Mutex
	seen []wireCall
}

type wireCall struct {
	method, resource string
	sent, received   string // content types; sent is empty without a body
}

func (l *wireLog) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(req)
	if err != nil || strings.Contains(req.Header.Get("Accept"), "as=PartialObjectMetadata") {
		return resp, err
	}
	resource := "secrets"
	if strings.Contains(req.URL.Path, "/leases") {
		resource = "leases"
	}
	l.mu.Lock()
	l.seen = append(l.seen, wireCall{method: req.Method, resource: resource, sent: req.Header.Get("Content-Type"), received: resp.Header.Get("Content-Type")})
	l.mu.Unlock()
	return resp, err
}

func TestRecordsTravelAsProtobuf(t *testing.T) {
	c := localcluster.Get(t)
	ns := c.Namespace(t)
	ctx := t.Context()
	cfg := c.RESTConfig()
	log := &wireLog{}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { log.next = rt; return log })
	s, err := NewSecrets(cfg, ns, Options{LeaseDuration: 10 * time.Minute}) // no renewal during the test
	if err != nil {
		t.Fatal(err)
	}

	unlock, err := s.Lock(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	r := rev(ns, "web", 1, release.StatusDeployed)
	if err := s.Create(ctx, r); err != nil {
		t.Fatal(err)
	}
	r.Info.Status = release.StatusSuperseded
	if err := s.Update(ctx, r); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "web", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ListRecords(ctx, labels.Set{"name": "web"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(ctx, "web", 1); err != nil {
		t.Fatal(err)
	}
	unlock.Unlock()

	const pb = "application/vnd.kubernetes.protobuf"
	want := []wireCall{
		{method: "POST", resource: "leases", sent: pb, received: pb},
		{method: "POST", resource: "secrets", sent: pb, received: pb},
		{method: "PUT", resource: "secrets", sent: pb, received: pb},
		{method: "GET", resource: "secrets", received: pb}, // Get
		{method: "GET", resource: "secrets", received: pb}, // ListRecords
		{method: "GET", resource: "secrets", received: pb}, // Get, by Delete
		{method: "DELETE", resource: "secrets", sent: pb, received: pb},
		{method: "DELETE", resource: "leases", sent: pb, received: pb},
	}
	if diff := cmp.Diff(want, log.seen, cmp.AllowUnexported(wireCall{})); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestAPIErrorsAreStatusErrors(t *testing.T) {
	c := localcluster.Get(t)
	ctx := t.Context()
	s := newTestSecrets(t, c, "no-such-namespace", Options{})

	err := s.Create(ctx, rev("no-such-namespace", "web", 1, release.StatusDeployed))
	const msg = `secret no-such-namespace/sh.helm.release.v1.web.v1: create: namespaces "no-such-namespace" not found`
	if err == nil || err.Error() != msg {
		t.Errorf("Create in a missing namespace: err = %v, want %s", err, msg)
	}
	var se *apierrors.StatusError
	if !errors.As(err, &se) || !apierrors.IsNotFound(err) {
		t.Errorf("Create in a missing namespace: err = %#v, want a *apierrors.StatusError, NotFound", err)
	}
}
