package account

import (
	"context"
	"fmt"
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

// limiter counts events in Redis.
type limiter struct{ rdb redis.UniversalClient }

// hit counts one event on key and reports whether it is within l, and if
// not how long until the window ends.
func (lm limiter) hit(ctx context.Context, key string, l Limit) (ok bool, retry time.Duration, err error) {
	res, err := hitScript.Run(ctx, lm.rdb, []string{key}, l.Window.Milliseconds()).Int64Slice()
	if err != nil {
		return false, 0, fmt.Errorf("rate limit %s: %w", key, err)
	}
	if res[0] > int64(l.Max) {
		return false, time.Duration(res[1]) * time.Millisecond, nil
	}
	return true, 0, nil
}

// undo takes back one event counted by hit (a successful login does not
// count as a failure).
func (lm limiter) undo(ctx context.Context, key string) error {
	if err := undoScript.Run(ctx, lm.rdb, []string{key}).Err(); err != nil {
		return fmt.Errorf("rate limit undo %s: %w", key, err)
	}
	return nil
}
