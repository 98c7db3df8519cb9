package cli

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/bargehq/barge/pkg/fleet"
)

// maxInFlightLines bounds the releases listed under the bar on a terminal.
const maxInFlightLines = 12

// fleetProgress shows a fleet's execution. On a terminal it redraws, in
// place, a bar for the whole fleet and one line per release in flight;
// elsewhere (CI logs, pipes) it prints one line per release that finishes.
//
// event is called from many goroutines at once, finish from the command's;
// a ticker redraws on a terminal. A mutex guards the state between them.
type fleetProgress struct {
	w     io.Writer
	tty   bool
	width int
	total int // releases to work on; 0 when not known in advance
	start time.Time

	stop chan struct{}

	mu         sync.Mutex
	inFlight   map[string]fleetLine
	namespaces int // new namespaces being made before the releases start
	started    int
	done       int
	failed     int
	drawn      int
	// clusters counts, by cluster, the releases done and failed, for a
	// fleet over several clusters.
	clusters map[string]*clusterCount
	order    []string // the clusters, as first seen
}

// clusterCount counts the releases of one cluster done, and of them failed.
type clusterCount struct{ done, failed int }

type fleetLine struct {
	phase          fleet.Phase
	since          time.Time
	ready, objects int    // with PhaseWaiting
	pending        string // with PhaseWaiting: why one object is not ready
}

func newFleetProgress(w io.Writer, total int) *fleetProgress {
	p := &fleetProgress{w: w, total: total, start: time.Now(), stop: make(chan struct{}), inFlight: map[string]fleetLine{}}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
		if width, _, err := term.GetSize(int(f.Fd())); err == nil && width > 0 {
			p.width = width
		}
	}
	return p
}

// ciWaitInterval is how often, in CI, a line says how the releases
// waiting for readiness are doing.
const ciWaitInterval = 30 * time.Second

// run redraws every 200ms on a terminal until finish; elsewhere it prints
// every ciWaitInterval a line about the releases waiting for readiness,
// when there are some.
func (p *fleetProgress) run() {
	interval := 200 * time.Millisecond
	if !p.tty {
		interval = ciWaitInterval
	}
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.mu.Lock()
				if p.tty {
					p.draw()
				} else if line := p.waitingLine(); line != "" {
					fmt.Fprintln(p.w, line)
				}
				p.mu.Unlock()
			}
		}
	}()
}

// waitingLine says how many releases wait for readiness and how many of
// their objects are not ready, with one of them and why; "" when none
// waits.
func (p *fleetProgress) waitingLine() string {
	releases, notReady, example := 0, 0, ""
	var oldest time.Time
	for key, l := range p.inFlight {
		if l.phase != fleet.PhaseWaiting {
			continue
		}
		releases++
		notReady += l.objects - l.ready
		if l.pending == "" {
			continue
		}
		if first := oldest.IsZero() || l.since.Before(oldest); first || l.since.Equal(oldest) && key+": "+l.pending < example {
			oldest, example = l.since, key+": "+l.pending
		}
	}
	if releases == 0 {
		return ""
	}
	line := fmt.Sprintf("waiting for readiness: %d releases, %d objects not ready [%s]", releases, notReady, time.Since(p.start).Round(time.Second))
	if example != "" {
		line += "; the longest waiting: " + example
	}
	return line
}

// preparing records that n new namespaces are being made before any
// release starts.
func (p *fleetProgress) preparing(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.namespaces = n
	if !p.tty {
		fmt.Fprintf(p.w, "creating %d namespaces before the releases\n", n)
	}
}

// event records a release's progress.
func (p *fleetProgress) event(ev fleet.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := ev.Change.ID()
	switch ev.Phase {
	case fleet.PhaseStarted:
		p.started++
		p.inFlight[key] = fleetLine{phase: ev.Phase, since: time.Now()}
	case fleet.PhaseWaiting:
		l := p.inFlight[key]
		l.phase, l.ready, l.objects, l.pending = ev.Phase, ev.Ready, ev.Objects, ev.Pending
		p.inFlight[key] = l
	case fleet.PhaseDone, fleet.PhaseFailed:
		delete(p.inFlight, key)
		p.done++
		cc := p.cluster(ev.Change.Cluster)
		cc.done++
		if ev.Phase == fleet.PhaseFailed {
			p.failed++
			cc.failed++
		}
		if !p.tty {
			status := "ok"
			if ev.Err != nil {
				status = "FAILED: " + ev.Err.Error()
			}
			fmt.Fprintf(p.w, "%s %s: %s (%s) [%d/%s]\n", verb(ev.Change.Action), key, status,
				ev.Elapsed.Round(10*time.Millisecond), p.done, p.totalString())
		} else if ev.Err != nil {
			// Failures stay on screen, above the bar.
			p.clear()
			fmt.Fprintf(p.w, "%s %s: FAILED: %v\n", verb(ev.Change.Action), key, ev.Err)
		}
	}
}

