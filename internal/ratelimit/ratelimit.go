// Package ratelimit is the server's shared quota counter: fixed windows
// counted in Redis, so that every process of a deployment shares one
// budget per key, and counted in this process while Redis fails, so that a
// limit still holds (per process) during an outage. Each refusal is counted
// in hokm_rate_limited_total by the limit's name.
package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/internal/metrics"
)

// Limit is at most Max counted events per Window.
type Limit struct {
	Max    int
	Window time.Duration
}

// Off reports whether l limits nothing (Max ≤ 0 or no window).
func (l Limit) Off() bool { return l.Max <= 0 || l.Window <= 0 }

// Refused is the error of an event over its limit.
type Refused struct {
	What  string        // the limit's name, e.g. "login:ip"
	Retry time.Duration // until the window that refused ends
}

func (e *Refused) Error() string {
	return fmt.Sprintf("rate limited (%s), retry in %v", e.What, e.Retry.Round(time.Second))
}

// Count is one counter to hit: the limit's name, whose budget (an IP, a
// user id, a username), and the limit.
type Count struct {
	What, Who string
	Limit     Limit
}

// Mark is one counted event, to take back with Undo.
type Mark struct {
	key   string
	local bool
}

// Limiter counts events. Safe for concurrent use.
type Limiter struct {
	rdb   redis.UniversalClient
	key   func(what, who string) string
	local *localLimiter
}

// LocalWindows bounds the in-process windows used while Redis fails
// (about 100 bytes each); when full of running windows new keys are
// refused (the limiter fails closed rather than grow without bound).
const LocalWindows = 100_000

// New returns a limiter counting in rdb under key(what, who).
func New(rdb redis.UniversalClient, key func(what, who string) string) *Limiter {
	return &Limiter{rdb: rdb, key: key, local: newLocalLimiter(LocalWindows)}
}

// hitScript counts one event in a fixed window: INCR, and the window's
// expiry set by the first event (or repaired if the key lost it).
// Returns {count, milliseconds left in the window}.
var hitScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if n == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}`)

// undoScript takes back one counted event if its window still runs (a
// DECR after the window would leave a counter without expiry).
var undoScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECR', KEYS[1]) end
return 0`)

// Allow counts one event on c; a *Refused error when over its limit (the
// event is then not counted).
func (lm *Limiter) Allow(ctx context.Context, c Count) error {
	_, err := lm.HitAll(ctx, c)
	return err
}

// HitAll counts one event on each counter and returns the marks; when any
// is over its limit it takes them all back and returns a *Refused with the
// longest wait. Once one call to Redis failed, the rest count in this
// process at once (each failing call can take a second).
func (lm *Limiter) HitAll(ctx context.Context, cs ...Count) ([]Mark, error) {
	var marks []Mark
	var refused *Refused
	local := false
	for _, c := range cs {
		if c.Limit.Off() {
			continue
		}
		m, ok, wait := lm.hit(ctx, lm.key(c.What, c.Who), c.Limit, local)
		marks, local = append(marks, m), local || m.local
		if !ok {
			metrics.RateLimited.WithLabelValues(c.What).Inc()
			if refused == nil || wait > refused.Retry {
				refused = &Refused{What: c.What, Retry: wait}
			}
		}
	}
	if refused != nil {
		lm.Undo(ctx, marks...)
		return nil, refused
	}
	return marks, nil
}

// Undo takes back counted events (a success that should not count). A
// Redis failure leaves the event counted: the budget errs on the safe side.
func (lm *Limiter) Undo(ctx context.Context, marks ...Mark) {
	for _, m := range marks {
		if m.local {
			lm.local.undo(m.key)
			continue
		}
		_ = undoScript.Run(ctx, lm.rdb, []string{m.key}).Err()
	}
}

// Over reports, without counting, whether c's budget is spent, and if so
// how long until its window ends (for budgets counted on failure only,
// e.g. guesses: check first, count the miss after). While Redis fails it
// reads this process's window.
func (lm *Limiter) Over(ctx context.Context, c Count) (bool, time.Duration) {
	if c.Limit.Off() {
		return false, 0
	}
	key := lm.key(c.What, c.Who)
	p := lm.rdb.Pipeline()
	get := p.Get(ctx, key)
	ttl := p.PTTL(ctx, key)
	if _, err := p.Exec(ctx); err != nil && err != redis.Nil {
		return lm.local.over(key, c.Limit, time.Now())
	}
	n, _ := get.Int()
	if n >= c.Limit.Max {
		metrics.RateLimited.WithLabelValues(c.What).Inc()
		return true, max(ttl.Val(), 0)
	}
	return false, 0
}

// hit counts one event on key and reports whether it is within l, and if
// not how long until the window ends. It counts in this process when Redis
// fails, or at once with local.
func (lm *Limiter) hit(ctx context.Context, key string, l Limit, local bool) (m Mark, ok bool, retry time.Duration) {
	if !local {
		res, err := hitScript.Run(ctx, lm.rdb, []string{key}, l.Window.Milliseconds()).Int64Slice()
		if err == nil {
			if res[0] > int64(l.Max) {
				return Mark{key: key}, false, time.Duration(res[1]) * time.Millisecond
			}
			return Mark{key: key}, true, 0
		}
	}
	ok, retry = lm.local.hit(key, l, time.Now())
	return Mark{key: key, local: true}, ok, retry
}
