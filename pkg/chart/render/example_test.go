package render_test

import (
	"context"
	"fmt"
	"log"

	"github.com/bargehq/barge/pkg/chart"
	"github.com/bargehq/barge/pkg/chart/render"
)

// A Renderer parses a chart once and renders it for many releases.
func Example() {
	ch, err := chart.Load("testdata/charts/features")
	if err != nil {
		log.Fatal(err)
	}
	r, err := render.New(ch)
	if err != nil {
		log.Fatal(err)
	}
	for _, name := range []string{"blue", "green"} {
		res, err := r.Render(context.Background(), render.Options{
			ReleaseName: name,
			Namespace:   "prod",
			Values:      map[string]any{"name": name},
		})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(len(res.Manifests), "manifests,", len(res.Hooks), "hooks;", res.Notes)
	}
	// Output:
	// 11 manifests, 3 hooks; Thanks for installing features as blue.
	//
	// 11 manifests, 3 hooks; Thanks for installing features as green.
}
