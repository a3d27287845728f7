package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/stats"
)

// LeaderboardTTL is how long a leaderboard snapshot lives in Redis.
const LeaderboardTTL = 15 * time.Minute

// lbEmpty marks a snapshot of an empty leaderboard (a sorted set cannot be
// empty), so that an empty board is a hit, not a miss.
const lbEmpty = "~"

// lbScore orders entries like the SQL: all time by rating; a day or a week
// by wins, then win rate (which is below 1, so it only breaks ties).
func lbScore(p stats.Period, e stats.Entry) float64 {
	if p == stats.AllTime {
		return e.Rating
	}
	return float64(e.Wins) + e.WinRate/2
}

// SnapshotLeaderboard replaces the snapshot of b with entries (members are
// the entries as JSON), expiring after ttl. Atomic: a reader sees the old
// snapshot or the new one.
func (s *Store) SnapshotLeaderboard(ctx context.Context, b stats.Bucket, entries []stats.Entry, ttl time.Duration) error {
	key := s.keys.Leaderboard(string(b.Period), b.Name)
	zs := []redis.Z{{Score: math.Inf(-1), Member: lbEmpty}}
	for _, e := range entries {
		js, err := json.Marshal(e)
		if err != nil {
			return err
		}
		zs = append(zs, redis.Z{Score: lbScore(b.Period, e), Member: string(js)})
	}
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, key)
		p.ZAdd(ctx, key, zs...)
		p.Expire(ctx, key, ttl)
		return nil
	})
	if err != nil {
		return fmt.Errorf("redisstore: snapshot %s: %w", key, err)
	}
	// Outside the transaction: the index is another key (another slot in a
	// cluster). It lives as long as the newest snapshot it names.
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.SAdd(ctx, s.keys.Leaderboards(), key)
		p.Expire(ctx, s.keys.Leaderboards(), ttl)
		return nil
	})
	if err != nil {
		return fmt.Errorf("redisstore: index snapshot %s: %w", key, err)
	}
	return nil
}

// DropLeaderboards deletes every leaderboard snapshot, so the next read of
// each board computes it afresh: after an account's deletion its name must
// leave the boards now, not when their snapshots expire.
func (s *Store) DropLeaderboards(ctx context.Context) error {
	keys, err := s.rdb.SMembers(ctx, s.keys.Leaderboards()).Result()
	if err != nil {
		return fmt.Errorf("redisstore: leaderboard snapshots: %w", err)
	}
	// one key per DEL: in a cluster they live in different slots
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.Del(ctx, k)
			p.SRem(ctx, s.keys.Leaderboards(), k)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("redisstore: drop leaderboard snapshots: %w", err)
	}
	return nil
}

// Leaderboard reads the snapshot of b, best first; ok is false when there
// is none (never taken, or expired).
func (s *Store) Leaderboard(ctx context.Context, b stats.Bucket) (entries []stats.Entry, ok bool, err error) {
	key := s.keys.Leaderboard(string(b.Period), b.Name)
	ms, err := s.rdb.ZRevRange(ctx, key, 0, -1).Result()
	if err != nil {
		return nil, false, fmt.Errorf("redisstore: leaderboard %s: %w", key, err)
	}
	if len(ms) == 0 {
		return nil, false, nil
	}
	for _, m := range ms {
		if m == lbEmpty {
			continue
		}
		var e stats.Entry
		if err := json.Unmarshal([]byte(m), &e); err != nil {
			return nil, false, fmt.Errorf("redisstore: leaderboard %s: %w", key, err)
		}
		entries = append(entries, e)
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].Rank < entries[j].Rank })
	return entries, true, nil
}