// cluster returns the counts of cluster name.
func (p *fleetProgress) cluster(name string) *clusterCount {
	if p.clusters == nil {
		p.clusters = map[string]*clusterCount{}
	}
	c, ok := p.clusters[name]
	if !ok {
		c = &clusterCount{}
		p.clusters[name] = c
		p.order = append(p.order, name)
	}
	return c
}

// clusterLine counts the releases done per cluster, for a fleet over
// several clusters: "east 40 done, west 38 done (12 failed)"; "" for one.
func (p *fleetProgress) clusterLine() string {
	if len(p.order) < 2 {
		return ""
	}
	parts := make([]string, len(p.order))
	for i, name := range p.order {
		c := p.clusters[name]
		parts[i] = fmt.Sprintf("%s %d done", name, c.done)
		if c.failed > 0 {
			parts[i] += fmt.Sprintf(" (%d failed)", c.failed)
		}
	}
	return "  " + strings.Join(parts, ", ")
}

// setTotal says how many releases there are, when that was not known in
// advance.
func (p *fleetProgress) setTotal(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total = n
}

func (p *fleetProgress) totalString() string {
	if p.total > 0 {
		return fmt.Sprint(p.total)
	}
	return fmt.Sprint(p.started)
}

// finish clears the display.
func (p *fleetProgress) finish() {
	select {
	case <-p.stop:
		return
	default:
		close(p.stop)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		p.clear()
	}
}

func (p *fleetProgress) clear() {
	if p.drawn > 0 {
		fmt.Fprintf(p.w, "\x1b[%dA\x1b[J", p.drawn)
		p.drawn = 0
	}
}

// draw redraws the bar and the releases in flight.
func (p *fleetProgress) draw() {
	total := p.total
	if total == 0 {
		total = max(p.started, 1)
	}
	const barWidth = 30
	filled := min(barWidth, p.done*barWidth/max(total, 1))
	waiting := 0
	for _, l := range p.inFlight {
		if l.phase == fleet.PhaseWaiting {
			waiting++
		}
	}
	state := fmt.Sprintf("%d in flight, %d failed", len(p.inFlight), p.failed)
	if waiting > 0 {
		state = fmt.Sprintf("%d in flight (%d waiting for readiness), %d failed", len(p.inFlight), waiting, p.failed)
	}
	if p.started == 0 && p.namespaces > 0 {
		state = fmt.Sprintf("creating %d namespaces", p.namespaces)
	}
	lines := []string{fmt.Sprintf("[%s%s] %d/%d releases, %s [%s]",
		strings.Repeat("=", filled), strings.Repeat(" ", barWidth-filled), p.done, total, state,
		time.Since(p.start).Round(time.Second))}
	if cl := p.clusterLine(); cl != "" {
		lines = append(lines, cl)
	}
	keys := make([]string, 0, len(p.inFlight))
	for k := range p.inFlight {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return p.inFlight[a].since.Compare(p.inFlight[b].since) })
	for i, k := range keys {
		if i == maxInFlightLines {
			lines = append(lines, fmt.Sprintf("  ... and %d more", len(keys)-i))
			break
		}
		l := p.inFlight[k]
		what := "applying"
		if l.phase == fleet.PhaseWaiting {
			what = fmt.Sprintf("waiting for readiness, %d/%d ready", l.ready, l.objects)
			if l.pending != "" {
				what += "; " + l.pending
			} else if l.objects > 0 && l.ready == l.objects {
				what = fmt.Sprintf("%d/%d ready, recording the release", l.ready, l.objects)
			}
		}
		lines = append(lines, fmt.Sprintf("  %s: %s [%s]", k, what, time.Since(l.since).Round(time.Second)))
	}
	p.clear()
	for _, l := range lines {
		if p.width > 1 && utf8.RuneCountInString(l) >= p.width {
			l = string([]rune(l)[:p.width-2]) + "…"
		}
		fmt.Fprintln(p.w, l)
	}
	p.drawn = len(lines)
}

// verb names an action in progress lines; a release that could not be
// planned has none.
func verb(a fleet.Action) string {
	if a == "" {
		return "plan"
	}
	return string(a)
}
