package account

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Limit is a fixed-window rate limit: at most Max counted events per
// Window.
type Limit struct {
	Max    int
	Window time.Duration
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

// limiter counts events in Redis and, while Redis fails, in this process
// (local): logins keep working during an outage and stay rate-limited,
// per process instead of across them.
type limiter struct {
	rdb   redis.UniversalClient
	local *localLimiter
}

// mark is one counted event: its key, and where it was counted.
type mark struct {
	key   string
	local bool
}

// hit counts one event on key and reports whether it is within l, and if
// not how long until the window ends. It counts in this process when Redis
// fails, or at once with local (Redis just failed for the same request:
// each failing call can take a second before the client gives up).
func (lm limiter) hit(ctx context.Context, key string, l Limit, local bool) (m mark, ok bool, retry time.Duration) {
	if !local {
		res, err := hitScript.Run(ctx, lm.rdb, []string{key}, l.Window.Milliseconds()).Int64Slice()
		if err == nil && res[0] > int64(l.Max) {
			return mark{key: key}, false, time.Duration(res[1]) * time.Millisecond
		}
		if err == nil {
			return mark{key: key}, true, 0
		}
	}
	ok, retry = lm.local.hit(key, l, time.Now())
	return mark{key: key, local: true}, ok, retry
}

// undo takes back one event counted by hit (a successful login does not
// count as a failure).
func (lm limiter) undo(ctx context.Context, m mark) error {
	if m.local {
		lm.local.undo(m.key)
		return nil
	}
	if err := undoScript.Run(ctx, lm.rdb, []string{m.key}).Err(); err != nil {
		return fmt.Errorf("rate limit undo %s: %w", m.key, err)
	}
	return nil
}

// localLimiter is the in-process fallback of the Redis windows: the same
// fixed windows, in a map bounded to maxWindows keys. When it is full of
// running windows (a flood of distinct IPs or usernames during an outage)
// it refuses new keys: it fails closed rather than grow without bound.
type localLimiter struct {
	mu         sync.Mutex
	windows    map[string]*localWindow
	maxWindows int
	lastPrune  time.Time
}

type localWindow struct {
	n   int
	end time.Time
}

func newLocalLimiter(maxWindows int) *localLimiter {
	return &localLimiter{windows: map[string]*localWindow{}, maxWindows: maxWindows}
}

func (ll *localLimiter) hit(key string, l Limit, now time.Time) (bool, time.Duration) {
	ll.mu.Lock()
	defer ll.mu.Unlock()
	w := ll.windows[key]
	if w == nil && len(ll.windows) >= ll.maxWindows && !ll.prune(now) {
		return false, l.Window
	}
	if w == nil || !now.Before(w.end) {
		w = &localWindow{end: now.Add(l.Window)}
		ll.windows[key] = w
	}
	w.n++
	if w.n > l.Max {
		return false, w.end.Sub(now)
	}
	return true, 0
}

// prune drops ended windows, at most once a second (it walks the whole
// map); it reports whether there is room now.
func (ll *localLimiter) prune(now time.Time) bool {
	if now.Sub(ll.lastPrune) >= time.Second {
		ll.lastPrune = now
		for k, w := range ll.windows {
			if !now.Before(w.end) {
				delete(ll.windows, k)
			}
		}
	}
	return len(ll.windows) < ll.maxWindows
}

func (ll *localLimiter) undo(key string) {
	ll.mu.Lock()
	defer ll.mu.Unlock()
	if w := ll.windows[key]; w != nil && w.n > 0 {
		w.n--
	}
}
