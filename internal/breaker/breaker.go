// Package breaker puts circuit breakers in front of Redis and PostgreSQL:
// while a dependency is down, calls fail at once with ErrOpen instead of
// each waiting for its own timeout, and a probe call every Timeout tells
// when it is back.
//
// A Breaker counts only infrastructure failures (the dependency could not
// be reached or could not serve: network errors, timeouts, Redis LOADING,
// PostgreSQL shutting down, …), never answers that are part of normal work
// (a missing key, a script error, a unique violation, no rows); each
// dependency has its own classifier (IsRedisFailure, IsPostgresFailure). A
// call the caller cancelled, or started with a context already done,
// counts for nothing. A call still running after Settings.SlowCall counts
// as a failure at that moment (the call itself goes on), so the breaker
// opens within about SlowCall of the dependency hanging, whatever the
// clients' own timeouts. A slow call, or one that timed out, counts only
// if the dependency answered no other call since it began: a dependency
// that hangs or cannot be reached answers nothing, while a machine past its
// capacity (every call queued behind others, in the pool, in the scheduler)
// gets answers, late — opening then would fail every call, running
// matches' moves included, for what is only load.
//
// The state machine is sony/gobreaker (v2): small, dependency-free,
// generic, with a two-step API (Allow, then report the outcome) that a
// go-redis hook and a pgx wrapper need, a rolling window, and an
// exclusion outcome for cancelled calls. failsafe-go was the alternative:
// it composes retries, timeouts and fallbacks around a breaker, which we do
// not need (go-redis and asynq retry on their own) and would bring a larger
// API for a single policy.
package breaker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"

	"github.com/hokm-project/hokm/internal/metrics"
)

// ErrOpen is matched (errors.Is) by every error a breaker returns for a
// call it refused without trying the dependency: the dependency is down,
// or a probe of it is in flight. Callers answer it with a retryable
// "unavailable". The error itself is an *OpenError naming the dependency;
// RedisDown and PostgresDown tell one dependency's apart, and also cover
// the failures seen before the breaker opened.
var ErrOpen = errors.New("circuit breaker open")

// OpenError is the error of a refused call.
type OpenError struct{ Dependency string }

func (e *OpenError) Error() string {
	return e.Dependency + ": circuit breaker open: dependency unavailable"
}

// Is makes errors.Is(err, ErrOpen) true.
func (e *OpenError) Is(target error) bool { return target == ErrOpen }

// openFor tells whether err is a refusal by the breaker of dep.
func openFor(err error, dep string) bool {
	var oe *OpenError
	return errors.As(err, &oe) && oe.Dependency == dep
}

// The dependencies' names: the dependency label of the breakers' metrics.
const (
	Redis    = "redis"
	Postgres = "postgres"
)

// State is a breaker's state; its value is the one hokm_breaker_state
// reports.
type State int

// The states of a breaker.
const (
	Closed   State = 0 // calls go through
	HalfOpen State = 1 // one probe call goes through; the others are refused
	Open     State = 2 // every call is refused until Timeout has passed
)

// String is the state's name as the transitions metric labels it.
func (s State) String() string {
	switch s {
	case Closed:
		return "closed"
	case HalfOpen:
		return "half_open"
	case Open:
		return "open"
	}
	return fmt.Sprintf("state(%d)", int(s))
}

// Outcome is how a call's result counts.
type Outcome int

// The outcomes a classifier returns.
const (
	Success  Outcome = iota // the dependency answered (even with an error of the caller's making)
	Failure                 // the dependency is unreachable or cannot serve
	Excluded                // says nothing about the dependency (the caller gave up, the client is closing)
)

// Settings tune a Breaker. Zero values take the defaults.
type Settings struct {
	// ConsecutiveFailures open the breaker; default 3.
	ConsecutiveFailures uint32
	// RatioMin and Ratio: the breaker also opens when, within Window, at
	// least RatioMin calls failed and they are at least Ratio of the calls
	// with an outcome (a flaky dependency that still answers now and
	// then); defaults 10 and 0.5.
	RatioMin uint32
	Ratio    float64
	// Window is the rolling window of the ratio rule, in 10 buckets;
	// default 5 s.
	Window time.Duration
	// Timeout is how long the breaker stays open before it lets one probe
	// call through (half-open): a probe that succeeds closes it, one that
	// fails opens it again; default 500 ms.
	Timeout time.Duration
	// SlowCall: a call still running this long counts as a failure; 0
	// (the default) never. Set it for a dependency whose calls are all
	// short (Redis), not for one with long queries (PostgreSQL).
	SlowCall time.Duration
}

func (s Settings) withDefaults() Settings {
	if s.ConsecutiveFailures == 0 {
		s.ConsecutiveFailures = 3
	}
	if s.RatioMin == 0 {
		s.RatioMin = 10
	}
	if s.Ratio == 0 {
		s.Ratio = 0.5
	}
	if s.Window <= 0 {
		s.Window = 5 * time.Second
	}
	if s.Timeout <= 0 {
		s.Timeout = 500 * time.Millisecond
	}
	return s
}

