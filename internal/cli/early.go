package cli

import (
	helmchart "helm.sh/helm/v3/pkg/chart"

	"github.com/bargehq/barge/pkg/chart/render"
)

// earlyRenderer parses a chart's templates in the background, while the
// command connects to the cluster and takes the release's lock, instead of
// when the release engine first renders.
type earlyRenderer struct {
	ch   *helmchart.Chart
	done chan struct{}
	r    *render.Renderer
	err  error
}

// parseEarly starts parsing ch.
func parseEarly(ch *helmchart.Chart) *earlyRenderer {
	e := &earlyRenderer{ch: ch, done: make(chan struct{})}
	go func() {
		defer close(e.done)
		e.r, e.err = render.New(ch)
	}()
	return e
}

// renderer returns the renderer of ch: the one parsed early for the chart
// given to parseEarly, a new one for any other. It fits
// release.Config.Renderer; e may be nil.
func (e *earlyRenderer) renderer(ch *helmchart.Chart) (*render.Renderer, error) {
	if e == nil || ch != e.ch {
		return render.New(ch)
	}
	<-e.done
	return e.r, e.err
}
