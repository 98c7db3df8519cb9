package kube

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

func TestRequestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/headers":
			<-release
		case "/body":
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("part"))
			w.(http.Flusher).Flush()
			<-release
		case "/watch":
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			time.Sleep(300 * time.Millisecond)
			_, _ = w.Write([]byte("event"))
		}
	}))
	defer srv.Close()
	defer close(release)
	rc := WithRequestTimeout(&rest.Config{Host: srv.URL}, 100*time.Millisecond)
	hc, err := rest.HTTPClientFor(rc)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		wantErr    bool
	}{
		{"no headers", "/headers", true},
		{"body stalls", "/body", true},
		{"watch waits for events", "/watch?watch=true", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			resp, err := hc.Get(srv.URL + tc.path)
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			var te *RequestTimeoutError
			if got := errors.As(err, &te); got != tc.wantErr {
				t.Fatalf("error %v: RequestTimeoutError %v, want %v", err, got, tc.wantErr)
			}
			if d := time.Since(start); tc.wantErr && d > 2*time.Second {
				t.Errorf("took %s, want about 100ms", d)
			}
		})
	}
}
