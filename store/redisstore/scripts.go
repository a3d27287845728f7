package redisstore

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"
)

// commitScript is the one atomic step of an accepted command.
//
// KEYS[1] table hash, KEYS[2] action-id hash, KEYS[3] event log list,
// KEYS[4] Timers zset, KEYS[5] TimerIDs hash (only with ARGV[13])
// ARGV[1] expected seq, ARGV[2] expected epoch, ARGV[3] new seq, ARGV[4]
// meta, ARGV[5] state blob, ARGV[6] action field, ARGV[7] action result,
// ARGV[8] TTL seconds, ARGV[9] log length (also how many events an
// action id's answer is kept at least), ARGV[10] channel, ARGV[11]
// message to publish, ARGV[12] "1" to drop an older release's plain fields,
// ARGV[13] table id whose turn timer to record ("": none), ARGV[14] its
// timer number, ARGV[15] its deadline ms (0: disarmed), ARGV[16] now (unix
// ms), ARGV[17] how often the keys' TTL is refreshed (ms), ARGV[18..] the
// log entries, oldest first (each begins {"seq":N).
//
// The table's field "at" is the time of its last change (ARGV[16]; what the
// cleanup measures idleness by: tableIdle). The three keys' TTL (ARGV[8]) is
// refreshed when the last refresh, kept in the field "ex", is ARGV[17] or
// more old, or the table has none (new, or written by an older release),
// and for a key this commit makes again (the log after a rebuild dropped
// it) — not with every commit:
// three EXPIREs a card, 3–10 % of the script's Redis CPU. An idle
// table so expires between ARGV[8] − ARGV[17] and ARGV[8] after its last
// change.
//
// The turn timer is recorded here rather than by a hook after the commit
// (worker.TimerHook, which still does it after a rebuild or a duplicate):
// one round trip per move less; and without reading the record first
// (writetimer, not settimer: the change is the table's newest). It makes the script span the table's hash
// tag and the timers' {timers}: on a single Redis server only (on a
// cluster ARGV[13] is "" and the hook records the timer).
// Returns {"gone", ""} when the table does not exist, {"conflict", current
// seq} when the table moved on or was rebuilt (another epoch) since it was
// read, {"dup", stored result} when the action id was answered before,
// {"logahead", newest logged seq} when the log already holds a seq after
// the expected one (nothing is written), {"ok", ""} when written. The
// version is checked before the duplicate (so that one HSETNX both checks
// and records the answer): a repeated id sent with a copy the table has
// left gets "conflict", and the worker, deciding again on a fresh read,
// gets its answer then.
var commitScript = redis.NewScript(setTimerLua + `
local cur = redis.call('HMGET', KEYS[1], 'seq', 'ep', 'ex')
if not cur[1] then return {'gone', ''} end
if cur[1] ~= ARGV[1] or (cur[2] or '1') ~= ARGV[2] then return {'conflict', cur[1]} end
-- The answer is recorded unless the id has one: the duplicate check and
-- the write in one call.
if redis.call('HSETNX', KEYS[2], ARGV[6], ARGV[7]) == 0 then
  return {'dup', redis.call('HGET', KEYS[2], ARGV[6])}
end
-- A log holding a seq after the expected one belongs to a history the
-- table no longer has (its state went back without a new epoch): refused,
-- nothing written (the answer just recorded is taken back).
local newest = redis.call('LINDEX', KEYS[3], -1)
if newest then
  local seq = string.match(newest, '^{"seq":(%d+)')
  if seq and tonumber(seq) > tonumber(ARGV[1]) then
    redis.call('HDEL', KEYS[2], ARGV[6])
    return {'logahead', seq}
  end
end
local refresh = not cur[3] or tonumber(ARGV[16]) - tonumber(cur[3]) >= tonumber(ARGV[17])
redis.call('HSET', KEYS[1], 'seq', ARGV[3], 'meta', ARGV[4], 'st', ARGV[5], 'at', ARGV[16])
if ARGV[12] == '1' then redis.call('HDEL', KEYS[1], 'game', 'moves') end
-- Each time the seq crosses a multiple of the log's length, answers older
-- than that many events go (their stored result ends with its seq): a
-- table keeps between one and two logs' worth of answers, and always this
-- commit's, so the trim never empties the hash.
local w, from, to = tonumber(ARGV[9]), tonumber(ARGV[1]), tonumber(ARGV[3])
if w > 0 and math.floor(to / w) > math.floor(from / w) then
  local all, old = redis.call('HGETALL', KEYS[2]), {}
  for i = 2, #all, 2 do
    local seq = tonumber(string.match(all[i], '"seq":(%d+)}$'))
    if seq and seq < to - w then old[#old + 1] = all[i - 1] end
  end
  for i = 1, #old, 500 do redis.call('HDEL', KEYS[2], unpack(old, i, math.min(i + 499, #old))) end
end
-- The log is a list trimmed to its exact length: a stream trims only
-- whole nodes of up to 4 KB, which held two to three times the events kept.
if #ARGV >= 18 then
  -- (a list as long as what was pushed was just made)
  if redis.call('RPUSH', KEYS[3], unpack(ARGV, 18)) == #ARGV - 17 then refresh = true end
  redis.call('LTRIM', KEYS[3], -w, -1)
end
if refresh then
  redis.call('HSET', KEYS[1], 'ex', ARGV[16])
  for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ARGV[8]) end
end
if ARGV[13] ~= '' then writetimer(KEYS[4], KEYS[5], ARGV[13], ARGV[14], ARGV[15], ARGV[2]) end
redis.call('PUBLISH', ARGV[10], ARGV[11])
return {'ok', ''}
`)

