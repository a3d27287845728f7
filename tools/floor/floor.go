// Package floor measures the Redis-only move path that the whole pipeline
// is judged against (docs/architecture.md): XADD → XREADGROUP BLOCK → one Lua call
// that reads the state, writes it back and publishes → XACK, timed from the
// XADD until a subscriber has the message. Measured in the same run as a
// load test, it turns noisy absolute figures into ratios.
package floor

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/store/redisstore"
)

// MoveScript stands in for a worker's atomic step, without game logic
// (also the floor target of hokm bench, tools/bench).
//
// KEYS[1] state key; ARGV[1] channel, ARGV[2] new state.
// Returns the state it replaced.
var MoveScript = redis.NewScript(`
local old = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[2])
redis.call('PUBLISH', ARGV[1], ARGV[2])
return old
`)

// MovePath times n moves through the floor path on one table, one at a
// time, under keys starting with prefix (deleted afterwards).
func MovePath(ctx context.Context, rdb *redis.Client, prefix string, n int) ([]time.Duration, error) {
	k := redisstore.Keys{Prefix: prefix}
	stream, state, ch, group := k.FloorActions(), k.FloorState(), k.FloorChannel(), "floor"
	defer rdb.Del(context.Background(), stream, state)
	if err := rdb.XGroupCreateMkStream(ctx, stream, group, "$").Err(); err != nil {
		return nil, fmt.Errorf("floor group: %w", err)
	}
	sub := rdb.Subscribe(ctx, ch)
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		return nil, fmt.Errorf("floor subscribe: %w", err)
	}
	msgs := sub.Channel()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go worker(ctx, rdb, stream, group, state, ch)
	lats := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		t0 := time.Now()
		if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []any{"a", i}}).Err(); err != nil {
			return nil, fmt.Errorf("floor xadd: %w", err)
		}
		select {
		case <-msgs:
			lats = append(lats, time.Since(t0))
		case <-time.After(5 * time.Second):
			return nil, fmt.Errorf("floor: no publish within 5s")
		}
	}
	return lats, nil
}

func worker(ctx context.Context, rdb *redis.Client, stream, group, state, ch string) {
	for ctx.Err() == nil {
		res, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: "c", Streams: []string{stream, ">"}, Block: time.Second, Count: 16}).Result()
		if err != nil {
			continue
		}
		for _, m := range res[0].Messages {
			MoveScript.Run(ctx, rdb, []string{state}, ch, m.ID)
			rdb.XAck(ctx, stream, group, m.ID)
		}
	}
}

// Quantile of sorted-in-place latencies, in milliseconds.
func Quantile(lats []time.Duration, q float64) float64 {
	if len(lats) == 0 {
		return 0
	}
	slices.Sort(lats)
	i := min(int(q*float64(len(lats))), len(lats)-1)
	return float64(lats[i].Microseconds()) / 1000
}
