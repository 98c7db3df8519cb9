package render

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/bargehq/barge/pkg/chart"
)

// TestParseCacheStable checks that renders reuse the parse trees made by New
// instead of parsing (and caching) the templates again.
func TestParseCacheStable(t *testing.T) {
	ch, err := chart.Load(filepath.Join("testdata", "charts", "features"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(ch)
	if err != nil {
		t.Fatal(err)
	}
	before := len(r.parsed)
	for range 3 {
		if _, err := r.Render(context.Background(), Options{ReleaseName: "rel"}); err != nil {
			t.Fatal(err)
		}
	}
	if after := len(r.parsed); after != before {
		t.Errorf("parse cache grew from %d to %d entries over renders", before, after)
	}
}
