package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/game/table"
)

// ErrNoCode is returned for a join code that names no live table.
var ErrNoCode = errors.New("redisstore: no table has this code")

// luaUnlist is a Lua function the lobby's scripts share: unlist(lobby
// hash, lobby-seen zset, table id, lobby channel) takes the table out of
// the listing and publishes {"removed":id} when it was listed; it returns
// true then.
const luaUnlist = `
local function unlist(lobby, seen, id, channel)
  redis.call('ZREM', seen, id)
  if redis.call('HDEL', lobby, id) == 1 then
    redis.call('PUBLISH', channel, '{"removed":"' .. id .. '"}')
    return true
  end
  return false
end
`

// indexScript keeps one table's lobby entry (and its join code's expiry)
// in step with the table, publishing each change of the listing.
//
// KEYS[1] lobby hash, KEYS[2] lobby-seen sorted set, KEYS[3] code key
// (on a single server; on a cluster it is in another slot and ARGV[6] is
// "0": IndexTable extends it itself)
// ARGV[1] table id, ARGV[2] summary JSON ("" removes the entry),
// ARGV[3] now (unix ms), ARGV[4] TTL seconds, ARGV[5] lobby channel,
// ARGV[6] "1" when the table has a code.
// Returns 1 when the listing changed.
var indexScript = redis.NewScript(luaUnlist + `
if ARGV[6] == '1' then redis.call('EXPIRE', KEYS[3], ARGV[4]) end
if ARGV[2] == '' then
  if unlist(KEYS[1], KEYS[2], ARGV[1], ARGV[5]) then return 1 end
  return 0
end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PUBLISH', ARGV[5], '{"table":' .. ARGV[2] .. '}')
return 1
`)

// listScript drops the lobby entries not updated since ARGV[1] (their
// table expired) and returns the others.
//
// KEYS[1] lobby hash, KEYS[2] lobby-seen sorted set
// ARGV[1] oldest update kept (unix ms), ARGV[2] lobby channel
var listScript = redis.NewScript(luaUnlist + `
local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[1])
for _, id in ipairs(old) do
  unlist(KEYS[1], KEYS[2], id, ARGV[2])
end
return redis.call('HVALS', KEYS[1])
`)

// IndexTable updates the lobby entry of table id: summary (JSON, see
// protocol.LobbyTable) lists it, nil removes it. A change is published on
// Keys.LobbyEvents as {"table":summary} or {"removed":id}; an unchanged
// summary publishes nothing. code, when not empty, is the table's join
// code, whose expiry follows the table's. Idempotent.
func (s *Store) IndexTable(ctx context.Context, id string, summary []byte, code string) error {
	k, b := s.keys, s.keys.BucketOf(id)
	inScript := "0"
	if code != "" && !k.Cluster {
		inScript = "1"
	}
	keys := []string{k.Lobby(b), k.LobbySeen(b)}
	if inScript == "1" {
		keys = append(keys, k.Code(code))
	}
	err := indexScript.Run(ctx, s.rdb, keys, id, summary, time.Now().UnixMilli(), s.ttlSeconds(),
		k.LobbyEvents(), inScript).Err()
	if err == nil && code != "" && k.Cluster {
		err = s.rdb.Expire(ctx, k.Code(code), s.opts.GameTTL).Err()
	}
	if err != nil {
		return fmt.Errorf("index table %s: %w", id, err)
	}
	return nil
}

// Lobby returns the summaries of the listed tables (JSON, unordered),
// dropping those whose table has not changed within the table TTL; on a
// cluster it reads every lobby bucket.
func (s *Store) Lobby(ctx context.Context) ([]string, error) {
	oldest := time.Now().Add(-s.opts.GameTTL).UnixMilli()
	keys := make([][]string, s.keys.Buckets())
	for b := range keys {
		keys[b] = []string{s.keys.Lobby(b), s.keys.LobbySeen(b)}
	}
	cmds, err := s.runEach(ctx, listScript, keys, oldest, s.keys.LobbyEvents())
	if err != nil {
		return nil, fmt.Errorf("read lobby: %w", err)
	}
	var out []string
	for _, c := range cmds {
		vals, err := c.StringSlice()
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, fmt.Errorf("read lobby: %w", err)
		}
		out = append(out, vals...)
	}
	return out, nil
}

// ReserveCode maps a join code to tableID for the table TTL; false when
// the code is taken.
func (s *Store) ReserveCode(ctx context.Context, code, tableID string) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, s.keys.Code(code), tableID, s.opts.GameTTL).Result()
	if err != nil {
		return false, fmt.Errorf("reserve code: %w", err)
	}
	return ok, nil
}

// ReleaseCode frees a code reserved for a table that was not created.
func (s *Store) ReleaseCode(ctx context.Context, code string) error {
	return s.rdb.Del(ctx, s.keys.Code(code)).Err()
}

// ResolveCode returns the table of a join code; ErrNoCode if none.
func (s *Store) ResolveCode(ctx context.Context, code string) (string, error) {
	id, err := s.rdb.Get(ctx, s.keys.Code(code)).Result()
	if errors.Is(err, redis.Nil) {
		return "", ErrNoCode
	}
	if err != nil {
		return "", fmt.Errorf("resolve code: %w", err)
	}
	return id, nil
}

// AddHosted records that user created table id (for HostedWaiting).
func (s *Store) AddHosted(ctx context.Context, user, id string) error {
	key := s.keys.Hosted(user)
	p := s.rdb.TxPipeline()
	p.SAdd(ctx, key, id)
	p.Expire(ctx, key, s.opts.GameTTL)
	if _, err := p.Exec(ctx); err != nil {
		return fmt.Errorf("record hosted table: %w", err)
	}
	return nil
}

// HostedWaiting counts the waiting tables user created that are still
// theirs to wait at: hosted by user, waiting, and either with a person
// seated or changed within emptyIdle (an empty waiting table idle longer
// is abandoned: the cleanup removes it). Tables gone are forgotten.
func (s *Store) HostedWaiting(ctx context.Context, user string, emptyIdle time.Duration) (int, error) {
	key := s.keys.Hosted(user)
	ids, err := s.rdb.SMembers(ctx, key).Result()
	if err != nil {
		return 0, fmt.Errorf("read hosted tables: %w", err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	p := s.rdb.Pipeline()
	metas := make([]*redis.SliceCmd, len(ids))
	ttls := make([]*redis.DurationCmd, len(ids))
	for i, id := range ids {
		metas[i] = p.HMGet(ctx, s.keys.Table(id), "meta", "at")
		ttls[i] = p.PTTL(ctx, s.keys.Table(id))
	}
	if _, err := p.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("read hosted tables: %w", err)
	}
	now := time.Now()
	n := 0
	var gone []any
	for i, id := range ids {
		vals, err := metas[i].Result()
		if err != nil {
			continue
		}
		raw, ok := vals[0].(string)
		if !ok {
			gone = append(gone, id)
			continue
		}
		var m table.Meta
		if json.Unmarshal([]byte(raw), &m) != nil {
			continue
		}
		if m.Host != user || m.Status != table.Waiting {
			continue
		}
		if hasPerson(&m) || s.tableIdle(vals[1], ttls[i].Val(), &m, now) <= emptyIdle {
			n++
		}
	}
	if len(gone) > 0 {
		_ = s.rdb.SRem(ctx, key, gone...).Err()
	}
	return n, nil
}
