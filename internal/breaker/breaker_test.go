package breaker_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hokm-project/hokm/internal/breaker"
)

var errDown = errors.New("down")

// classify counts errDown as a failure, anything else as an answer.
func classify(err error) breaker.Outcome {
	if errors.Is(err, errDown) {
		return breaker.Failure
	}
	return breaker.Success
}

func fail(b *breaker.Breaker, n int) {
	for range n {
		_ = b.Do(context.Background(), func() error { return errDown })
	}
}

func TestOpensOnConsecutiveFailuresAndProbes(t *testing.T) {
	b := breaker.New("test", breaker.Settings{Timeout: 50 * time.Millisecond}, classify)
	fail(b, 2)
	_ = b.Do(context.Background(), func() error { return nil }) // resets the run
	fail(b, 2)
	if s := b.State(); s != breaker.Closed {
		t.Fatalf("open after 2 failures in a row: %v", s)
	}
	fail(b, 1)
	if s := b.State(); s != breaker.Open {
		t.Fatalf("state after 3 failures in a row: %v", s)
	}
	called := false
	err := b.Do(context.Background(), func() error { called = true; return nil })
	var oe *breaker.OpenError
	if !errors.Is(err, breaker.ErrOpen) || !errors.As(err, &oe) || oe.Dependency != "test" || called {
		t.Fatalf("call while open: %v (called %v)", err, called)
	}

	// Half-open: one probe goes through; others are refused meanwhile; a
	// failed probe opens it again.
	waitState(t, b, breaker.HalfOpen)
	probe, err := b.Allow(context.Background())
	if err != nil {
		t.Fatalf("probe refused: %v", err)
	}
	if err := b.Do(context.Background(), func() error { return nil }); !errors.Is(err, breaker.ErrOpen) {
		t.Fatalf("a second call while the probe is in flight: %v", err)
	}
	probe(errDown)
	probe(nil) // a second report is ignored
	if s := b.State(); s != breaker.Open {
		t.Fatalf("after a failed probe: %v", s)
	}
	// A successful probe closes it.
	waitState(t, b, breaker.HalfOpen)
	if err := b.Do(context.Background(), func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	if s := b.State(); s != breaker.Closed {
		t.Fatalf("after a good probe: %v", s)
	}
}

func TestOpensOnFailureRatio(t *testing.T) {
	b := breaker.New("test", breaker.Settings{Timeout: time.Hour}, classify)
	ok := func() { _ = b.Do(context.Background(), func() error { return nil }) }
	for range 30 { // 30 failures, a third of the calls
		fail(b, 1)
		ok()
		ok()
	}
	if s := b.State(); s != breaker.Closed {
		t.Fatalf("open at a third of the calls failing: %v", s)
	}
	for i := 0; b.State() == breaker.Closed; i++ { // two thirds failing, never 3 in a row
		if i == 100 {
			t.Fatal("never opened")
		}
		fail(b, 2)
		ok()
	}
	if c := b.State(); c != breaker.Open {
		t.Fatalf("state %v", c)
	}
}

func TestAnswersAndCancellationsDoNotCount(t *testing.T) {
	b := breaker.New("test", breaker.Settings{Timeout: time.Hour}, classify)
	answer := errors.New("no such row")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for range 50 {
		if err := b.Do(context.Background(), func() error { return answer }); err != answer {
			t.Fatalf("the call's error changed: %v", err)
		}
		_ = b.Do(context.Background(), func() error { return context.Canceled })
		_ = b.Do(cancelled, func() error { return errDown }) // the context was done before the call
	}
	if s := b.State(); s != breaker.Closed {
		t.Fatalf("state %v", s)
	}
	// A deadline that passes during the call is the dependency not
	// answering in time.
	for range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		_ = b.Do(ctx, func() error { <-ctx.Done(); return ctx.Err() })
		cancel()
	}
	if s := b.State(); s != breaker.Open {
		t.Fatalf("after 3 deadlines passed during calls: %v", s)
	}
}

// TestSlowCallCounts: calls still running after SlowCall count as failed
// at that moment, so the breaker opens while they still hang.
func TestSlowCallCounts(t *testing.T) {
	b := breaker.New("test", breaker.Settings{SlowCall: 20 * time.Millisecond, Timeout: time.Hour}, classify)
	hang := make(chan struct{})
	done := make(chan error, 3)
	for range 3 {
		go func() { done <- b.Do(context.Background(), func() error { <-hang; return nil }) }()
	}
	waitState(t, b, breaker.Open)
	close(hang)
	for range 3 {
		if err := <-done; err != nil {
			t.Fatalf("the slow call's own result changed: %v", err)
		}
	}
	if s := b.State(); s != breaker.Open {
		t.Fatalf("the late successes changed the state: %v", s)
	}
}

func TestStateNames(t *testing.T) {
	for s, want := range map[breaker.State]string{breaker.Closed: "closed", breaker.HalfOpen: "half_open", breaker.Open: "open"} {
		if s.String() != want {
			t.Errorf("%d: %q", s, s.String())
		}
	}
}

// TestLoadIsNotAnOutage: calls that are slow, or time out, while the
// dependency keeps answering other calls (a machine past its capacity:
// calls queue behind one another) do not open the breaker; the same calls
// with nothing answered meanwhile (the dependency hangs) do.
func TestLoadIsNotAnOutage(t *testing.T) {
	b := breaker.New("test", breaker.Settings{SlowCall: 20 * time.Millisecond, Timeout: time.Hour}, classify)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { // answers keep coming
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
				_ = b.Do(context.Background(), func() error { return nil })
			}
		}
	})
	var slow sync.WaitGroup
	for i := range 6 {
		slow.Go(func() {
			_ = b.Do(context.Background(), func() error {
				time.Sleep(100 * time.Millisecond)
				if i%2 == 0 {
					return context.DeadlineExceeded // gave up waiting, late
				}
				return nil
			})
		})
	}
	slow.Wait()
	close(stop)
	wg.Wait()
	if s := b.State(); s != breaker.Closed {
		t.Fatalf("slow calls among answered ones opened the breaker: %v", s)
	}
	// Nothing answered since they began: timeouts count.
	for range 3 {
		_ = b.Do(context.Background(), func() error { time.Sleep(30 * time.Millisecond); return context.DeadlineExceeded })
	}
	if s := b.State(); s != breaker.Open {
		t.Fatalf("three timeouts with nothing answered left the breaker %v", s)
	}
}