// Breaker is the circuit breaker of one dependency. It is safe for
// concurrent use.
type Breaker struct {
	name     string
	classify func(error) Outcome
	slow     time.Duration
	cb       *gobreaker.TwoStepCircuitBreaker[struct{}]
	errOpen  error
	answered atomic.Int64 // unix ns at which a call last got an answer (any outcome but a failure)
}

// errFailure and errExcluded are what a Breaker reports to gobreaker: it
// classifies the call's error itself.
var (
	errFailure  = errors.New("failure")
	errExcluded = errors.New("excluded")
)

// New returns a closed breaker for the dependency name ("redis",
// "postgres": the dependency label of its metrics), counting as failures
// the errors classify says are. Its state is exported as
// hokm_breaker_state{dependency=name}.
func New(name string, s Settings, classify func(error) Outcome) *Breaker {
	s = s.withDefaults()
	b := &Breaker{name: name, classify: classify, slow: s.SlowCall, errOpen: &OpenError{Dependency: name}}
	b.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:         name,
		MaxRequests:  1,
		Interval:     s.Window,
		BucketPeriod: s.Window / 10,
		Timeout:      s.Timeout,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			if c.ConsecutiveFailures >= s.ConsecutiveFailures {
				return true
			}
			done := c.TotalFailures + c.TotalSuccesses
			return c.TotalFailures >= s.RatioMin && float64(c.TotalFailures) >= s.Ratio*float64(done)
		},
		OnStateChange: func(_ string, _, to gobreaker.State) { metrics.BreakerTransition(name, fromGobreaker(to).String()) },
		IsSuccessful:  func(err error) bool { return err == nil },
		IsExcluded:    func(err error) bool { return err == errExcluded },
	})
	metrics.TrackBreaker(name, func() int { return int(b.State()) })
	return b
}

func fromGobreaker(s gobreaker.State) State {
	switch s {
	case gobreaker.StateOpen:
		return Open
	case gobreaker.StateHalfOpen:
		return HalfOpen
	}
	return Closed
}

// Name is the dependency's name.
func (b *Breaker) Name() string { return b.name }

// State is the breaker's state now.
func (b *Breaker) State() State { return fromGobreaker(b.cb.State()) }

// Do runs call unless the breaker is open, and counts its outcome. A
// refused call returns an error matching ErrOpen at once; otherwise Do
// returns call's error as it is.
func (b *Breaker) Do(ctx context.Context, call func() error) error {
	done, err := b.Allow(ctx)
	if err != nil {
		return err
	}
	err = call()
	done(err)
	return err
}

// Allow is the two-step form of Do for calls whose outcome is known later
// (a row scanned after the query): it returns ErrOpen (wrapped) when the
// breaker refuses, else a function to report the call's error with, which
// must be called exactly once (later calls are ignored).
func (b *Breaker) Allow(ctx context.Context) (done func(error), err error) {
	report, err := b.cb.Allow()
	if err != nil {
		metrics.BreakerRejection(b.name)
		return nil, b.errOpen
	}
	started := ctx.Err() == nil
	begun := time.Now().UnixNano()
	var reported atomic.Bool
	var timer *time.Timer
	if b.slow > 0 && started {
		timer = time.AfterFunc(b.slow, func() {
			if b.answered.Load() > begun {
				return // answers come, late: load, not a hang (the call's own outcome counts)
			}
			if reported.CompareAndSwap(false, true) {
				report(errFailure)
			}
		})
	}
	return func(callErr error) {
		if timer != nil {
			timer.Stop()
		}
		out := b.outcome(started, callErr)
		switch {
		case out == nil:
			b.answered.Store(time.Now().UnixNano())
		case out == errFailure && isTimeout(callErr) && b.answered.Load() > begun:
			out = errExcluded // timed out waiting behind others while the dependency answered them
		}
		if reported.CompareAndSwap(false, true) {
			report(out)
		}
	}, nil
}

// isTimeout tells whether err is a call that gave up waiting (for the
// answer, for a connection of the pool) rather than one refused or broken.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.Is(err, redis.ErrPoolTimeout) || errors.As(err, &ne) && ne.Timeout()
}

// outcome turns a call's error into what gobreaker counts.
func (b *Breaker) outcome(started bool, err error) error {
	switch {
	case err == nil:
		return nil
	case !started || errors.Is(err, context.Canceled):
		return errExcluded // the caller's doing, not the dependency's
	case errors.Is(err, context.DeadlineExceeded):
		return errFailure // no answer within the caller's time
	}
	switch b.classify(err) {
	case Failure:
		return errFailure
	case Excluded:
		return errExcluded
	}
	return nil
}
