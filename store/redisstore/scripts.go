package redisstore

import "github.com/redis/go-redis/v9"

// commitScript is the one atomic step of an accepted command.
//
// KEYS[1] table hash, KEYS[2] action-id hash, KEYS[3] event log stream
// ARGV[1] expected seq, ARGV[2] new seq, ARGV[3] meta, ARGV[4] game,
// ARGV[5] moves, ARGV[6] action field, ARGV[7] action result,
// ARGV[8] TTL seconds, ARGV[9] log max length, ARGV[10] channel,
// ARGV[11] message to publish, ARGV[12..] log entries as (seq, json) pairs.
// Returns {"dup", stored result} when the action id was answered before,
// {"gone", ""} when the table does not exist, {"conflict", current seq} when
// the table moved on since it was read, {"logahead", newest log id} when
// the log already holds a seq after the expected one (nothing is written),
// {"ok", ""} when written.
var commitScript = redis.NewScript(`
local prev = redis.call('HGET', KEYS[2], ARGV[6])
if prev then return {'dup', prev} end
local cur = redis.call('HGET', KEYS[1], 'seq')
if not cur then return {'gone', ''} end
if cur ~= ARGV[1] then return {'conflict', cur} end
-- Nothing may be written unless every write can succeed: a log already at
-- or past the first new seq would make XADD fail after the table changed.
local newest = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)[1]
if newest and tonumber(string.match(newest[1], '^(%d+)')) > tonumber(ARGV[1]) then
  return {'logahead', newest[1]}
end
redis.call('HSET', KEYS[1], 'seq', ARGV[2], 'meta', ARGV[3], 'game', ARGV[4], 'moves', ARGV[5])
redis.call('HSET', KEYS[2], ARGV[6], ARGV[7])
for i = 12, #ARGV, 2 do
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[9], ARGV[i] .. '-0', 'e', ARGV[i + 1])
end
for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ARGV[8]) end
redis.call('PUBLISH', ARGV[10], ARGV[11])
return {'ok', ''}
`)

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
// action ids and events never leak into the new one.
//
// KEYS[1] table hash, KEYS[2] action-id hash, KEYS[3] event log stream
// ARGV[1] meta, ARGV[2] TTL seconds.
// Returns 1 when created, 0 when the id was taken.
var createScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('HSET', KEYS[1], 'seq', '0', 'meta', ARGV[1], 'game', '', 'moves', '')
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
`)
