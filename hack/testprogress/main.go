// Command testprogress reads `go test -json` on its standard input and
// prints what a person watching `make test` wants to see: each package as
// it starts and as it ends (ok, FAIL, or no tests), a line a minute naming
// the packages still running, and the whole output of every test that
// fails. It exits 1 when a package failed or the stream ended early, so
// `go test -json ./... | testprogress` fails as `go test ./...` does.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

// event is one line of `go test -json` (see `go doc test2json`).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

// state is what has been seen so far; the ticker reads it too.
type state struct {
	mu      sync.Mutex
	out     io.Writer
	running map[string]time.Time        // packages started and not ended
	tests   map[string]int              // tests passed per running package
	output  map[string]*strings.Builder // output per package/test, until it passes
	failed  bool
}

func main() {
	s := &state{out: os.Stdout, running: map[string]time.Time{}, tests: map[string]int{}, output: map[string]*strings.Builder{}}
	stop := make(chan struct{})
	go s.tick(stop, time.Minute)
	err := s.read(os.Stdin)
	close(stop)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testprogress:", err)
		os.Exit(1)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed || len(s.running) > 0 {
		if len(s.running) > 0 {
			fmt.Fprintf(s.out, "the test run ended with packages still running: %s\n", strings.Join(s.names(), ", "))
		}
		os.Exit(1)
	}
}

// read handles the events of r until it ends.
func (s *state) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var ev event
		if err := json.Unmarshal(line, &ev); err != nil || ev.Action == "" {
			// Not an event: a build error, printed as it is.
			s.mu.Lock()
			fmt.Fprintln(s.out, string(line))
			if strings.Contains(string(line), "FAIL") {
				s.failed = true
			}
			s.mu.Unlock()
			continue
		}
		s.handle(ev)
	}
	return sc.Err()
}

// handle updates the state with one event and prints what it says.
func (s *state) handle(ev event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := ev.Package + " " + ev.Test
	switch ev.Action {
	case "start":
		s.running[ev.Package] = time.Now()
		fmt.Fprintf(s.out, "running %s ...\n", ev.Package)
	case "output":
		b := s.output[key]
		if b == nil {
			b = &strings.Builder{}
			s.output[key] = b
		}
		b.WriteString(ev.Output)
	case "pass", "skip":
		if ev.Test != "" {
			s.tests[ev.Package]++
			delete(s.output, key)
			return
		}
		if ev.Action == "skip" {
			s.end(ev, "?")
			return
		}
		s.end(ev, "ok")
	case "fail":
		s.failed = true
		if ev.Test != "" {
			fmt.Fprintf(s.out, "--- FAIL: %s (%s, %.1fs)\n%s", ev.Test, ev.Package, ev.Elapsed, s.take(key))
			return
		}
		// The package's own output: a panic, a TestMain failure, a timeout.
		fmt.Fprint(s.out, s.take(key))
		s.end(ev, "FAIL")
	}
}

// end prints the end of a package.
func (s *state) end(ev event, verdict string) {
	if _, ok := s.running[ev.Package]; !ok {
		// A package without test files ends without starting.
		return
	}
	n := s.tests[ev.Package]
	delete(s.running, ev.Package)
	delete(s.tests, ev.Package)
	delete(s.output, ev.Package+" ")
	if verdict == "?" {
		fmt.Fprintf(s.out, "?\t%s\t[no test files]\n", ev.Package)
		return
	}
	fmt.Fprintf(s.out, "%s\t%s\t%.1fs\t(%d tests and subtests)\n", verdict, ev.Package, ev.Elapsed, n)
}

// take returns and forgets the output kept for key.
func (s *state) take(key string) string {
	b := s.output[key]
	delete(s.output, key)
	if b == nil {
		return ""
	}
	return b.String()
}

// names returns the running packages, sorted.
func (s *state) names() []string {
	var out []string
	for p := range s.running {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// tick prints, every interval, the packages still running and for how
// long, until stop.
func (s *state) tick(stop <-chan struct{}, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			s.mu.Lock()
			var parts []string
			for _, p := range s.names() {
				parts = append(parts, fmt.Sprintf("%s (%s, %d tests done)", p, time.Since(s.running[p]).Round(time.Second), s.tests[p]))
			}
			if len(parts) > 0 {
				fmt.Fprintf(s.out, "  still running: %s\n", strings.Join(parts, ", "))
			}
			s.mu.Unlock()
		}
	}
}
