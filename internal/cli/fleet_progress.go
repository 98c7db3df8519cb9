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
}

type fleetLine struct {
	phase fleet.Phase
	since time.Time
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

// run redraws every 200ms on a terminal until finish.
func (p *fleetProgress) run() {
	if !p.tty {
		return
	}
	go func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.mu.Lock()
				p.draw()
				p.mu.Unlock()
			}
		}
	}()
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
	key := ev.Change.Namespace + "/" + ev.Change.Name
	switch ev.Phase {
	case fleet.PhaseStarted:
		p.started++
		p.inFlight[key] = fleetLine{phase: ev.Phase, since: time.Now()}
	case fleet.PhaseWaiting:
		l := p.inFlight[key]
		l.phase = ev.Phase
		p.inFlight[key] = l
	case fleet.PhaseDone, fleet.PhaseFailed:
		delete(p.inFlight, key)
		p.done++
		if ev.Phase == fleet.PhaseFailed {
			p.failed++
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
	state := fmt.Sprintf("%d in flight, %d failed", len(p.inFlight), p.failed)
	if p.started == 0 && p.namespaces > 0 {
		state = fmt.Sprintf("creating %d namespaces", p.namespaces)
	}
	lines := []string{fmt.Sprintf("[%s%s] %d/%d releases, %s [%s]",
		strings.Repeat("=", filled), strings.Repeat(" ", barWidth-filled), p.done, total, state,
		time.Since(p.start).Round(time.Second))}
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
			what = "waiting for readiness"
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