// runEach runs script once for each of keys (every bucket of a bucketed
// structure) with the same args, in one pipeline: on a cluster it is split
// by node and sent to all at once, so a pass over the buckets costs one
// round trip, not one per bucket. A run that found the script not cached
// on its node (NOSCRIPT: a restarted or new node) is run again on its own,
// which loads it. The first error other than redis.Nil is returned.
func (s *Store) runEach(ctx context.Context, script *redis.Script, keys [][]string, args ...any) ([]*redis.Cmd, error) {
	cmds := make([]*redis.Cmd, len(keys))
	_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = script.EvalSha(ctx, p, k, args...)
		}
		return nil
	})
	for i, c := range cmds {
		if err := c.Err(); errors.Is(err, redis.ErrNoScript) || redis.HasErrorPrefix(err, "NOSCRIPT") {
			cmds[i] = script.Run(ctx, s.rdb, keys[i], args...)
		}
		if err := cmds[i].Err(); err != nil && !errors.Is(err, redis.Nil) {
			return nil, err
		}
	}
	return cmds, nil
}

// answerScript records the answer to an action that changed nothing (a
// refused command), so that the same id always gets the same answer.
//
// KEYS[1] action-id hash
// ARGV[1] action field, ARGV[2] result, ARGV[3] TTL seconds, ARGV[4] channel,
// ARGV[5] message to publish.
// Returns {"dup", stored result} or {"ok", ""}.
var answerScript = redis.NewScript(`
local prev = redis.call('HGET', KEYS[1], ARGV[1])
if prev then return {'dup', prev} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return {'ok', ''}
`)

// createScript creates a table unless its id exists. Leftovers of an
// earlier table of that id (its log and answers) are removed, so old
// action ids and events never leak into the new one. The table records the
// run id of the Redis server it is created on (on a cluster: of its node;
// see Loaded.RunID).
//
// KEYS[1] table hash, KEYS[2] action-id hash, KEYS[3] event log stream
// ARGV[1] meta, ARGV[2] TTL seconds.
// Returns 1 when created, 0 when the id was taken.
var createScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[2], KEYS[3])
local rid = string.match(redis.call('INFO', 'server'), 'run_id:(%w+)')
redis.call('HSET', KEYS[1], 'seq', '0', 'ep', '1', 'meta', ARGV[1], 'st', '', 'rid', rid)
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
`)

// restoreScript rebuilds a table after Redis lost or may have lost part of
// its history (a restart, a failover, an eviction), from its journaled copy
// in PostgreSQL (ARGV[3..6]; ARGV[3] is -1 when there is none). Whichever
// of the two is newer by (epoch, seq) is kept, and the table enters a new
// epoch, so every client starts over from a snapshot of it. Each rebuild is
// done once per Redis run id (ARGV[1], kept in the field "rid"), however
// many workers try.
//
// KEYS[1] table hash, KEYS[2] action-id hash, KEYS[3] event log stream
// ARGV[1] run id, ARGV[2] TTL seconds, ARGV[3] journaled seq, ARGV[4]
// journaled epoch, ARGV[5] journaled meta, ARGV[6] journaled state blob,
// ARGV[7] "1" to rebuild a table that is still there (else only a missing
// one: an on-demand restore).
// Returns {outcome, seq, epoch, seq Redis had (or -1)}, outcome one of
// "restored" (from the journal), "kept" (Redis was newer: new epoch only),
// "done" (this run id rebuilt it already), "none" (nothing to do).
var restoreScript = redis.NewScript(`
local cur = redis.call('HMGET', KEYS[1], 'seq', 'ep', 'rid')
local jseq, jep = tonumber(ARGV[3]), tonumber(ARGV[4])
if cur[3] == ARGV[1] then return {'done', cur[1], cur[2] or '1', cur[1]} end
if cur[1] and ARGV[7] ~= '1' then return {'none', cur[1], cur[2] or '1', cur[1]} end
local rseq, rep = -1, 0
if cur[1] then rseq, rep = tonumber(cur[1]), tonumber(cur[2] or '1') end
if not cur[1] and jseq < 0 then return {'none', '-1', '0', '-1'} end
local ep = math.max(rep, jep) + 1
if jseq >= 0 and (jep > rep or (jep == rep and jseq > rseq)) then
  -- The journal is newer: its state replaces Redis's, and the log (which
  -- does not reach that far) is dropped.
  redis.call('DEL', KEYS[3])
  redis.call('HSET', KEYS[1], 'seq', ARGV[3], 'ep', ep, 'eps', ARGV[3], 'meta', ARGV[5], 'st', ARGV[6], 'rid', ARGV[1])
  redis.call('HDEL', KEYS[1], 'game', 'moves')
  for i = 1, 2 do redis.call('EXPIRE', KEYS[i], ARGV[2]) end
  return {'restored', ARGV[3], tostring(ep), tostring(rseq)}
end
redis.call('HSET', KEYS[1], 'ep', ep, 'eps', rseq, 'rid', ARGV[1])
return {'kept', tostring(rseq), tostring(ep), tostring(rseq)}
`)
