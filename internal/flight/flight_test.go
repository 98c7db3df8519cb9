package flight

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestDoOnce runs one piece of work for callers that ask at once.
func TestDoOnce(t *testing.T) {
	var g Group
	var runs atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := Do(context.Background(), &g, "k", func(context.Context) (int, error) {
				runs.Add(1)
				<-release
				return 42, nil
			})
			if v != 42 || err != nil {
				t.Errorf("Do = %d, %v", v, err)
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := runs.Load(); n < 1 || n > 2 {
		t.Errorf("the work ran %d times for 10 callers at once", n)
	}
}

// TestDoCallerGivesUp: the caller running the work gives up; another
// caller waiting for it starts it again and gets its result.
func TestDoCallerGivesUp(t *testing.T) {
	var g Group
	first, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	go func() {
		_, err := Do(first, &g, "k", func(ctx context.Context) (string, error) {
			close(started)
			<-ctx.Done()
			return "", ctx.Err()
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the caller that gave up got %v", err)
		}
	}()
	<-started
	done := make(chan struct{})
	go func() {
		defer close(done)
		v, err := Do(context.Background(), &g, "k", func(context.Context) (string, error) { return "mine", nil })
		if v != "mine" || err != nil {
			t.Errorf("the waiting caller got %q, %v; want its own run's result", v, err)
		}
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	<-done
}

// TestDoOwnTimeout: a context error the work owns is every caller's
// result.
func TestDoOwnTimeout(t *testing.T) {
	errOwn := errors.New("request timeout")
	g := Group{Own: func(err error) bool { return errors.Is(err, errOwn) }}
	var runs int
	_, err := Do(context.Background(), &g, "k", func(context.Context) (int, error) {
		runs++
		return 0, errors.Join(errOwn, context.DeadlineExceeded)
	})
	if !errors.Is(err, errOwn) || runs != 1 {
		t.Errorf("Do = %v after %d runs; want the work's own timeout, once", err, runs)
	}
}
