package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/bargehq/barge/pkg/kube"
)

// waitProgress shows the readiness of objects while an operation waits for
// them. On a terminal it keeps a table of the objects not yet ready, and why,
// redrawn in place; elsewhere (CI logs, pipes) it prints a line each time an
// object's state changes.
//
// update is called from one goroutine at a time, finish from the command's, and
// a ticker redraws the table on a terminal.
// A mutex guards the state between them.
type waitProgress struct {
	w         io.Writer
	tty       bool
	width     int
	namespace string
	start     time.Time
	now       func() time.Time

	stop chan struct{} // closed by finish; ends the ticker of run

	mu      sync.Mutex
	order   []kube.ObjectRef
	current map[kube.ObjectRef]kube.Status
	drawn   int // lines of the last table drawn
}

// newWaitProgress returns a progress display writing to w; the display is
// a table redrawn in place when w is a terminal.
func newWaitProgress(w io.Writer, namespace string) *waitProgress {
	p := &waitProgress{w: w, namespace: namespace, now: time.Now, current: map[kube.ObjectRef]kube.Status{}}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
		if width, _, err := term.GetSize(int(f.Fd())); err == nil && width > 0 {
			p.width = width
		}
	}
	p.start = p.now()
	p.stop = make(chan struct{})
	return p
}

// run redraws the table every second on a terminal, so that the elapsed
// time moves while nothing changes, until finish. It returns at once
// elsewhere.
func (p *waitProgress) run() {
	if !p.tty {
		return
	}
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.mu.Lock()
				if len(p.order) > 0 {
					p.draw()
				}
				p.mu.Unlock()
			}
		}
	}()
}

// update records an object's status and shows it.
func (p *waitProgress) update(s kube.Status) {
	p.mu.Lock()
	defer p.mu.Unlock()
	prev, seen := p.current[s.Ref]
	if !seen {
		p.order = append(p.order, s.Ref)
	}
	p.current[s.Ref] = s
	if p.tty {
		p.draw()
		return
	}
	if seen && prev.State == s.State && prev.Message == s.Message {
		return
	}
	if !seen && s.State == kube.StateCurrent {
		return // ready from the start: nothing to report
	}
	line := fmt.Sprintf("waiting: %s: %s", p.name(s.Ref), s.State)
	if s.State == kube.StateCurrent {
		line = fmt.Sprintf("ready: %s", p.name(s.Ref))
	} else if s.Message != "" {
		line += ": " + s.Message
	}
	fmt.Fprintf(p.w, "%s [%s]\n", line, p.elapsed())
}

// finish clears the table and prints how the wait ended.
func (p *waitProgress) finish() {
	select {
	case <-p.stop:
		return // finished already
	default:
		close(p.stop)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		p.clear()
	}
	if len(p.order) == 0 {
		return
	}
	ready := 0
	for _, s := range p.current {
		if s.State == kube.StateCurrent {
			ready++
		}
	}
	fmt.Fprintf(p.w, "%d of %d objects ready after %s\n", ready, len(p.order), p.elapsed())
}

func (p *waitProgress) elapsed() time.Duration {
	return p.now().Sub(p.start).Round(time.Second)
}

// name is Kind/name, with the namespace when it is not the release's.
func (p *waitProgress) name(r kube.ObjectRef) string {
	return shortRef(r, p.namespace)
}

// shortRef is Kind/name, or Kind/namespace/name outside namespace.
func shortRef(r kube.ObjectRef, namespace string) string {
	if r.Namespace == "" || r.Namespace == namespace {
		return r.Kind + "/" + r.Name
	}
	return r.Kind + "/" + r.Namespace + "/" + r.Name
}

// clear erases the table drawn last.
func (p *waitProgress) clear() {
	if p.drawn > 0 {
		fmt.Fprintf(p.w, "\x1b[%dA\x1b[J", p.drawn)
		p.drawn = 0
	}
}

// draw redraws the table of objects not ready.
func (p *waitProgress) draw() {
	t := &table{sep: "  "}
	pending := 0
	for _, r := range p.order {
		s := p.current[r]
		if s.State == kube.StateCurrent {
			continue
		}
		pending++
		t.row("  "+p.name(r), s.State, s.Message)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Waiting for %d of %d objects to be ready [%s]\n", pending, len(p.order), p.elapsed())
	if pending > 0 {
		b.WriteString(t.String())
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	p.clear()
	for _, l := range lines {
		fmt.Fprintln(p.w, p.fit(strings.TrimRight(l, " ")))
	}
	p.drawn = len(lines)
}

// fit cuts a line to the terminal's width so that it takes one row.
func (p *waitProgress) fit(s string) string {
	if p.width <= 1 || utf8.RuneCountInString(s) < p.width {
		return s
	}
	r := []rune(s)
	return string(r[:p.width-2]) + "…"
}
