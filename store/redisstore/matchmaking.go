package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

type redisPipe = redis.Pipeliner

// Queued is a user taken from the quick-match queue.
type Queued struct {
	User string
	Name string
}

// claimScript takes a group off the quick-match queue atomically: the 4
// who waited longest, or everyone (1..3) once the oldest has waited
// ARGV[2] ms. Two matchmakers can never take the same user. The group is
// recorded as a claim for table ARGV[3] until FinishClaim.
//
// KEYS[1] queue (sorted set user → enqueue ms), KEYS[2] names hash,
// KEYS[3] claims hash, KEYS[4] claimed sorted set
// ARGV[1] now (unix ms), ARGV[2] wait (ms), ARGV[3] table id
// Returns {user1, name1, user2, name2, ...}, empty when nobody is taken.
var claimScript = redis.NewScript(`
local n = redis.call('ZCARD', KEYS[1])
if n == 0 then return {} end
local take = 4
if n < 4 then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if tonumber(ARGV[1]) - tonumber(oldest[2]) < tonumber(ARGV[2]) then return {} end
  take = n
end
local users = redis.call('ZRANGE', KEYS[1], 0, take - 1)
redis.call('ZREM', KEYS[1], unpack(users))
local out = {}
for _, u in ipairs(users) do
  out[#out + 1] = u
  out[#out + 1] = redis.call('HGET', KEYS[2], u) or ''
end
redis.call('HDEL', KEYS[2], unpack(users))
redis.call('HSET', KEYS[3], ARGV[3], cjson.encode(out))
redis.call('ZADD', KEYS[4], ARGV[1], ARGV[3])
return out
`)

// retakeScript takes over the oldest claim not (re)taken since ARGV[1].
//
// KEYS[1] claims hash, KEYS[2] claimed sorted set
// ARGV[1] stale before (unix ms), ARGV[2] now (unix ms)
// Returns {table id, group JSON}, or empty.
var retakeScript = redis.NewScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[1], 'LIMIT', 0, 1)
if #ids == 0 then return {} end
local g = redis.call('HGET', KEYS[1], ids[1])
if not g then
  redis.call('ZREM', KEYS[2], ids[1])
  return {}
end
redis.call('ZADD', KEYS[2], ARGV[2], ids[1])
return {ids[1], g}
`)

// JoinQueue puts user in the quick-match queue (keeping their place if
// they are in it already).
func (s *Store) JoinQueue(ctx context.Context, user, name string, now time.Time) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAddNX(ctx, s.keys.Matchmaking(), redis.Z{Score: float64(now.UnixMilli()), Member: user})
		p.HSet(ctx, s.keys.MatchmakingNames(), user, name)
		return nil
	})
	if err != nil {
		return fmt.Errorf("join queue: %w", err)
	}
	return nil
}

// LeaveQueue takes user out of the quick-match queue, if there.
func (s *Store) LeaveQueue(ctx context.Context, user string) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, s.keys.Matchmaking(), user)
		p.HDel(ctx, s.keys.MatchmakingNames(), user)
		return nil
	})
	if err != nil {
		return fmt.Errorf("leave queue: %w", err)
	}
	return nil
}

// ClaimGroup takes the next group off the queue for table tableID: four
// users, or fewer once the oldest has waited wait. Nil when there is none
// yet. The claim stays recorded until FinishClaim.
func (s *Store) ClaimGroup(ctx context.Context, now time.Time, wait time.Duration, tableID string) ([]Queued, error) {
	keys := []string{s.keys.Matchmaking(), s.keys.MatchmakingNames(), s.keys.MatchmakingClaims(), s.keys.MatchmakingClaimed()}
	vals, err := claimScript.Run(ctx, s.rdb, keys, now.UnixMilli(), wait.Milliseconds(), tableID).StringSlice()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("claim group: %w", err)
	}
	return pairs(vals), nil
}

// RetakeClaim takes over a claim not finished within staleAfter (its
// matchmaker died): the table id it was for and its group; "" when none.
func (s *Store) RetakeClaim(ctx context.Context, now time.Time, staleAfter time.Duration) (string, []Queued, error) {
	keys := []string{s.keys.MatchmakingClaims(), s.keys.MatchmakingClaimed()}
	vals, err := retakeScript.Run(ctx, s.rdb, keys, now.Add(-staleAfter).UnixMilli(), now.UnixMilli()).StringSlice()
	if err != nil && !errors.Is(err, redis.Nil) {
		return "", nil, fmt.Errorf("retake claim: %w", err)
	}
	if len(vals) != 2 {
		return "", nil, nil
	}
	var flat []string
	if err := json.Unmarshal([]byte(vals[1]), &flat); err != nil {
		return "", nil, fmt.Errorf("claim %s: %w", vals[0], err)
	}
	return vals[0], pairs(flat), nil
}

// FinishClaim forgets the claim for tableID: its group is seated.
func (s *Store) FinishClaim(ctx context.Context, tableID string) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HDel(ctx, s.keys.MatchmakingClaims(), tableID)
		p.ZRem(ctx, s.keys.MatchmakingClaimed(), tableID)
		return nil
	})
	if err != nil {
		return fmt.Errorf("finish claim: %w", err)
	}
	return nil
}

func pairs(vals []string) []Queued {
	var out []Queued
	for i := 0; i+1 < len(vals); i += 2 {
		out = append(out, Queued{User: vals[i], Name: vals[i+1]})
	}
	return out
}

// Notify publishes a notice (a JSON object with "type") on user's channel;
// the gateways forward it to that user's sockets.
func (s *Store) Notify(ctx context.Context, user string, notice any) error {
	b, err := json.Marshal(notice)
	if err != nil {
		return fmt.Errorf("encode notice: %w", err)
	}
	if err := s.rdb.Publish(ctx, s.keys.User(user), b).Err(); err != nil {
		return fmt.Errorf("notify %s: %w", user, err)
	}
	return nil
}

// Kick is the message on Keys.Kick.
type Kick struct {
	User   string `json:"user"`
	Reason string `json:"reason"`
}

// KickUser asks every gateway to close user's sockets with bye reason
// (logged_out, account_deleted, password_changed).
func (s *Store) KickUser(ctx context.Context, user, reason string) error {
	b, _ := json.Marshal(Kick{User: user, Reason: reason})
	if err := s.rdb.Publish(ctx, s.keys.Kick(), b).Err(); err != nil {
		return fmt.Errorf("kick %s: %w", user, err)
	}
	return nil
}

// tableIDAlphabet has no look-alike characters (no 0/o, 1/l).
const tableIDAlphabet = "abcdefghijkmnpqrstuvwxyz23456789"

// NewTableID is 8 random characters (40 bits).
func NewTableID() string { return randomString(8, tableIDAlphabet) }

// joinCodeAlphabet is [A-HJ-NP-Z2-9]: no I, O, 0, 1.
const joinCodeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// JoinCodeLen is the length of the join codes NewJoinCode makes (as
// protocol.JoinCodeLen; codes of the older length 6 still resolve).
const JoinCodeLen = 9

// NewJoinCode is JoinCodeLen random characters of joinCodeAlphabet (45
// bits; see docs/security.md, "Join codes"). Not 8: a table id (8
// characters) must never read as a code.
func NewJoinCode() string { return randomString(JoinCodeLen, joinCodeAlphabet) }

// randomString draws n characters of a 32-character alphabet.
func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[b[i]&31]
	}
	return string(b)
}
