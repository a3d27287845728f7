package redisstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// Turn timers live in Redis, not in a process: a sorted set of the tables
// whose seat on turn has a deadline (member table id, score the deadline in
// unix ms) and a hash of the timer number each was armed as (table id →
// table.Meta.Timer) and in which of the table's epochs (table id + "@ep" →
// epoch). Both share a hash tag ({timers}; on a cluster one per bucket,
// Keys.Timers), so the scripts below work on Redis Cluster.

// Timer is one armed deadline of a table.
type Timer struct {
	Table    string
	ID       int64 // table.Meta.Timer it was armed as
	Deadline int64 // unix ms
}

// setTimerLua holds the Lua functions that arm, move or remove a table's
// deadline. settimer never goes back to an older timer (hooks of successive
// changes may run out of order): it returns 1 when written, 0 when a newer
// timer is already recorded. writetimer writes without that check: the
// commit script's, whose change has just been checked to be the table's
// newest (its seq and epoch), so its timer is never older than one a hook
// recorded — a timer number only grows along a table's changes — and one
// read a card is saved.
//
// Timers are ordered by the table's epoch first, then by number: a table
// rebuilt from an older copy (its node lost its last moves while the
// timers' node kept the timers they armed, on a cluster; or the table alone
// was evicted) numbers its timers again from where that copy was, and its
// next timer must not be refused for the higher numbers of a history that
// is gone. A record without an epoch (an older release's) counts as epoch 0.
const setTimerLua = `
local function writetimer(zset, ids, tid, n, deadline, ep)
  if deadline == '0' then
    redis.call('ZREM', zset, tid)
    redis.call('HDEL', ids, tid, tid .. '@ep')
    return 1
  end
  redis.call('ZADD', zset, deadline, tid)
  redis.call('HSET', ids, tid, n, tid .. '@ep', ep)
  return 1
end
local function settimer(zset, ids, tid, n, deadline, ep)
  local cur = redis.call('HMGET', ids, tid, tid .. '@ep')
  local cn, ce = tonumber(cur[1] or '0'), tonumber(cur[2] or '0')
  if tonumber(ep) < ce or tonumber(ep) == ce and tonumber(n) < cn then return 0 end
  return writetimer(zset, ids, tid, n, deadline, ep)
end
`

// setTimerScript is SetTimer.
//
// KEYS[1] Timers zset, KEYS[2] TimerIDs hash
// ARGV[1] table id, ARGV[2] timer number, ARGV[3] deadline ms (0: disarm),
// ARGV[4] the table's epoch.
var setTimerScript = redis.NewScript(setTimerLua + `return settimer(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4])`)

// dueTimersScript lists the deadlines due at a time with their timer
// numbers, read together so that a deadline is never paired with the
// number of another.
//
// KEYS[1] Timers zset, KEYS[2] TimerIDs hash
// ARGV[1] now (unix ms), ARGV[2] max entries.
// Returns a flat list of (table id, deadline, timer number) triples.
var dueTimersScript = redis.NewScript(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for i = 1, #due, 2 do
  out[#out + 1] = due[i]
  out[#out + 1] = due[i + 1]
  out[#out + 1] = redis.call('HGET', KEYS[2], due[i]) or '0'
end
return out
`)

// dropTimerScript removes a fired deadline only if it is still the one that
// fired (compare-and-delete): a deadline re-armed meanwhile stays.
//
// KEYS[1] Timers zset, KEYS[2] TimerIDs hash
// ARGV[1] table id, ARGV[2] deadline ms, ARGV[3] timer number.
// Returns 1 when removed, 0 when the entry changed or is gone.
var dropTimerScript = redis.NewScript(`
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) ~= tonumber(ARGV[2]) then return 0 end
if (redis.call('HGET', KEYS[2], ARGV[1]) or '0') ~= ARGV[3] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1], ARGV[1] .. '@ep')
return 1
`)

// timerKeys are the timer keys of table id's bucket.
func (s *Store) timerKeys(id string) []string {
	b := s.keys.BucketOf(id)
	return []string{s.keys.Timers(b), s.keys.TimerIDs(b)}
}

// SetTimer records table's current deadline (unix ms) armed as timer id in
// the table's epoch; a deadline of 0 removes it. Idempotent; a call for an
// older timer than the one recorded (an older epoch, or a lower number in
// the same epoch) changes nothing.
func (s *Store) SetTimer(ctx context.Context, tableID string, epoch, id, deadline int64) error {
	if err := setTimerScript.Run(ctx, s.rdb, s.timerKeys(tableID), tableID, id, deadline, epoch).Err(); err != nil {
		return fmt.Errorf("set timer: %w", err)
	}
	return nil
}

// DueTimers returns up to max deadlines at or before now (unix ms), oldest
// first (on a cluster, of all buckets together).
func (s *Store) DueTimers(ctx context.Context, now int64, max int64) ([]Timer, error) {
	keys := make([][]string, s.keys.Buckets())
	for b := range keys {
		keys[b] = []string{s.keys.Timers(b), s.keys.TimerIDs(b)}
	}
	cmds, err := s.runEach(ctx, dueTimersScript, keys, now, max)
	if err != nil {
		return nil, fmt.Errorf("due timers: %w", err)
	}
	var out []Timer
	for _, c := range cmds {
		vals, err := c.StringSlice()
		if err != nil {
			return nil, fmt.Errorf("due timers: %w", err)
		}
		for i := 0; i+2 < len(vals); i += 3 {
			deadline, err := strconv.ParseFloat(vals[i+1], 64)
			if err != nil {
				return nil, fmt.Errorf("timer deadline %q: %w", vals[i+1], err)
			}
			id, _ := strconv.ParseInt(vals[i+2], 10, 64)
			out = append(out, Timer{Table: vals[i], ID: id, Deadline: int64(deadline)})
		}
	}
	if s.keys.Cluster {
		slices.SortStableFunc(out, func(a, b Timer) int { return cmp.Compare(a.Deadline, b.Deadline) })
		out = out[:min(len(out), int(max))]
	}
	return out, nil
}

// DropTimer removes t once it has fired, unless the table's deadline was
// moved or re-armed since it was read. It reports whether it removed it.
func (s *Store) DropTimer(ctx context.Context, t Timer) (bool, error) {
	n, err := dropTimerScript.Run(ctx, s.rdb, s.timerKeys(t.Table), t.Table, t.Deadline, t.ID).Int()
	if err != nil {
		return false, fmt.Errorf("drop timer: %w", err)
	}
	return n == 1, nil
}
